package config

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Secret reference prefixes. Anything else is a literal secret.
const (
	envPrefix  = "env:"
	filePrefix = "file:"
)

// UnmarshalYAML reads a secret written as a literal, "env:NAME" or
// "file:PATH". A relative file path is taken from the working directory
// here; Load and Parse take it from the config file's directory instead.
// Errors never contain the secret.
func (s *Secret) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.ScalarNode {
		return fmt.Errorf("%w: want a string, got %s", ErrInvalid, nodeKind(node))
	}
	r, err := resolveSecret(node.Value, ".", os.Getenv)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSecret, err)
	}
	*s = r
	return nil
}

// MarshalYAML writes the reference, or a redaction mark for a literal:
// dumping a config must not leak its secrets.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// GoString redacts, like String, so that %#v does not reveal the value.
func (s Secret) GoString() string { return "config.Secret(" + s.String() + ")" }

// resolveSecret turns what the file says into a Secret: env: and file:
// references are looked up (file paths relative to dir), anything else is
// the secret itself.
func resolveSecret(raw, dir string, getenv func(string) string) (Secret, error) {
	switch {
	case strings.HasPrefix(raw, envPrefix):
		name := strings.TrimPrefix(raw, envPrefix)
		if name == "" {
			return Secret{}, fmt.Errorf("%q names no environment variable", raw)
		}
		v := getenv(name)
		if v == "" {
			return Secret{}, fmt.Errorf("environment variable %s is not set or empty", name)
		}
		return Secret{value: v, Ref: raw}, nil
	case strings.HasPrefix(raw, filePrefix):
		p := strings.TrimPrefix(raw, filePrefix)
		if p == "" {
			return Secret{}, fmt.Errorf("%q names no file", raw)
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			// The os error names the path and the cause, never the content.
			return Secret{}, fmt.Errorf("cannot read %s: %w", raw, err)
		}
		// Editors and `echo` add a final newline that is not part of the secret.
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return Secret{}, fmt.Errorf("%s is empty", raw)
		}
		return Secret{value: v, Ref: raw}, nil
	default:
		return Secret{value: raw}, nil
	}
}

// UnmarshalYAML reads a duration such as "90s", "5m" or "24h"; a whole
// number of days ("30d") is accepted too, since retention is counted in days.
func (d *Duration) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.ScalarNode {
		return fmt.Errorf("%w: want a duration, got %s", ErrInvalid, nodeKind(node))
	}
	v, err := ParseDuration(node.Value)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	*d = v
	return nil
}

// MarshalYAML writes the duration in time.Duration's notation.
func (d Duration) MarshalYAML() (any, error) { return d.D().String(), nil }

// ParseDuration parses time.ParseDuration's notation or a whole number of
// days ("30d").
func ParseDuration(s string) (Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		const day = 24 * time.Hour
		n, err := strconv.ParseInt(days, 10, 64)
		if err == nil && n <= int64(math.MaxInt64/day) && n >= int64(math.MinInt64/day) {
			return Duration(time.Duration(n) * day), nil
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (want e.g. 90s, 5m, 24h, 30d)", s)
	}
	return Duration(v), nil
}

// nodeKind names a YAML node's kind for messages.
func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.ScalarNode:
		return "a scalar"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	default:
		return "nothing"
	}
}
