package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*/*.want from the current output")

// TestBadConfigs parses every testdata/bad/NAME.yaml and compares the problems, one
// "FILE:LINE:COL: message" per line, with NAME.want.
func TestBadConfigs(t *testing.T) {
	files := globYAML(t, "testdata/bad")
	if len(files) < 25 {
		t.Fatalf("got %d bad configs, want at least 25", len(files))
	}
	for _, file := range files {
		t.Run(baseName(file), func(t *testing.T) {
			cfg, err := Load(file)
			var problems Problems
			if !errors.As(err, &problems) {
				t.Fatalf("Load(%s) = %v, %v; want Problems", file, cfg, err)
			}
			checkGolden(t, file, err.Error()+"\n")
		})
	}
}

// TestWarnings parses every testdata/warn/NAME.yaml, which must be valid, and compares
// its warnings with NAME.want.
func TestWarnings(t *testing.T) {
	for _, file := range globYAML(t, "testdata/warn") {
		t.Run(baseName(file), func(t *testing.T) {
			cfg, err := Load(file)
			if err != nil {
				t.Fatalf("Load(%s): %v", file, err)
			}
			if len(cfg.Warnings) == 0 {
				t.Fatalf("got no warnings, want some")
			}
			checkGolden(t, file, Problems(cfg.Warnings).Error()+"\n")
		})
	}
}

// checkGolden compares got with the .want file beside yamlFile, or rewrites it with -update.
func checkGolden(t *testing.T, yamlFile, got string) {
	t.Helper()
	wantFile := strings.TrimSuffix(yamlFile, ".yaml") + ".want"
	if *update {
		if err := os.WriteFile(wantFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(wantFile)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("problems differ from %s\ngot:\n%s\nwant:\n%s", wantFile, got, want)
	}
}

func globYAML(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no YAML files in %s (err %v)", dir, err)
	}
	return files
}

func baseName(file string) string { return strings.TrimSuffix(filepath.Base(file), ".yaml") }
