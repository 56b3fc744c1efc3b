package config

import (
	"encoding"
	"fmt"
	"math"
	"net/netip"
	"reflect"
	"strings"
	"unicode"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// decoder fills typed structs from the YAML AST by reflection over `yaml:"name"` tags,
// recording the position of every value in the checker and reporting every mismatch
// rather than stopping at the first. A new field needs only a tagged struct field; a
// new scalar type needs only an UnmarshalText method.
type decoder struct {
	*checker
	anchors map[string]ast.Node
}

// extensionPrefix starts keys that the decoder skips, at any level: a place for YAML
// anchors to share ("x-backend: &b {...}") and for notes.
const extensionPrefix = "x-"

var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

// scalarSetter is a struct type that may also be written as a plain scalar (a header
// match's exact value); written as a mapping it is decoded field by field as usual.
type scalarSetter interface{ SetScalar(text string) }

var scalarSetterType = reflect.TypeFor[scalarSetter]()

// textTypeNames describes text types whose UnmarshalText errors do not say what they
// want; other types' errors are shown as they are.
var textTypeNames = map[reflect.Type]string{
	reflect.TypeFor[netip.Prefix](): "an IP prefix like 10.0.0.0/8",
	reflect.TypeFor[netip.Addr]():   "an IP address",
}

// decode stores node into v. path names v for positions and messages; what names the
// enclosing struct in "unknown key" messages.
func (d *decoder) decode(node ast.Node, v reflect.Value, path, what string) {
	node = d.resolve(node)
	d.pos[path] = nodePosition(node)
	if node.Type() == ast.NullType {
		d.null[path] = true
		return
	}
	if reflect.PointerTo(v.Type()).Implements(textUnmarshalerType) {
		d.decodeText(node, v, path)
		return
	}
	if text, ok := scalarText(node); ok && reflect.PointerTo(v.Type()).Implements(scalarSetterType) {
		v.Addr().Interface().(scalarSetter).SetScalar(text)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		d.decode(node, v.Elem(), path, what)
	case reflect.Struct:
		d.decodeStruct(node, v, path, what)
	case reflect.Slice:
		d.decodeSlice(node, v, path)
	case reflect.Map:
		d.decodeMap(node, v, path)
	default:
		d.decodeScalar(node, v, path)
	}
}

// anchorCollector records every anchor in a document, so an alias may refer to an
// anchor under a key the decoder skips (such as an "x-" key).
type anchorCollector map[string]ast.Node

func (a anchorCollector) Visit(node ast.Node) ast.Visitor {
	if n, ok := node.(*ast.AnchorNode); ok {
		a[n.Name.GetToken().Value] = n.Value
	}
	return a
}

// resolve looks through anchors, aliases and tags to the node that holds the value.
func (d *decoder) resolve(node ast.Node) ast.Node {
	for {
		switch n := node.(type) {
		case *ast.AnchorNode:
			node = n.Value
		case *ast.AliasNode:
			target, ok := d.anchors[n.Value.GetToken().Value]
			if !ok {
				return node // reported as an unexpected alias by the caller
			}
			node = target
		case *ast.TagNode:
			node = n.Value
		default:
			return node
		}
	}
}

// nodePosition is where a node starts; a block mapping starts at its first key.
func nodePosition(node ast.Node) position {
	if m, ok := node.(*ast.MappingNode); ok && len(m.Values) > 0 {
		node = m.Values[0].Key
	}
	tk := node.GetToken()
	return position{tk.Position.Line, tk.Position.Column}
}

// decodeStruct reads a mapping into a struct, field by field via the yaml tags.
func (d *decoder) decodeStruct(node ast.Node, v reflect.Value, path, what string) {
	m, ok := node.(*ast.MappingNode)
	if !ok {
		d.mismatch(node, path, "a mapping")
		return
	}
	fields := structFields(v.Type())
	seen := map[string]int{}
	for _, kv := range m.Values {
		key := kv.Key.GetToken().Value
		keyPath := childPath(path, key)
		if line, dup := seen[key]; dup {
			d.errorAtNode(kv.Key, "duplicate key %q in %s (first at line %d)", key, what, line)
			continue
		}
		seen[key] = kv.Key.GetToken().Position.Line
		if strings.HasPrefix(key, extensionPrefix) {
			continue
		}
		idx, known := fields[key]
		if !known {
			d.errorAtNode(kv.Key, "unknown key %q in %s%s", key, what, didYouMean(key, fieldNames(v.Type())))
			continue
		}
		d.decode(kv.Value, v.Field(idx), keyPath, key)
	}
}

// decodeSlice reads a sequence, one element per entry.
func (d *decoder) decodeSlice(node ast.Node, v reflect.Value, path string) {
	seq, ok := node.(*ast.SequenceNode)
	if !ok {
		d.mismatch(node, path, "a list")
		return
	}
	elems := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
	what := snakeCase(v.Type().Elem().Name())
	for i, item := range seq.Values {
		d.decode(item, elems.Index(i), indexPath(path, i), what)
	}
	v.Set(elems)
}

// decodeMap reads a mapping into a map with string keys.
func (d *decoder) decodeMap(node ast.Node, v reflect.Value, path string) {
	m, ok := node.(*ast.MappingNode)
	if !ok {
		d.mismatch(node, path, "a mapping")
		return
	}
	out := reflect.MakeMapWithSize(v.Type(), len(m.Values))
	for _, kv := range m.Values {
		key := kv.Key.GetToken().Value
		val := reflect.New(v.Type().Elem()).Elem()
		d.decode(kv.Value, val, childPath(path, key), key)
		out.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), val)
	}
	v.Set(out)
}

// decodeText hands a scalar's text to the type's UnmarshalText.
func (d *decoder) decodeText(node ast.Node, v reflect.Value, path string) {
	text, ok := scalarText(node)
	if !ok {
		d.mismatch(node, path, "a string")
		return
	}
	err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(text))
	switch want, described := textTypeNames[v.Type()]; {
	case err == nil:
	case described:
		d.failf(path, "%s: %q is not %s (%s)", lastElem(path), text, want, errorReason(err))
	default:
		d.failf(path, "%s: %v", lastElem(path), err)
	}
}

// errorReason drops a leading `pkg.Func("input"): ` from a parse error, keeping the reason.
func errorReason(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "): "); i >= 0 {
		return msg[i+3:]
	}
	return msg
}

// decodeScalar reads a string, integer, float or boolean.
func (d *decoder) decodeScalar(node ast.Node, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.String:
		d.decodeString(node, v, path)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		d.decodeInt(node, v, path)
	case reflect.Float32, reflect.Float64:
		d.decodeFloat(node, v, path)
	case reflect.Bool:
		d.decodeBool(node, v, path)
	default:
		panic(fmt.Sprintf("config: field %s has unsupported type %s", path, v.Type()))
	}
}

// decodeString accepts strings, and numbers as written (so expect_status: [200] works).
func (d *decoder) decodeString(node ast.Node, v reflect.Value, path string) {
	switch node.Type() {
	case ast.StringType, ast.LiteralType, ast.IntegerType, ast.FloatType:
		text, _ := scalarText(node)
		v.SetString(text)
	default:
		d.mismatch(node, path, "a string")
	}
}

func (d *decoder) decodeInt(node ast.Node, v reflect.Value, path string) {
	n, ok := node.(*ast.IntegerNode)
	if !ok && isDigits(node) {
		d.failf(path, "%s: integer %s is out of range", lastElem(path), node.GetToken().Value)
		return
	}
	if !ok {
		d.mismatch(node, path, "an integer")
		return
	}
	i, fits := int64Value(n)
	if !fits || v.OverflowInt(i) {
		d.failf(path, "%s: integer %s is out of range", lastElem(path), n.GetToken().Value)
		return
	}
	v.SetInt(i)
}

func (d *decoder) decodeFloat(node ast.Node, v reflect.Value, path string) {
	switch n := node.(type) {
	case *ast.FloatNode:
		v.SetFloat(n.Value)
	case *ast.IntegerNode:
		f, _ := scalarFloat(n)
		v.SetFloat(f)
	default:
		d.mismatch(node, path, "a number")
	}
}

func (d *decoder) decodeBool(node ast.Node, v reflect.Value, path string) {
	b, ok := node.(*ast.BoolNode)
	if !ok {
		d.mismatch(node, path, "true or false")
		return
	}
	v.SetBool(b.Value)
}

// isDigits reports whether node is a plain string of decimal digits: the parser's
// form for an integer too large for 64 bits.
func isDigits(node ast.Node) bool {
	s, ok := node.(*ast.StringNode)
	return ok && s.Value != "" && s.GetToken().Type != token.DoubleQuoteType &&
		s.GetToken().Type != token.SingleQuoteType && strings.Trim(s.Value, "0123456789") == ""
}

// int64Value is an integer node's value, if it fits in an int64 (the parser stores
// non-negative integers as uint64).
func int64Value(n *ast.IntegerNode) (int64, bool) {
	switch i := n.Value.(type) {
	case int64:
		return i, true
	case uint64:
		return int64(i), i <= math.MaxInt64
	}
	return 0, false
}

// scalarFloat converts an integer node's value to float64.
func scalarFloat(n *ast.IntegerNode) (float64, bool) {
	switch i := n.Value.(type) {
	case int64:
		return float64(i), true
	case uint64:
		return float64(i), true
	}
	return 0, false
}

// scalarText is the text of a string-like or numeric scalar as written.
func scalarText(node ast.Node) (string, bool) {
	switch n := node.(type) {
	case *ast.StringNode:
		return n.Value, true
	case *ast.LiteralNode:
		return n.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode:
		return n.GetToken().Value, true
	}
	return "", false
}

// mismatch reports a value of the wrong kind: "weight: want an integer, got string \"abc\"".
func (d *decoder) mismatch(node ast.Node, path, want string) {
	d.failf(path, "%s: want %s, got %s", lastElem(path), want, describe(node))
}

// failf reports a decoding error at path and marks path as failed, so validation does
// not report the same mistake again.
func (d *decoder) failf(path, format string, args ...any) {
	d.errorf(path, format, args...)
	d.bad[path] = true
}

// errorAtNode reports an error at a node that has no path of its own (a map key).
func (d *decoder) errorAtNode(node ast.Node, format string, args ...any) {
	p := nodePosition(node)
	d.problems = append(d.problems, Problem{File: d.file, Line: p.line, Col: p.col, Msg: fmt.Sprintf(format, args...)})
}

// describe names a node's kind and, for scalars, its value.
func describe(node ast.Node) string {
	tk := node.GetToken().Value
	switch node.Type() {
	case ast.MappingType:
		return "a mapping"
	case ast.SequenceType:
		return "a list"
	case ast.StringType, ast.LiteralType:
		text, _ := scalarText(node)
		return fmt.Sprintf("string %q", text)
	case ast.IntegerType:
		return "integer " + tk
	case ast.FloatType:
		return "float " + tk
	case ast.BoolType:
		return "boolean " + tk
	case ast.AliasType:
		return "alias " + node.String() + " to an unknown anchor"
	}
	return strings.ToLower(node.Type().String()) + " " + tk
}

// structFields maps each yaml key of t to its field index. Fields tagged "-" or
// without a tag are not read from the file.
func structFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			out[name] = i
		}
	}
	return out
}

// fieldNames lists t's yaml keys in declaration order, for "did you mean".
func fieldNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			out = append(out, name)
		}
	}
	return out
}

// yamlName is the key a field is read from, or "" if it is not read from YAML.
func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	return name
}

// snakeCase turns a Go type name into the word used in messages: HealthCheck → health_check.
func snakeCase(name string) string {
	var b strings.Builder
	for i, r := range name {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
