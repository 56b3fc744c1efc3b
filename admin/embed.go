package admin

import (
	_ "embed"
	"net/http"
)

// openAPI describes every endpoint under /api/v1/ (OpenAPI 3.1).
//
//go:embed openapi.json
var openAPI []byte

// dashboardPage is the live dashboard: one self-contained page, no external resources.
//
//go:embed dashboard.html
var dashboardPage []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
}

func serveDashboard(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(dashboardPage)
}
