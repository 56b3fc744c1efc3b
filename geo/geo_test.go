package geo_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fulcrum-lb/fulcrum/geo"
	"github.com/fulcrum-lb/fulcrum/geo/geotest"
)

func TestLookup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.mmdb")
	err := geotest.Write(path, map[string]geo.Location{
		"127.0.0.0/24":  {Country: "DE", Continent: "EU"},
		"127.0.1.0/24":  {Country: "US", Continent: "NA"},
		"2001:db8::/32": {Country: "JP", Continent: "AS"},
	})
	if err != nil {
		t.Fatal(err)
	}
	db, err := geo.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	for _, tc := range []struct {
		addr string
		want geo.Location
	}{
		{"127.0.0.9", geo.Location{Country: "DE", Continent: "EU"}},
		{"::ffff:127.0.1.200", geo.Location{Country: "US", Continent: "NA"}},
		{"2001:db8::1", geo.Location{Country: "JP", Continent: "AS"}},
		{"127.0.2.1", geo.Location{}},
	} {
		if got := db.Lookup(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("Lookup(%s) = %+v, want %+v", tc.addr, got, tc.want)
		}
	}
	if got := db.Lookup(netip.Addr{}); got != (geo.Location{}) {
		t.Errorf("Lookup(invalid) = %+v, want zero", got)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.mmdb")
	os.WriteFile(corrupt, []byte("not a database"), 0o644)
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.mmdb"), "no such file"},
		{corrupt, "corrupt.mmdb"},
	} {
		_, err := geo.Open(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%s) error = %v, want one containing %q", tc.path, err, tc.want)
		}
	}
}
