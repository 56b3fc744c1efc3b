package config

import (
	"fmt"
	"time"
)

// UnmarshalText reads a duration written with a unit, like "500ms", "2s" or "1m".
// A bare number and a negative duration are errors; "0s" is allowed here and left to
// validation, which knows whether zero makes sense for the field.
func (d *Duration) UnmarshalText(text []byte) error {
	s := string(text)
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q; want a number with a unit, like 500ms, 2s or 1m", s)
	}
	if v < 0 {
		return fmt.Errorf("duration must not be negative, got %s", s)
	}
	d.Duration = v
	return nil
}

// MarshalYAML writes the duration the way UnmarshalText reads it ("2s", "1m30s").
func (d Duration) MarshalYAML() (any, error) {
	return d.Duration.String(), nil
}

// IsZero reports whether the duration is zero, so that omitempty leaves it out.
func (d Duration) IsZero() bool { return d.Duration == 0 }
