package admin

import (
	"fmt"
	"strings"
)

// diffContext is how many unchanged lines a hunk shows around a change.
const diffContext = 2

// maxDiffCells bounds the LCS table; beyond it the diff falls back to "replace everything".
const maxDiffCells = 4 << 20

// lineDiff returns a unified-style diff from old to new: hunks headed "@@ -a,n +b,m @@",
// lines prefixed "-", "+" or " ". Equal texts give "".
func lineDiff(old, new string) string {
	if old == new {
		return ""
	}
	a, b := splitLines(old), splitLines(new)
	ops := diffOps(a, b)
	var out strings.Builder
	for _, h := range hunks(ops) {
		writeHunk(&out, ops[h.from:h.to])
	}
	return out.String()
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// op is one line of the edit script: kind ' ', '-' or '+', with its line numbers (1-based)
// in old and new.
type op struct {
	kind       byte
	text       string
	oldN, newN int
}

// diffOps computes a shortest edit script by longest common subsequence.
func diffOps(a, b []string) []op {
	if len(a)*len(b) > maxDiffCells {
		return replaceAll(a, b)
	}
	lcs := lcsTable(a, b)
	var ops []op
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, op{' ', a[i], i + 1, j + 1})
			i, j = i+1, j+1
		case j < len(b) && (i == len(a) || lcs[i][j+1] >= lcs[i+1][j]):
			ops = append(ops, op{'+', b[j], i, j + 1})
			j++
		default:
			ops = append(ops, op{'-', a[i], i + 1, j})
			i++
		}
	}
	return ops
}

// lcsTable[i][j] is the LCS length of a[i:] and b[j:].
func lcsTable(a, b []string) [][]int {
	t := make([][]int, len(a)+1)
	for i := range t {
		t[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				t[i][j] = t[i+1][j+1] + 1
			} else {
				t[i][j] = max(t[i+1][j], t[i][j+1])
			}
		}
	}
	return t
}

func replaceAll(a, b []string) []op {
	var ops []op
	for i, s := range a {
		ops = append(ops, op{'-', s, i + 1, 0})
	}
	for j, s := range b {
		ops = append(ops, op{'+', s, len(a), j + 1})
	}
	return ops
}

type span struct{ from, to int }

// hunks groups changed ops with diffContext lines of context, merging groups that touch.
func hunks(ops []op) []span {
	var out []span
	for i, o := range ops {
		if o.kind == ' ' {
			continue
		}
		from, to := max(i-diffContext, 0), min(i+diffContext+1, len(ops))
		if n := len(out); n > 0 && from <= out[n-1].to {
			out[n-1].to = max(out[n-1].to, to)
			continue
		}
		out = append(out, span{from, to})
	}
	return out
}

func writeHunk(out *strings.Builder, ops []op) {
	oldStart, newStart, oldN, newN := 0, 0, 0, 0
	for _, o := range ops {
		if o.kind != '+' {
			oldN++
			if oldStart == 0 {
				oldStart = o.oldN
			}
		}
		if o.kind != '-' {
			newN++
			if newStart == 0 {
				newStart = o.newN
			}
		}
	}
	fmt.Fprintf(out, "@@ -%d,%d +%d,%d @@\n", oldStart, oldN, newStart, newN)
	for _, o := range ops {
		out.WriteByte(o.kind)
		out.WriteString(o.text)
		out.WriteByte('\n')
	}
}
