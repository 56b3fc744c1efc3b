package config_test

import (
	"fmt"

	"github.com/fulcrum-lb/fulcrum/config"
)

func ExampleParse() {
	_, err := config.Parse("lb.yaml", []byte(`
listeners:
  - name: web
    listen: 127.0.0.1:8080
    routes: [{pool: ap}]
pools:
  - name: app
    algoritm: random
    backends: [{address: 127.0.0.1:9001, weight: heavy}]
`))
	fmt.Println(err)
	// Output:
	// lb.yaml:5:21: route names pool "ap", which does not exist; did you mean "app"?
	// lb.yaml:8:5: unknown key "algoritm" in pool; did you mean "algorithm"?
	// lb.yaml:9:50: weight: want an integer, got string "heavy"
}
