// Command hashcheck produces the golden values the TypeScript hashers are tested against, from
// Argo Rollouts v1.10.2's own code and the k8s.io/api it is released with (see ../go.mod):
//   - for every fixture under test/fixtures/pod-template-hash it decodes the template the way
//     client-go does (case-sensitive, into the real corev1.PodTemplateSpec) and records Go's
//     json, Argo's utils/hash.ComputePodTemplateHash, the hash older Argo releases wrote (json
//     with `"creationTimestamp":null`, as k8s.io/apimachinery < 0.33 marshalled a zero time),
//     and the template after Kubernetes' pod-template defaulting (what a ReplicaSet stores);
//     for quantities.json it records Quantity's canonical JSON;
//   - for every fixture under test/fixtures/step-hash it decodes the steps into
//     []v1alpha1.CanaryStep and records Go's json and Argo's conditions.ComputeStepHash;
//   - for every pair under test/fixtures/pod-template-equal it records Argo's
//     replicaset.PodTemplateEqualIgnoreHash(live, desired).
//
// Usage (from the parent directory): GOTOOLCHAIN=go1.27.3 go run ./hashcheck [fixture root]
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

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/argoproj/argo-rollouts/utils/conditions"
	"github.com/argoproj/argo-rollouts/utils/hash"
	"github.com/argoproj/argo-rollouts/utils/replicaset"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/rand"
	corev1defaults "k8s.io/kubernetes/pkg/apis/core/v1"
	kjson "sigs.k8s.io/json"
)

const defaultFixtureRoot = "../../test/fixtures"

type fixture struct {
	Template       json.RawMessage   `json:"template"`
	CollisionCount *int32            `json:"collisionCount"`
	Quantities     []json.RawMessage `json:"quantities"`
}

type templateResult struct {
	CollisionCount *int32 `json:"collisionCount"`
	GoJSON         string `json:"goJson"`
	// Hash is what Argo Rollouts v1.10.2 writes: utils/hash over json of k8s.io/api v0.34.
	Hash string `json:"hash"`
	// HashWithNullCreationTimestamp is what Argo releases built with k8s.io/apimachinery < 0.33
	// wrote: the same json with `"creationTimestamp":null` in the template's metadata.
	HashWithNullCreationTimestamp string `json:"hashWithNullCreationTimestamp"`
	// Defaulted is Go's json of the template after SetObjectDefaults_PodTemplate.
	Defaulted string `json:"defaulted"`
}

type stepsFixture struct {
	Steps json.RawMessage `json:"steps"`
}

type stepsResult struct {
	GoJSON string `json:"goJson"`
	Hash   string `json:"hash"`
}

type equalFixture struct {
	Live    json.RawMessage `json:"live"`
	Desired json.RawMessage `json:"desired"`
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

type stepsGolden struct {
	GeneratedBy string                 `json:"generatedBy"`
	Steps       map[string]stepsResult `json:"steps"`
}

type equalGolden struct {
	GeneratedBy string          `json:"generatedBy"`
	Equal       map[string]bool `json:"equal"`
}

// withNullCreationTimestamp puts back the `"creationTimestamp":null` that json of
// apimachinery >= 0.33 (omitzero) leaves out and older releases wrote: only when the template's
// timestamp is zero and the bytes nowhere contain "creationTimestamp" in quotes; the first
// `"metadata":{}` becomes `"metadata":{"creationTimestamp":null}`, otherwise the member goes
// first in the first `"metadata":{` object (where ObjectMeta's field order put it for the
// labels and annotations a template has).
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

// hashOfBytes is utils/hash.ComputePodTemplateHash's arithmetic over given json bytes (FNV-32a,
// then the collision count as a little-endian uint32 padded to 8 bytes, then
// rand.SafeEncodeString), for the older variant whose json this module's k8s.io/api no longer
// writes. The test below checks it against Argo's function on the current json.
func hashOfBytes(encoded []byte, collisionCount *int32) string {
	h := fnv.New32a()
	h.Write(encoded)
	if collisionCount != nil {
		count := make([]byte, 8)
		binary.LittleEndian.PutUint32(count, uint32(*collisionCount))
		h.Write(count)
	}
	return rand.SafeEncodeString(strconv.FormatUint(uint64(h.Sum32()), 10))
}

func generatedBy() string {
	return fmt.Sprintf("scripts/gen-pod-template-fields/hashcheck with github.com/argoproj/argo-rollouts %s, k8s.io/api %s, %s",
		moduleVersion("github.com/argoproj/argo-rollouts"), moduleVersion("k8s.io/api"), runtime.Version())
}

func fixtures(dir string) []string {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	must(err, "listing fixtures")
	sort.Strings(paths)
	var out []string
	for _, path := range paths {
		if filepath.Base(path) != "expected.json" {
			out = append(out, path)
		}
	}
	return out
}

func fixtureName(path string) string { return strings.TrimSuffix(filepath.Base(path), ".json") }

// decodeTemplate decodes like client-go's JSON serializer: case-sensitive member names,
// unknown members dropped.
func decodeTemplate(raw json.RawMessage, context string) corev1.PodTemplateSpec {
	var template corev1.PodTemplateSpec
	must(kjson.UnmarshalCaseSensitivePreserveInts(raw, &template), context)
	return template
}

func writeGolden(dir string, value any, summary string) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	must(enc.Encode(value), "encoding golden values")
	target := filepath.Join(dir, "expected.json")
	must(os.WriteFile(target, buf.Bytes(), 0o644), target)
	fmt.Printf("wrote %s to %s\n", summary, target)
}

func podTemplateHashes(dir string) {
	out := golden{GeneratedBy: generatedBy(), Templates: map[string]templateResult{}}
	for _, path := range fixtures(dir) {
		data, err := os.ReadFile(path)
		must(err, path)
		var fx fixture
		must(json.Unmarshal(data, &fx), path)
		if fx.Template != nil {
			template := decodeTemplate(fx.Template, path)
			encoded, err := json.Marshal(&template)
			must(err, path)
			argoHash := hash.ComputePodTemplateHash(&template, fx.CollisionCount)
			if own := hashOfBytes(encoded, fx.CollisionCount); own != argoHash {
				must(fmt.Errorf("hashOfBytes gives %s, Argo %s", own, argoHash), path)
			}
			podTemplate := corev1.PodTemplate{Template: *template.DeepCopy()}
			corev1defaults.SetObjectDefaults_PodTemplate(&podTemplate)
			defaulted, err := json.Marshal(&podTemplate.Template)
			must(err, path)
			out.Templates[fixtureName(path)] = templateResult{
				CollisionCount:                fx.CollisionCount,
				GoJSON:                        string(encoded),
				Hash:                          argoHash,
				HashWithNullCreationTimestamp: hashOfBytes(withNullCreationTimestamp(&template, encoded), fx.CollisionCount),
				Defaulted:                     string(defaulted),
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
	writeGolden(dir, out, fmt.Sprintf("%d templates and %d quantities", len(out.Templates), len(out.Quantities)))
}

func stepHashes(dir string) {
	out := stepsGolden{GeneratedBy: generatedBy(), Steps: map[string]stepsResult{}}
	for _, path := range fixtures(dir) {
		data, err := os.ReadFile(path)
		must(err, path)
		var fx stepsFixture
		must(json.Unmarshal(data, &fx), path)
		var steps []v1alpha1.CanaryStep
		must(kjson.UnmarshalCaseSensitivePreserveInts(fx.Steps, &steps), path)
		rollout := &v1alpha1.Rollout{}
		rollout.Spec.Strategy.Canary = &v1alpha1.CanaryStrategy{Steps: steps}
		encoded, err := json.Marshal(steps)
		must(err, path)
		out.Steps[fixtureName(path)] = stepsResult{GoJSON: string(encoded), Hash: conditions.ComputeStepHash(rollout)}
	}
	writeGolden(dir, out, fmt.Sprintf("%d step lists", len(out.Steps)))
}

func templateEquality(dir string) {
	out := equalGolden{GeneratedBy: generatedBy(), Equal: map[string]bool{}}
	for _, path := range fixtures(dir) {
		data, err := os.ReadFile(path)
		must(err, path)
		var fx equalFixture
		must(json.Unmarshal(data, &fx), path)
		live := decodeTemplate(fx.Live, path+": live")
		desired := decodeTemplate(fx.Desired, path+": desired")
		out.Equal[fixtureName(path)] = replicaset.PodTemplateEqualIgnoreHash(&live, &desired)
	}
	writeGolden(dir, out, fmt.Sprintf("%d template pairs", len(out.Equal)))
}

func main() {
	root := defaultFixtureRoot
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	podTemplateHashes(filepath.Join(root, "pod-template-hash"))
	stepHashes(filepath.Join(root, "step-hash"))
	templateEquality(filepath.Join(root, "pod-template-equal"))
}
