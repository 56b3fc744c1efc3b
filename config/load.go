package config

import (
	"errors"
	"os"
	"reflect"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Load reads and parses the configuration file at path. See Parse.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse decodes, defaults and validates a configuration. filename is used only in
// messages. On success the Config is valid, has every default filled in, and carries
// any warnings in Config.Warnings. Otherwise the error is Problems: every error found,
// each as "FILE:LINE:COL: message", sorted by position.
//
// Keys are matched to the `yaml` tags of the types in this package; an unknown key is an
// error, except keys starting with "x-", which are skipped at any level so they can hold
// YAML anchors to reuse ("x-backend: &b {...}" then "- *b"). A null value counts as absent.
func Parse(filename string, data []byte) (*Config, error) {
	c := newChecker(filename)
	cfg := &Config{}
	if body := parseYAML(c, data); body != nil {
		anchors := anchorCollector{}
		ast.Walk(anchors, body)
		d := &decoder{checker: c, anchors: anchors}
		d.decode(body, reflect.ValueOf(cfg).Elem(), "", "config")
		applyDefaults(c, cfg)
		validate(c, cfg)
	}
	if len(c.problems) > 0 {
		sortByPosition(c.problems)
		return nil, c.problems
	}
	sortByPosition(c.warnings)
	cfg.Warnings = c.warnings
	return cfg, nil
}

// parseYAML returns the single document's body, or nil after reporting why there is none.
func parseYAML(c *checker, data []byte) ast.Node {
	file, err := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		reportSyntaxError(c, err)
		return nil
	}
	var bodies []ast.Node
	for _, doc := range file.Docs {
		if doc.Body != nil {
			bodies = append(bodies, doc.Body)
		}
	}
	switch {
	case len(bodies) == 0:
		c.errorf("", "file is empty; want a mapping with listeners and pools")
		return nil
	case len(bodies) > 1:
		p := nodePosition(bodies[1])
		c.problems = append(c.problems, Problem{File: c.file, Line: p.line, Col: p.col,
			Msg: "want a single YAML document, found another one here"})
		return nil
	}
	return bodies[0]
}

// reportSyntaxError turns the YAML parser's error into one positioned problem.
func reportSyntaxError(c *checker, err error) {
	var se *yaml.SyntaxError
	if errors.As(err, &se) && se.Token != nil {
		c.problems = append(c.problems, Problem{File: c.file, Line: se.Token.Position.Line,
			Col: se.Token.Position.Column, Msg: "YAML syntax error: " + se.Message})
		return
	}
	c.errorf("", "YAML syntax error: %v", err)
}
