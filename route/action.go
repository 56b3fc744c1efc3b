package route

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fulcrum-lb/fulcrum/config"
)

// Action is what a route does with a matching request, compiled once per snapshot. It is
// immutable. Exactly one of Pool, Split, Redirect and Respond decides the answer; Mirror,
// header edits and Rewrite apply to proxied requests.
type Action struct {
	Pool            string // proxy to this pool, unless Split is set
	Split           *Split
	Mirror          *Mirror
	RequestHeaders  HeaderEdit
	ResponseHeaders HeaderEdit
	Rewrite         Rewrite
	Redirect        *Redirect
	Respond         *Respond
}

// CompileAction builds a route's action from its configuration.
func CompileAction(r config.Route) *Action {
	a := &Action{Pool: r.Pool, RequestHeaders: compileEdit(r.RequestHeaders), ResponseHeaders: compileEdit(r.ResponseHeaders)}
	if len(r.Split) > 0 {
		a.Split = NewSplit(r.Split, r.SplitSticky)
	}
	if r.Mirror != nil {
		a.Mirror = &Mirror{Pool: r.Mirror.Pool, perMillion: uint64(r.Mirror.Percent * 10000)}
	}
	if r.Rewrite != nil {
		a.Rewrite = Rewrite{strip: strings.TrimSuffix(r.Rewrite.StripPrefix, "/"), replace: r.Rewrite.ReplacePrefix}
	}
	if r.Redirect != nil {
		rd := *r.Redirect
		a.Redirect = &Redirect{Status: orInt(rd.Status, 302), Scheme: rd.Scheme, Host: rd.Host, Path: rd.Path}
	}
	if r.Respond != nil {
		a.Respond = &Respond{Status: orInt(r.Respond.Status, 200), Body: []byte(r.Respond.Body)}
	}
	return a
}

func orInt(n, def int) int {
	if n == 0 {
		return def
	}
	return n
}

// Pools lists every pool the action may send to (primary, split targets, mirror), for
// resolving names once per snapshot.
func (a *Action) Pools() []string {
	var out []string
	if a.Pool != "" {
		out = append(out, a.Pool)
	}
	if a.Split != nil {
		out = append(out, a.Split.pools...)
	}
	if a.Mirror != nil {
		out = append(out, a.Mirror.Pool)
	}
	return out
}

// Split shares requests among pools by weight.
type Split struct {
	pools  []string
	cum    []uint64 // cumulative weights
	total  uint64
	Sticky bool // choose by a hash of the client address instead of at random
}

// NewSplit builds a split from weighted targets; a zero weight gets no traffic.
func NewSplit(targets []config.SplitTarget, sticky bool) *Split {
	s := &Split{Sticky: sticky}
	for _, t := range targets {
		s.total += uint64(max(t.Weight, 0))
		s.pools = append(s.pools, t.Pool)
		s.cum = append(s.cum, s.total)
	}
	return s
}

// Pick returns the target index for r, a uniformly random (or, when Sticky, per-client
// hash) 64-bit number. It does not allocate.
func (s *Split) Pick(r uint64) int {
	x := r % s.total
	for i, c := range s.cum {
		if x < c {
			return i
		}
	}
	return len(s.cum) - 1
}

// Pool names target i.
func (s *Split) Pool(i int) string { return s.pools[i] }

// Len is the number of targets.
func (s *Split) Len() int { return len(s.pools) }

// Mirror copies a share of requests to Pool.
type Mirror struct {
	Pool       string
	perMillion uint64
}

// Sample reports whether the request with random number r is mirrored.
func (m *Mirror) Sample(r uint64) bool { return r%1_000_000 < m.perMillion }

// HeaderWriter is the part of a header map an edit needs; net/http's Header has it.
type HeaderWriter interface {
	Set(name, value string)
	Add(name, value string)
	Del(name string)
}

// HeaderEdit removes, then sets, then adds header fields. The zero value does nothing.
type HeaderEdit struct {
	set, add [][2]string
	remove   []string
}

func compileEdit(e *config.HeaderEdit) HeaderEdit {
	if e == nil {
		return HeaderEdit{}
	}
	out := HeaderEdit{remove: e.Remove}
	for _, k := range sortedNames(e.Set) {
		out.set = append(out.set, [2]string{k, e.Set[k]})
	}
	for _, k := range sortedNames(e.Add) {
		out.add = append(out.add, [2]string{k, e.Add[k]})
	}
	return out
}

// Empty reports whether the edit does nothing.
func (e HeaderEdit) Empty() bool { return len(e.set)+len(e.add)+len(e.remove) == 0 }

// Apply edits h.
func (e HeaderEdit) Apply(h HeaderWriter) {
	for _, name := range e.remove {
		h.Del(name)
	}
	for _, kv := range e.set {
		h.Set(kv[0], kv[1])
	}
	for _, kv := range e.add {
		h.Add(kv[0], kv[1])
	}
}

// Rewrite changes the path sent upstream. The zero value keeps it.
type Rewrite struct {
	strip   string // without trailing "/"
	replace string
}

// Empty reports whether the rewrite keeps every path.
func (rw Rewrite) Empty() bool { return rw.strip == "" && rw.replace == "" }

// Apply returns the upstream path for path. strip_prefix is removed only on a segment
// boundary ("/api" from "/api/x", not from "/apix"); replace_prefix takes its place. The
// result always starts with "/" and never has "//" where the two parts join.
func (rw Rewrite) Apply(path string) string {
	rest := path
	if rw.strip != "" {
		if !HasPathPrefix(path, rw.strip) {
			return path
		}
		rest = path[len(rw.strip):]
	}
	if rw.replace == "" {
		return ensureSlash(rest)
	}
	return strings.TrimSuffix(rw.replace, "/") + ensureSlash(rest)
}

func ensureSlash(p string) string {
	if strings.HasPrefix(p, "/") {
		return p
	}
	return "/" + p
}

// Redirect answers with Status and a Location built from the request's parts, each
// replaced by the configured one when set.
type Redirect struct {
	Status             int
	Scheme, Host, Path string
}

// Location is the redirect target for a request with the given scheme, host, path and raw
// query (without "?").
func (rd *Redirect) Location(scheme, host, path, rawQuery string) string {
	if rd.Scheme != "" {
		scheme = rd.Scheme
	}
	if rd.Host != "" {
		host = rd.Host
	}
	if rd.Path != "" {
		path = rd.Path
	}
	if rawQuery != "" {
		path += "?" + rawQuery
	}
	return fmt.Sprintf("%s://%s%s", scheme, host, path)
}

// Respond answers directly with Status and Body.
type Respond struct {
	Status int
	Body   []byte
}

func sortedNames(m map[string]string) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}
