package h1proxy

import (
	"net/textproto"
	"net/url"
	"unsafe"

	"github.com/fulcrum-lb/fulcrum/h1"
	"github.com/fulcrum-lb/fulcrum/route"
)

// fieldEditor lets a route.HeaderEdit change a parsed head's fields in place, as net/http's
// Header would: names match case-insensitively, Set replaces every field of that name, Add
// appends one. Added fields keep the configured strings (no copy): h1 only reads them.
type fieldEditor struct{ h *h1.Headers }

func (e fieldEditor) Del(name string) {
	kept := (*e.h)[:0]
	for _, f := range *e.h {
		if !equalFold(f.Name, name) {
			kept = append(kept, f)
		}
	}
	*e.h = kept
}

func (e fieldEditor) Set(name, value string) {
	e.Del(name)
	e.Add(name, value)
}

func (e fieldEditor) Add(name, value string) {
	*e.h = append(*e.h, h1.Header{Name: readOnly(textproto.CanonicalMIMEHeaderKey(name)), Value: readOnly(value)})
}

// readOnly returns s's bytes without copying; the caller must never write them.
func readOnly(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// editFields applies edit to h. It costs nothing when the edit is empty.
func editFields(h *h1.Headers, edit route.HeaderEdit) {
	if !edit.Empty() {
		edit.Apply(fieldEditor{h})
	}
}

// rewriteTarget returns the target to forward under rw, read and rebuilt as package l7 does
// with net/url (the rewrite applies to the decoded path and, when kept, its raw form), or nil
// to forward the request's own target. It allocates; the caller skips it for an empty rewrite.
func rewriteTarget(rw route.Rewrite, target []byte) []byte {
	u, err := url.ParseRequestURI(string(target))
	if err != nil {
		return nil
	}
	u.Path = rw.Apply(u.Path)
	if u.RawPath != "" {
		u.RawPath = rw.Apply(u.RawPath)
	}
	return []byte(u.RequestURI())
}

// appendForwardedHead appends h1's forwarded head for req, with target on the request line in
// place of the request's own when it is not nil. It allocates only when dst lacks capacity.
func appendForwardedHead(dst []byte, req *h1.Request, fw *h1.Forwarding, target []byte) []byte {
	if target == nil {
		return h1.AppendRequestHead(dst, req, fw)
	}
	dst = append(dst, req.Method...)
	dst = append(dst, ' ')
	dst = append(dst, target...)
	dst = append(dst, " HTTP/1.1\r\n"...)
	mark := len(dst)
	dst = h1.AppendRequestHead(dst, req, fw)
	ownLine := len(req.Method) + len(" ") + len(req.OriginTarget()) + len(" HTTP/1.1\r\n")
	return append(dst[:mark], dst[mark+ownLine:]...)
}
