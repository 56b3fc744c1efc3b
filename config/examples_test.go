package config

import (
	"path/filepath"
	"testing"
)

// TestExamplesLoad loads every ../examples/*.yaml: each must be valid and free of warnings.
func TestExamplesLoad(t *testing.T) {
	files := globYAML(t, filepath.Join("..", "examples"))
	for _, file := range files {
		t.Run(baseName(file), func(t *testing.T) {
			cfg, err := Load(file)
			if err != nil {
				t.Fatalf("got problems, want none:\n%v", err)
			}
			if len(cfg.Warnings) > 0 {
				t.Errorf("got warnings, want none:\n%v", Problems(cfg.Warnings))
			}
		})
	}
}

// TestRoundTrip checks that Marshal writes what Parse reads back to an equal Config,
// for the examples and testdata/good.
func TestRoundTrip(t *testing.T) {
	files := append(globYAML(t, filepath.Join("..", "examples")), globYAML(t, filepath.Join("testdata", "good"))...)
	for _, file := range files {
		t.Run(baseName(file), func(t *testing.T) {
			first := mustLoad(t, file)
			out, err := first.Marshal()
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			second, err := Parse("marshaled", out)
			if err != nil {
				t.Fatalf("Parse(Marshal()) failed:\n%v\n--- marshaled:\n%s", err, out)
			}
			first.Warnings, second.Warnings = nil, nil
			if diff := diffConfigs(first, second); diff != "" {
				t.Errorf("round trip changed the config: %s\n--- marshaled:\n%s", diff, out)
			}
		})
	}
}

func mustLoad(t *testing.T, file string) *Config {
	t.Helper()
	cfg, err := Load(file)
	if err != nil {
		t.Fatalf("Load(%s):\n%v", file, err)
	}
	return cfg
}
