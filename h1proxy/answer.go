package h1proxy

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fulcrum-lb/fulcrum/h1"
	"github.com/fulcrum-lb/fulcrum/route"
)

var (
	contentTypeText = h1.Header{Name: []byte("Content-Type"), Value: []byte("text/plain; charset=utf-8")}
	locationName    = []byte("Location")
)

// answerAction serves a route that answers itself, as package l7 does: respond with its status
// and body (text/plain unless the edits name a Content-Type), or redirect with a Location. The
// route's response header edits apply to the answer too. It reports whether the connection
// may serve another request; it allocates only for what the answer needs.
func (cc *clientConn) answerAction(a *route.Action, head int) bool {
	fields := &cc.resp.Headers // no backend response is being read: its fields are scratch
	*fields = (*fields)[:0]
	var status int
	var body []byte
	switch {
	case a.Respond != nil:
		status, body = a.Respond.Status, a.Respond.Body
		editFields(fields, a.ResponseHeaders)
		if ct, _ := headerValue(*fields, "content-type"); len(body) > 0 && len(ct) == 0 {
			*fields = append(*fields, contentTypeText)
		}
	case a.Redirect != nil:
		status = a.Redirect.Status
		*fields = append(*fields, h1.Header{Name: locationName, Value: []byte(cc.redirectLocation(a.Redirect))})
		editFields(fields, a.ResponseHeaders)
	}
	isHead := string(cc.req.Method) == "HEAD"
	keep := cc.skipRequest(head) && !cc.req.Close
	cc.bufs.out = appendAnswer(cc.bufs.out, status, *fields, body, isHead, keep)
	return cc.flush() == nil && keep
}

// redirectLocation builds the Location for rd from the request's scheme, Host and target, the
// target read as net/http reads it (escaped path and raw query of the parsed request URI).
func (cc *clientConn) redirectLocation(rd *route.Redirect) string {
	target := string(cc.req.Target)
	u, err := url.ParseRequestURI(target)
	if err != nil { // not a URI net/url reads: the target's own path and query
		path, query, _ := strings.Cut(string(cc.req.OriginTarget()), "?")
		return rd.Location(cc.fw.Proto, string(cc.req.Host), path, query)
	}
	return rd.Location(cc.fw.Proto, string(cc.req.Host), u.EscapedPath(), u.RawQuery)
}

// appendAnswer appends a response as net/http writes it for a handler that set fields, wrote
// status and then body: Date unless a field gives it, Content-Length where a body is allowed
// (not for an empty answer to HEAD), the body unless the request was HEAD.
func appendAnswer(b []byte, status int, fields h1.Headers, body []byte, isHead, keep bool) []byte {
	b = appendStatusLine(b, status)
	for _, f := range fields {
		b = appendField(b, f.Name, f.Value)
	}
	if _, ok := headerValue(fields, "date"); !ok {
		b = append(b, "Date: "...)
		b = time.Now().UTC().AppendFormat(b, http.TimeFormat)
		b = append(b, '\r', '\n')
	}
	withBody := status != 204 && status != 304
	if withBody && (!isHead || len(body) > 0) {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, '\r', '\n')
	}
	if !keep {
		b = append(b, "Connection: close\r\n"...)
	}
	b = append(b, '\r', '\n')
	if withBody && !isHead {
		b = append(b, body...)
	}
	return b
}

// appendStatusLine writes the status line with net/http's reason phrase ("status code N" for a
// code it does not know).
func appendStatusLine(b []byte, status int) []byte {
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	if text := http.StatusText(status); text != "" {
		b = append(b, text...)
	} else {
		b = append(b, "status code "...)
		b = strconv.AppendInt(b, int64(status), 10)
	}
	return append(b, '\r', '\n')
}

func appendField(b, name, value []byte) []byte {
	b = append(b, name...)
	b = append(b, ": "...)
	b = append(b, value...)
	return append(b, '\r', '\n')
}
