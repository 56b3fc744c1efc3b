package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong (or, as a warning, suspicious) in a configuration file, at the
// line and column of the YAML node it is about. Line and Col count from 1.
type Problem struct {
	File      string
	Line, Col int
	Msg       string
}

// String formats the problem as "FILE:LINE:COL: message", the form editors jump to.
func (p Problem) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Msg)
}

// Problems is every error found in one file. Load and Parse return it as their error,
// sorted by position, so a user fixes them all in one pass.
type Problems []Problem

// Error prints one problem per line, in file order.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sortByPosition orders problems by line, then column, keeping the order of
// problems reported at the same position.
func sortByPosition(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return ps[i].Col < ps[j].Col
	})
}
