package route

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/fulcrum-lb/fulcrum/config"
)

// valueMatch is one header or query condition: exact value, regex, present or absent.
type valueMatch struct {
	name    string
	exact   string
	regex   *regexp.Regexp
	present bool // any value
	absent  bool
}

// compileValues compiles a headers or query block, in name order.
func compileValues(m map[string]config.StringMatch) ([]valueMatch, error) {
	out := make([]valueMatch, 0, len(m))
	for name, sm := range m {
		v := valueMatch{name: name, exact: sm.Exact, present: sm.Present, absent: sm.Absent}
		if sm.Regex != "" {
			re, err := regexp.Compile(sm.Regex)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			v.regex = re
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b valueMatch) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// matches reports whether the value looked up (value, found) satisfies v.
func (v *valueMatch) matches(value string, found bool) bool {
	switch {
	case v.absent:
		return !found
	case !found:
		return false
	case v.present:
		return true
	case v.regex != nil:
		return v.regex.MatchString(value)
	}
	return value == v.exact
}

// matchValues checks every condition against lookup (a header or query getter).
func matchValues(conds []valueMatch, lookup func(string) (string, bool)) bool {
	for i := range conds {
		if !conds[i].matches(lookup(conds[i].name)) {
			return false
		}
	}
	return true
}
