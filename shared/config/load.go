package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxDepth bounds nesting (aliases and merges included): the config
// format is a few levels deep, so anything deeper is a mistake or an attack.
const maxDepth = 100

// nodeBudget bounds the nodes visited per byte of input. Aliases let a
// small file expand exponentially ("billion laughs"); a real config visits
// far fewer nodes than it has bytes.
const nodeBudget = 16

// Load reads, decodes, defaults and validates the config file at path.
// Secret references are resolved; file:PATH is relative to the file's
// directory. Errors name the file, the field and the problem (see Parse).
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes data, the content of the config file at path (used for
// messages and to resolve file: references), applies defaults and
// validates. Every problem found is reported: the error joins
// *FieldError values wrapping ErrSyntax, ErrUnknownField, ErrSecret or
// ErrInvalid.
func Parse(path string, data []byte) (*File, error) {
	p := &problems{file: path}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		p.add(ErrSyntax, "", 0, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		return nil, p.err()
	}
	f := &File{Path: path, lines: map[string]int{}}
	d := &decoder{p: p, dir: filepath.Dir(path), getenv: os.Getenv, lines: f.lines, budget: 1024 + nodeBudget*len(data)}
	if len(root.Content) > 0 {
		d.decode(root.Content[0], reflect.ValueOf(f).Elem(), "", 0)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	f.ApplyDefaults()
	f.resolveTLSPaths()
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

var (
	secretType      = reflect.TypeFor[Secret]()
	durationType    = reflect.TypeFor[Duration]()
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
)

// decoder walks the YAML tree and the Go value together. Doing it by hand
// rather than with yaml's KnownFields gives every problem its exact field
// path, lets secrets resolve relative to the config file, and reports all
// problems instead of the first.
type decoder struct {
	p      *problems
	dir    string
	getenv func(string) string
	// lines maps field paths to their line, for validation messages.
	lines map[string]int
	// budget is how many more nodes may be visited.
	budget int
	// tooDeep is set once maxDepth has been reported.
	tooDeep bool
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string, depth int) {
	if d.budget--; d.budget == 0 {
		d.p.add(ErrInvalid, path, n.Line, "aliases expand too much")
	}
	if d.budget <= 0 {
		return
	}
	if depth > maxDepth {
		if !d.tooDeep {
			d.tooDeep = true
			d.p.add(ErrInvalid, path, n.Line, "nested too deeply")
		}
		return
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			d.p.add(ErrInvalid, path, n.Line, "unresolved alias")
			return
		}
		d.decode(n.Alias, v, path, depth+1)
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // "key:" with no value leaves the zero value (then the default)
	}
	if _, ok := v.Addr().Interface().(scalarShorthand); ok && n.Kind == yaml.ScalarNode {
		d.decode(n, v.Field(0), path, depth+1)
		return
	}
	switch {
	case v.Type() == secretType:
		d.secret(n, v, path)
		return
	case v.Type() == durationType:
		d.duration(n, v, path)
		return
	case reflect.PointerTo(v.Type()).Implements(unmarshalerType):
		if err := n.Decode(v.Addr().Interface()); err != nil {
			d.p.addErr(ErrInvalid, path, n.Line, err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.structure(n, v, path, depth)
	case reflect.Slice:
		d.sequence(n, v, path, depth)
	case reflect.Map:
		d.mapping(n, v, path, depth)
	case reflect.Pointer:
		e := reflect.New(v.Type().Elem())
		d.decode(n, e.Elem(), path, depth+1)
		v.Set(e)
	case reflect.Interface:
		if err := n.Decode(v.Addr().Interface()); err != nil {
			d.p.add(ErrInvalid, path, n.Line, "cannot decode %s", nodeKind(n))
		}
	default:
		d.scalar(n, v, path)
	}
}

func (d *decoder) secret(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.p.add(ErrInvalid, path, n.Line, "want a secret string, got %s", nodeKind(n))
		return
	}
	s, err := resolveSecret(n.Value, d.dir, d.getenv)
	if err != nil {
		d.p.addErr(ErrSecret, path, n.Line, err)
		return
	}
	v.Set(reflect.ValueOf(s))
}

func (d *decoder) duration(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.p.add(ErrInvalid, path, n.Line, "want a duration, got %s", nodeKind(n))
		return
	}
	dur, err := ParseDuration(n.Value)
	if err != nil {
		d.p.addErr(ErrInvalid, path, n.Line, err)
		return
	}
	v.Set(reflect.ValueOf(dur))
}

// scalar decodes strings, numbers and booleans. The message names the
// expected type but not the value, which could be a misplaced secret.
func (d *decoder) scalar(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.p.add(ErrInvalid, path, n.Line, "want %s, got %s", typeName(v.Type()), nodeKind(n))
		return
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		d.p.add(ErrInvalid, path, n.Line, "want %s, got %s", typeName(v.Type()), tagName(n))
	}
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string, depth int) {
	if n.Kind != yaml.MappingNode {
		d.p.add(ErrInvalid, path, n.Line, "want a mapping, got %s", nodeKind(n))
		return
	}
	fields := fieldsOf(v.Type())
	// Merge keys ("<<: *base") first, so that keys written here win.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.ShortTag() == "!!merge" {
			d.merge(n.Content[i+1], v, path, depth)
		}
	}
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.ShortTag() == "!!merge" {
			continue
		}
		fp := joinPath(path, k.Value)
		if k.Kind != yaml.ScalarNode {
			d.p.add(ErrInvalid, path, k.Line, "want a field name, got %s", nodeKind(k))
			continue
		}
		if seen[k.Value] {
			d.p.add(ErrInvalid, fp, k.Line, "duplicate field")
			continue
		}
		seen[k.Value] = true
		idx, ok := fields[k.Value]
		if !ok {
			d.p.add(ErrUnknownField, fp, k.Line, "unknown field")
			continue
		}
		d.lines[fp] = k.Line
		d.decode(val, v.FieldByIndex(idx), fp, depth+1)
	}
}

// merge applies a merge key's value: a mapping or a sequence of them.
func (d *decoder) merge(n *yaml.Node, v reflect.Value, path string, depth int) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.SequenceNode {
		for _, m := range n.Content {
			d.merge(m, v, path, depth+1)
		}
		return
	}
	d.decode(n, v, path, depth+1)
}

func (d *decoder) sequence(n *yaml.Node, v reflect.Value, path string, depth int) {
	if n.Kind != yaml.SequenceNode {
		d.p.add(ErrInvalid, path, n.Line, "want a sequence, got %s", nodeKind(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, e := range n.Content {
		ep := fmt.Sprintf("%s[%d]", path, i)
		d.lines[ep] = e.Line
		d.decode(e, s.Index(i), ep, depth+1)
	}
	v.Set(s)
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string, depth int) {
	if n.Kind != yaml.MappingNode {
		d.p.add(ErrInvalid, path, n.Line, "want a mapping, got %s", nodeKind(n))
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		fp := joinPath(path, k.Value)
		key := reflect.New(v.Type().Key()).Elem()
		if k.Kind != yaml.ScalarNode || k.Decode(key.Addr().Interface()) != nil {
			d.p.add(ErrInvalid, fp, k.Line, "want a %s key", typeName(v.Type().Key()))
			continue
		}
		if m.MapIndex(key).IsValid() {
			d.p.add(ErrInvalid, fp, k.Line, "duplicate key")
			continue
		}
		d.lines[fp] = k.Line
		e := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, e, fp, depth+1)
		m.SetMapIndex(key, e)
	}
	v.Set(m)
}

// fieldsOf maps YAML names to field indexes, following yaml's tag rules:
// `yaml:"name,opts"`, "-" skips, the default name is the lower-cased
// field name, and ",inline" embeds a struct's fields.
func fieldsOf(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",inline,") && sf.Type.Kind() == reflect.Struct {
			for n, idx := range fieldsOf(sf.Type) {
				out[n] = append([]int{i}, idx...)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name)
		}
		out[name] = []int{i}
	}
	return out
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// typeName names a Go type the way a config author thinks of it.
func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	default:
		return t.String()
	}
}

// tagName names a scalar's YAML type without showing its value.
func tagName(n *yaml.Node) string {
	switch n.ShortTag() {
	case "!!str":
		return "a string"
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	default:
		return n.ShortTag()
	}
}
