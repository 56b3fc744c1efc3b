package config

import "github.com/goccy/go-yaml"

// Marshal writes the configuration as YAML that Parse reads back to an equal Config
// (Warnings aside), durations as "2s". Fields tagged omitempty are left out when zero,
// which is safe only where zero and absent mean the same after defaults: a field whose
// explicit zero differs from its default (retry_body_limit, consecutive_failures) must
// not be tagged omitempty.
func (c *Config) Marshal() ([]byte, error) {
	return yaml.MarshalWithOptions(c, yaml.IndentSequence(true))
}
