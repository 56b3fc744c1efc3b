package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, and that Parse either returns a
// config or at least one problem. Seeds are the examples and every testdata file.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"../examples/*.yaml", "testdata/*/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data)
		if (cfg == nil) == (err == nil) {
			t.Fatalf("Parse returned config %v and error %v; want exactly one", cfg != nil, err)
		}
		if ps, ok := err.(Problems); ok && len(ps) == 0 {
			t.Fatalf("Parse returned an empty Problems")
		}
	})
}
