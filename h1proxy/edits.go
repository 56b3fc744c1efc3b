package h1proxy

import (
	"net/textproto"
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
