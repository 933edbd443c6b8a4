// Command hashcheck produces the golden values the TypeScript pod-template hasher is tested
// against: for every fixture under test/fixtures/pod-template-hash it decodes the template the
// way client-go does (case-sensitive, into the real corev1.PodTemplateSpec), marshals it with
// encoding/json and applies Argo Rollouts' pod-template-hash algorithm (re-implemented here from
// its documented behaviour, not copied); for quantities.json it records Quantity's canonical JSON.
//
// Usage (from the parent directory): go run ./hashcheck [fixture dir]
package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/rand"
	kjson "sigs.k8s.io/json"
)

const defaultFixtureDir = "../../test/fixtures/pod-template-hash"

type fixture struct {
	Template       json.RawMessage   `json:"template"`
	CollisionCount *int32            `json:"collisionCount"`
	Quantities     []json.RawMessage `json:"quantities"`
}

type templateResult struct {
	CollisionCount *int32 `json:"collisionCount"`
	GoJSON         string `json:"goJson"`
	// Hash is what current Argo Rollouts writes (json, then a null creationTimestamp restored).
	Hash string `json:"hash"`
	// HashWithoutRestore is what Argo Rollouts v1.9.0 wrote (json of k8s >= 0.33 types as is).
	HashWithoutRestore string `json:"hashWithoutRestore"`
}

type quantityResult struct {
	Input  json.RawMessage `json:"input"`
	Output string          `json:"output,omitempty"`
	Error  string          `json:"error,omitempty"`
}

type golden struct {
	GeneratedBy string                    `json:"generatedBy"`
	Templates   map[string]templateResult `json:"templates"`
	Quantities  []quantityResult          `json:"quantities"`
}

// withNullCreationTimestamp puts back the `"creationTimestamp":null` that json of
// apimachinery >= 0.33 (omitzero) leaves out, as Argo does: only when the template's timestamp
// is zero and the bytes nowhere contain "creationTimestamp" in quotes; the first `"metadata":{}`
// becomes `"metadata":{"creationTimestamp":null}`, otherwise the member goes first in the first
// `"metadata":{` object.
func withNullCreationTimestamp(template *corev1.PodTemplateSpec, encoded []byte) []byte {
	if !template.CreationTimestamp.IsZero() || bytes.Contains(encoded, []byte(`"creationTimestamp"`)) {
		return encoded
	}
	if empty := []byte(`"metadata":{}`); bytes.Contains(encoded, empty) {
		return bytes.Replace(encoded, empty, []byte(`"metadata":{"creationTimestamp":null}`), 1)
	}
	open := []byte(`"metadata":{`)
	return bytes.Replace(encoded, open, []byte(`"metadata":{"creationTimestamp":null,`), 1)
}

// podTemplateHash is FNV-32a over the encoded template, then (if set) the collision count as a
// little-endian uint32 padded to 8 bytes, the decimal sum passed through rand.SafeEncodeString.
func podTemplateHash(encoded []byte, collisionCount *int32) string {
	h := fnv.New32a()
	h.Write(encoded)
	if collisionCount != nil {
		count := make([]byte, 8)
		binary.LittleEndian.PutUint32(count, uint32(*collisionCount))
		h.Write(count)
	}
	return rand.SafeEncodeString(strconv.FormatUint(uint64(h.Sum32()), 10))
}

func moduleVersion(path string) string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == path {
				return dep.Version
			}
		}
	}
	return "unknown"
}

func must(err error, context string) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "hashcheck: %s: %v\n", context, err)
		os.Exit(1)
	}
}

func main() {
	dir := defaultFixtureDir
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	must(err, "listing fixtures")
	sort.Strings(paths)

	out := golden{
		GeneratedBy: fmt.Sprintf("scripts/gen-pod-template-fields/hashcheck with k8s.io/api %s, %s",
			moduleVersion("k8s.io/api"), runtime.Version()),
		Templates: map[string]templateResult{},
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		if name == "expected" {
			continue
		}
		data, err := os.ReadFile(path)
		must(err, path)
		var fx fixture
		must(json.Unmarshal(data, &fx), path)

		if fx.Template != nil {
			var template corev1.PodTemplateSpec
			// client-go's JSON serializer: case-sensitive member names, unknown members dropped.
			must(kjson.UnmarshalCaseSensitivePreserveInts(fx.Template, &template), path)
			encoded, err := json.Marshal(&template)
			must(err, path)
			out.Templates[name] = templateResult{
				CollisionCount:     fx.CollisionCount,
				GoJSON:             string(encoded),
				Hash:               podTemplateHash(withNullCreationTimestamp(&template, encoded), fx.CollisionCount),
				HashWithoutRestore: podTemplateHash(encoded, fx.CollisionCount),
			}
		}
		for _, input := range fx.Quantities {
			var q resource.Quantity
			result := quantityResult{Input: input}
			if err := kjson.UnmarshalCaseSensitivePreserveInts(input, &q); err != nil {
				result.Error = err.Error()
			} else {
				encoded, err := json.Marshal(q)
				must(err, "quantity")
				result.Output = string(encoded)
			}
			out.Quantities = append(out.Quantities, result)
		}
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	must(enc.Encode(out), "encoding golden values")
	target := filepath.Join(dir, "expected.json")
	must(os.WriteFile(target, buf.Bytes(), 0o644), target)
	fmt.Printf("wrote %d templates and %d quantities to %s\n", len(out.Templates), len(out.Quantities), target)
}
