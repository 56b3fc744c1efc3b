package l7

import (
	"net/http"

	"github.com/fulcrum-lb/fulcrum/route"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// answered serves routes that answer themselves (respond, redirect) and reports whether it
// did. The route's response header edits apply to these answers too.
func answered(w http.ResponseWriter, r *http.Request, a *route.Action) bool {
	switch {
	case a.Respond != nil:
		a.ResponseHeaders.Apply(w.Header())
		if len(a.Respond.Body) > 0 && w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		}
		w.WriteHeader(a.Respond.Status)
		w.Write(a.Respond.Body)
		return true
	case a.Redirect != nil:
		w.Header().Set("Location", a.Redirect.Location(requestScheme(r), r.Host, r.URL.EscapedPath(), r.URL.RawQuery))
		a.ResponseHeaders.Apply(w.Header())
		w.WriteHeader(a.Redirect.Status)
		return true
	}
	return false
}

func requestScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// applyRewrite changes the outbound path as the route's rewrite says; net/url keeps RawPath
// only while it still encodes Path.
func applyRewrite(out *http.Request, a *route.Action) {
	if a.Rewrite.Empty() {
		return
	}
	out.URL.Path = a.Rewrite.Apply(out.URL.Path)
	if out.URL.RawPath != "" {
		out.URL.RawPath = a.Rewrite.Apply(out.URL.RawPath)
	}
}

// backendScheme is https for pools with tls, else http (h2c included).
func backendScheme(p *runtime.Pool) string {
	if p.Config.TLS != nil {
		return "https"
	}
	return "http"
}
