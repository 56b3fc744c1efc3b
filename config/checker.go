package config

import (
	"fmt"
	"strings"
)

// position is a line and column in the file, both counted from 1.
type position struct{ line, col int }

// checker collects problems for one file. Decoding records where every value was
// written, keyed by its path ("pools[0].backends[1].address"), so validation can report
// a problem at the node it is about, or at the nearest enclosing node when the key is
// missing.
type checker struct {
	file     string
	pos      map[string]position // every path written in the file
	null     map[string]bool     // paths written with a null value (treated as absent)
	bad      map[string]bool     // paths whose value failed to decode
	problems Problems
	warnings []Problem
}

func newChecker(file string) *checker {
	return &checker{file: file, pos: map[string]position{}, null: map[string]bool{}, bad: map[string]bool{}}
}

// has reports whether path was written in the file with a non-null value.
func (c *checker) has(path string) bool {
	_, ok := c.pos[path]
	return ok && !c.null[path]
}

// at is the position of path, or of its nearest written ancestor, or 1:1.
func (c *checker) at(path string) position {
	for {
		if p, ok := c.pos[path]; ok {
			return p
		}
		if path == "" {
			return position{1, 1}
		}
		path = parentPath(path)
	}
}

// line is the line of path, for messages that point back at an earlier definition.
func (c *checker) line(path string) int { return c.at(path).line }

// errorf records an error at path, unless path (or an ancestor) already failed to decode:
// one mistake is reported once.
func (c *checker) errorf(path, format string, args ...any) {
	if !c.failed(path) {
		c.problems = append(c.problems, c.problem(path, format, args...))
	}
}

// warnf records a warning at path.
func (c *checker) warnf(path, format string, args ...any) {
	if !c.failed(path) {
		c.warnings = append(c.warnings, c.problem(path, format, args...))
	}
}

func (c *checker) problem(path, format string, args ...any) Problem {
	p := c.at(path)
	return Problem{File: c.file, Line: p.line, Col: p.col, Msg: fmt.Sprintf(format, args...)}
}

// failed reports whether path or any ancestor failed to decode.
func (c *checker) failed(path string) bool {
	for {
		if c.bad[path] {
			return true
		}
		if path == "" {
			return false
		}
		path = parentPath(path)
	}
}

// childPath is path's field key; indexPath is path's i-th element.
func childPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func indexPath(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// parentPath drops the last ".key" or "[i]" from path.
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// lastElem is the last key of path with its index, e.g. "trusted_proxies[0]"; it labels
// decoding errors. The root is "top level".
func lastElem(path string) string {
	if path == "" {
		return "top level"
	}
	return path[strings.LastIndex(path, ".")+1:]
}
