// Package geotest writes small MaxMind DB files for tests, in the GeoLite2-Country layout
// (country.iso_code, continent.code), so no test downloads a real database.
package geotest

import (
	"net"
	"os"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/fulcrum-lb/fulcrum/geo"
)

// Write creates a database at path mapping each CIDR to a location.
func Write(path string, networks map[string]geo.Location) error {
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-Country", RecordSize: 24, Description: map[string]string{"en": "fulcrum test database"},
		IncludeReservedNetworks: true})
	if err != nil {
		return err
	}
	for cidr, loc := range networks {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			return err
		}
		if err := tree.Insert(network, record(loc)); err != nil {
			return err
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := tree.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func record(loc geo.Location) mmdbtype.Map {
	return mmdbtype.Map{
		"country":   mmdbtype.Map{"iso_code": mmdbtype.String(loc.Country)},
		"continent": mmdbtype.Map{"code": mmdbtype.String(loc.Continent)},
	}
}
