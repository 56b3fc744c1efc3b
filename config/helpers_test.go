package config

import (
	"fmt"
	"reflect"
)

// diffConfigs names the first field where a and b differ, or returns "".
func diffConfigs(a, b *Config) string {
	return diffValues("config", reflect.ValueOf(*a), reflect.ValueOf(*b))
}

func diffValues(path string, a, b reflect.Value) string {
	ours := a.Type().PkgPath() == reflect.TypeFor[Config]().PkgPath()
	switch {
	case a.Kind() == reflect.Struct && ours:
		for i := range a.NumField() {
			if !a.Type().Field(i).IsExported() {
				continue
			}
			if d := diffValues(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i)); d != "" {
				return d
			}
		}
		return ""
	case a.Kind() == reflect.Slice:
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: got %d elements, want %d", path, b.Len(), a.Len())
		}
		for i := range a.Len() {
			if d := diffValues(fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i)); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(a.Interface(), b.Interface()) {
		return fmt.Sprintf("%s: got %#v, want %#v", path, b.Interface(), a.Interface())
	}
	return ""
}
