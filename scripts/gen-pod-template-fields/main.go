// Command gen-pod-template-fields reflects over k8s.io/api core/v1 PodTemplateSpec and Argo
// Rollouts' v1alpha1 []CanaryStep (the versions Argo Rollouts v1.10.2 is released with, see
// go.mod) and writes src/rollout/pod-template-fields.generated.ts: for every struct reachable
// from them, the fields in the order Go's encoding/json writes them, with their JSON names,
// omitempty/omitzero flags and value kinds. The TypeScript pod-template and step hashers walk a
// value by this table to reproduce json.Marshal byte for byte.
//
// Usage (from this directory; go.mod pins Argo Rollouts v1.10.2, which needs a newer Go):
//
//	GOTOOLCHAIN=go1.27.3 go run . [output path]
//
// The golden values the TypeScript tests compare against come from `go run ./hashcheck`.
package main

import (
	"encoding"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const defaultOutput = "../../src/rollout/pod-template-fields.generated.ts"

// Types with their own MarshalJSON that the TypeScript side implements by hand.
// Any other type with a marshaler stops the generator.
var leafKinds = map[reflect.Type]string{
	reflect.TypeFor[metav1.Time]():        "time",
	reflect.TypeFor[resource.Quantity]():  "quantity",
	reflect.TypeFor[intstr.IntOrString](): "intorstring",
	reflect.TypeFor[metav1.FieldsV1]():    "raw",
	// Argo's plugin step config: the raw JSON, compacted.
	reflect.TypeFor[json.RawMessage](): "raw",
}

var (
	plainName         = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// field is one JSON member of a struct after Go's embedding rules are applied.
type field struct {
	name      string
	tagged    bool
	index     []int
	typ       reflect.Type
	omitEmpty bool
	omitZero  bool
}

// jsonFields lists the members encoding/json writes for struct type t: exported fields, fields
// of embedded structs without a JSON name promoted into the parent, name conflicts resolved by
// depth then by tag (a tie drops all of them), in field-index order.
func jsonFields(t reflect.Type) []field {
	var fields []field
	type level struct {
		typ   reflect.Type
		index []int
	}
	next := []level{{typ: t}}
	visited := map[reflect.Type]bool{}
	for len(next) > 0 {
		current := next
		next = nil
		for _, l := range current {
			if visited[l.typ] {
				continue
			}
			visited[l.typ] = true
			for i := range l.typ.NumField() {
				sf := l.typ.Field(i)
				if sf.Anonymous {
					et := sf.Type
					if et.Kind() == reflect.Pointer {
						fail("%s.%s: embedded pointer structs are not supported by the TS hasher", l.typ, sf.Name)
					}
					if !sf.IsExported() && et.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				optList := strings.Split(opts, ",")
				if slices.Contains(optList, "string") {
					fail("%s.%s: the ,string option is not supported", l.typ, sf.Name)
				}
				index := append(slices.Clone(l.index), i)
				if name != "" || !sf.Anonymous || sf.Type.Kind() != reflect.Struct {
					tagged := name != ""
					if name == "" {
						name = sf.Name
					}
					fields = append(fields, field{
						name:      name,
						tagged:    tagged,
						index:     index,
						typ:       sf.Type,
						omitEmpty: slices.Contains(optList, "omitempty"),
						omitZero:  slices.Contains(optList, "omitzero"),
					})
					continue
				}
				next = append(next, level{typ: sf.Type, index: index})
			}
		}
	}

	byName := map[string][]field{}
	for _, f := range fields {
		byName[f.name] = append(byName[f.name], f)
	}
	var out []field
	for _, group := range byName {
		slices.SortFunc(group, func(a, b field) int { return len(a.index) - len(b.index) })
		shallowest := len(group[0].index)
		var candidates []field
		for _, f := range group {
			if len(f.index) == shallowest {
				candidates = append(candidates, f)
			}
		}
		if len(candidates) == 1 {
			out = append(out, candidates[0])
			continue
		}
		var tagged []field
		for _, f := range candidates {
			if f.tagged {
				tagged = append(tagged, f)
			}
		}
		if len(tagged) == 1 {
			out = append(out, tagged[0])
		}
	}
	sort.Slice(out, func(i, j int) bool { return slices.Compare(out[i].index, out[j].index) < 0 })
	return out
}

type generator struct {
	used    map[string]bool
	structs map[string]reflect.Type
	order   []string
	fields  map[string][]field
}

// typeExpr returns the TypeScript expression (in the generated file's vocabulary) for a Go type,
// queueing struct types for emission.
func (g *generator) typeExpr(t reflect.Type, where string) string {
	if kind, ok := leafKinds[t]; ok {
		g.used[kind] = true
		return kind
	}
	if t.Kind() == reflect.Pointer {
		g.used["ptr"] = true
		return "ptr(" + g.typeExpr(t.Elem(), where) + ")"
	}
	if t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) ||
		t.Implements(textMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType) {
		fail("%s: %s has its own JSON/text marshaler; teach the TS hasher about it first", where, t)
	}
	switch t.Kind() {
	case reflect.String:
		g.used["string"] = true
		return "string"
	case reflect.Bool:
		g.used["bool"] = true
		return "bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		g.used["int"] = true
		return "int"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			fail("%s: []byte (base64) is not supported by the TS hasher", where)
		}
		g.used["slice"] = true
		return "slice(" + g.typeExpr(t.Elem(), where) + ")"
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			fail("%s: map key %s is not a string kind", where, t.Key())
		}
		g.used["map"] = true
		return "map(" + g.typeExpr(t.Elem(), where) + ")"
	case reflect.Struct:
		name := t.Name()
		if prev, ok := g.structs[name]; ok {
			if prev != t {
				fail("struct name %s is used by both %s and %s", name, prev.PkgPath(), t.PkgPath())
			}
		} else {
			g.structs[name] = t
			g.order = append(g.order, name)
			g.fields[name] = jsonFields(t)
			for _, f := range g.fields[name] {
				if !plainName.MatchString(f.name) {
					fail("%s.%s: the TS hasher writes member names unescaped", name, f.name)
				}
				g.typeExpr(f.typ, name+"."+f.name)
			}
		}
		return "struct('" + name + "')"
	default:
		fail("%s: unsupported kind %s (%s)", where, t.Kind(), t)
	}
	return ""
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gen-pod-template-fields: "+format+"\n", args...)
	os.Exit(1)
}

func moduleVersion(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, dep := range info.Deps {
		if dep.Path == path {
			return dep.Version
		}
	}
	return "unknown"
}

func main() {
	output := defaultOutput
	if len(os.Args) > 1 {
		output = os.Args[1]
	}
	g := &generator{used: map[string]bool{}, structs: map[string]reflect.Type{}, fields: map[string][]field{}}
	root := g.typeExpr(reflect.TypeFor[corev1.PodTemplateSpec](), "PodTemplateSpec")
	stepsRoot := g.typeExpr(reflect.TypeFor[[]v1alpha1.CanaryStep](), "CanaryStep")

	var b strings.Builder
	fmt.Fprintf(&b, "// Code generated by scripts/gen-pod-template-fields from k8s.io/api %s, k8s.io/apimachinery %s\n",
		moduleVersion("k8s.io/api"), moduleVersion("k8s.io/apimachinery"))
	fmt.Fprintf(&b, "// and github.com/argoproj/argo-rollouts %s\n", moduleVersion("github.com/argoproj/argo-rollouts"))
	fmt.Fprintf(&b, "// with %s. DO NOT EDIT: change the generator and run `go run .` in that folder.\n", runtime.Version())
	b.WriteString(`//
// Every struct reachable from core/v1 PodTemplateSpec and Argo's []CanaryStep, with its members in the order Go's
// encoding/json writes them (members of embedded structs already promoted into the parent).

/** How one Go value is written by encoding/json; kinds with their own MarshalJSON are named. */
export type GoType =
  | { readonly kind: 'string' | 'bool' | 'int' }
  | { readonly kind: 'quantity' | 'time' | 'intorstring' | 'raw' }
  | { readonly kind: 'struct'; readonly name: string }
  | { readonly kind: 'ptr' | 'slice' | 'map'; readonly elem: GoType };

/** One member of a Go struct as encoding/json sees it. */
export interface GoField {
  readonly json: string;
  readonly type: GoType;
  readonly omitempty: boolean;
  readonly omitzero: boolean;
}

`)
	for _, leaf := range []string{"string", "bool", "int", "quantity", "time", "intorstring", "raw"} {
		if g.used[leaf] {
			fmt.Fprintf(&b, "const %s: GoType = { kind: '%s' };\n", leaf, leaf)
		}
	}
	b.WriteString("const struct = (name: string): GoType => ({ kind: 'struct', name });\n")
	for _, wrapper := range []string{"ptr", "slice", "map"} {
		if g.used[wrapper] {
			fmt.Fprintf(&b, "const %s = (elem: GoType): GoType => ({ kind: '%s', elem });\n", wrapper, wrapper)
		}
	}
	b.WriteString(`const f = (json: string, type: GoType, omitempty = false, omitzero = false): GoField => ({
  json,
  type,
  omitempty,
  omitzero,
});

`)
	fmt.Fprintf(&b, "export const podTemplateRootType: GoType = %s;\n", root)
	fmt.Fprintf(&b, "export const canaryStepsRootType: GoType = %s;\n\n", stepsRoot)
	b.WriteString("// biome-ignore format: one member per line mirrors the Go struct declarations\n")
	b.WriteString("export const podTemplateStructs: Readonly<Record<string, readonly GoField[]>> = {\n")
	names := slices.Clone(g.order)
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(&b, "  %s: [\n", name)
		for _, fl := range g.fields[name] {
			expr := g.typeExpr(fl.typ, name+"."+fl.name)
			switch {
			case fl.omitZero:
				fmt.Fprintf(&b, "    f('%s', %s, %t, true),\n", fl.name, expr, fl.omitEmpty)
			case fl.omitEmpty:
				fmt.Fprintf(&b, "    f('%s', %s, true),\n", fl.name, expr)
			default:
				fmt.Fprintf(&b, "    f('%s', %s),\n", fl.name, expr)
			}
		}
		b.WriteString("  ],\n")
	}
	b.WriteString("};\n")
	if err := os.WriteFile(output, []byte(b.String()), 0o644); err != nil {
		fail("%v", err)
	}
	fmt.Printf("wrote %d struct types to %s\n", len(names), output)
}
