// Package geo owns client geolocation for routing: it reads a MaxMind GeoLite2/GeoIP2
// Country or City database into memory and answers which country and continent an
// address is in. It does not import net/http; data paths hand it addresses.
package geo

import (
	"fmt"
	"net/netip"
	"os"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Location is where an address is: ISO 3166 country code and continent code, upper-case.
// Both are empty when the address is not in the database.
type Location struct {
	Country   string
	Continent string
}

// DB is an immutable, in-memory geolocation database, safe for concurrent use. The file is
// read whole at Open, so replacing it on disk never disturbs a DB in use; a reload opens a
// new one and the old one is collected when the last request holding it ends.
type DB struct {
	reader *maxminddb.Reader
	path   string
}

// record is the part of a Country or City record routing reads.
type record struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	Continent struct {
		Code string `maxminddb:"code"`
	} `maxminddb:"continent"`
}

// Open reads and checks the database at path. A missing, unreadable or corrupt file is an
// error naming the file.
func Open(path string) (*DB, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("geoip database: %w", err)
	}
	r, err := maxminddb.OpenBytes(data)
	if err != nil {
		return nil, fmt.Errorf("geoip database %s: %w", path, err)
	}
	if err := r.Verify(); err != nil {
		return nil, fmt.Errorf("geoip database %s is corrupt: %w", path, err)
	}
	return &DB{reader: r, path: path}, nil
}

// Lookup returns addr's location, or the zero Location when addr is invalid, unknown or
// the database cannot decode its record. A nil DB knows no location.
func (db *DB) Lookup(addr netip.Addr) Location {
	if db == nil || !addr.IsValid() {
		return Location{}
	}
	var rec record
	if err := db.reader.Lookup(addr.Unmap()).Decode(&rec); err != nil {
		return Location{}
	}
	return Location{Country: rec.Country.ISOCode, Continent: rec.Continent.Code}
}

// Path is the file the database was read from.
func (db *DB) Path() string { return db.path }
