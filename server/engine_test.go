package server_test

import (
	"fmt"
	"os"
	"testing"
)

// engines are the HTTP/1.1 engines every e2e test runs against; FULCRUM_TEST_ENGINE picks one.
var engines = []string{"net_http", "fulcrum"}

// testEngine is the engine the fixture gives http listeners that name none.
var testEngine string

func TestMain(m *testing.M) {
	if e := os.Getenv("FULCRUM_TEST_ENGINE"); e != "" {
		engines = []string{e}
	}
	for _, e := range engines {
		testEngine = e
		if code := m.Run(); code != 0 {
			fmt.Fprintf(os.Stderr, "e2e tests failed with engine %s\n", e)
			os.Exit(code)
		}
	}
	os.Exit(0)
}
