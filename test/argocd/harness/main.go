// Command argocd-lua-harness runs Slipway's Lua health checks and resource actions through
// Argo CD's own Lua runtime (github.com/argoproj/argo-cd/v3/util/lua, at the release pinned in
// test/argocd/versions.env) and checks them against the test tables beside the scripts, which
// use Argo CD's resource_customizations format (health_test.yaml, actions/action_test.yaml).
//
// Scripts come either from the files under health-checks/ and actions/ (the default), or from a
// generated argocd-cm ConfigMap (-argocd-cm), loaded by Argo CD's settings manager exactly as
// `argocd admin settings resource-overrides --argocd-cm-path` loads it. Each case runs with the
// privileges Argo CD gives argocd-cm scripts: no open libraries (so no string, math or io).
//
// Usage:
//
//	argocd-lua-harness [-repo DIR] [-argocd-cm FILE] [-health-tests NAME] [-run SUBSTR] [-v]
//
// Prints PASS/FAIL per case with a diff on failure, then a summary; exits 1 when a case fails
// or no case was found, 2 when the setup is wrong.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/argoproj/argo-cd/gitops-engine/pkg/health"
	jsonpatch "github.com/evanphx/json-patch"
	"github.com/pmezard/go-difflib/difflib"
	log "github.com/sirupsen/logrus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/yaml"

	"github.com/argoproj/argo-cd/v3/common"
	applicationpkg "github.com/argoproj/argo-cd/v3/pkg/apiclient/application"
	appv1 "github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	"github.com/argoproj/argo-cd/v3/util/lua"
	"github.com/argoproj/argo-cd/v3/util/settings"
)

// Set by build-harness.sh.
var argoCDVersion = "unknown"

// The test table formats, as Argo CD's util/lua tests read them.
type healthTests struct {
	Tests []struct {
		InputPath    string              `json:"inputPath"`
		HealthStatus health.HealthStatus `json:"healthStatus"`
	} `json:"tests"`
}

type actionTests struct {
	DiscoveryTests []struct {
		InputPath string                 `json:"inputPath"`
		Result    []appv1.ResourceAction `json:"result"`
	} `json:"discoveryTests"`
	ActionTests []struct {
		Action               string            `json:"action"`
		InputPath            string            `json:"inputPath"`
		ExpectedOutputPath   string            `json:"expectedOutputPath"`
		ExpectedErrorMessage string            `json:"expectedErrorMessage"`
		Parameters           map[string]string `json:"parameters"`
	} `json:"actionTests"`
}

// scriptSet is what the repository defines for one group/kind.
type scriptSet struct {
	key        string // "argoproj.io/Rollout", the key Argo CD's lua.VM looks overrides up by
	healthDir  string
	actionsDir string
	healthLua  string
	actions    appv1.ResourceActions
}

type runner struct {
	verbose bool
	filter  string
	passed  int
	failed  int
}

// fail reports one problem with a case or table.
func (r *runner) fail(name, problem string) {
	r.report(name, []string{problem}, nil)
}

func (r *runner) report(name string, problems []string, details []string) {
	if r.filter != "" && !strings.Contains(name, r.filter) {
		return
	}
	if len(problems) == 0 {
		r.passed++
		fmt.Printf("PASS %s\n", name)
		if r.verbose {
			for _, d := range details {
				fmt.Printf("    %s\n", strings.ReplaceAll(d, "\n", "\n    "))
			}
		}
		return
	}
	r.failed++
	fmt.Printf("FAIL %s\n", name)
	for _, p := range problems {
		fmt.Printf("    %s\n", strings.ReplaceAll(strings.TrimRight(p, "\n"), "\n", "\n    "))
	}
}

func main() {
	repo := flag.String("repo", ".", "repository root holding health-checks/ and actions/")
	argocdCM := flag.String("argocd-cm", "", "take the scripts from this argocd-cm ConfigMap YAML instead of the script files")
	healthTestsName := flag.String("health-tests", "health_test.yaml",
		"file name of the health test table beside each health.lua; folders without it use health_test.yaml")
	mergeBuiltins := flag.Bool("merge-builtin-actions", false,
		"with script files: set mergeBuiltinActions in the generated action override (the ConfigMap decides otherwise)")
	filter := flag.String("run", "", "only run cases whose name contains this string")
	verbose := flag.Bool("v", false, "print details of passing cases (health results, action patches)")
	flag.Parse()
	log.SetLevel(log.WarnLevel)

	sets, err := findScripts(*repo, *mergeBuiltins)
	if err != nil {
		fatalSetup(err)
	}
	source := "script files"
	overrides := map[string]appv1.ResourceOverride{}
	if *argocdCM == "" {
		for _, s := range sets {
			o := overrides[s.key]
			o.HealthLua = s.healthLua
			if s.actionsDir != "" {
				raw, err := yaml.Marshal(s.actions)
				if err != nil {
					fatalSetup(err)
				}
				o.Actions = string(raw)
			}
			overrides[s.key] = o
		}
	} else {
		source = *argocdCM
		overrides, err = overridesFromConfigMap(*argocdCM)
		if err != nil {
			fatalSetup(fmt.Errorf("%s: %w", *argocdCM, err))
		}
	}

	r := &runner{verbose: *verbose, filter: *filter}
	for _, s := range sets {
		override := overrides[s.key]
		if s.healthDir != "" {
			r.runHealth(s, override, overrides, *healthTestsName)
		}
		if s.actionsDir != "" {
			r.runActions(s, override, overrides)
		}
	}
	fmt.Printf("argocd-lua-harness: Argo CD %s, scripts from %s: %d passed, %d failed\n",
		argoCDVersion, source, r.passed, r.failed)
	if r.failed > 0 || r.passed == 0 {
		os.Exit(1)
	}
}

func fatalSetup(err error) {
	fmt.Fprintf(os.Stderr, "argocd-lua-harness: %v\n", err)
	os.Exit(2)
}

// findScripts collects health-checks/<group>/<Kind>/health.lua and actions/<group>/<Kind>/
// (discovery.lua plus <action>/action.lua) into one set per group/kind.
func findScripts(repo string, mergeBuiltins bool) ([]*scriptSet, error) {
	byKey := map[string]*scriptSet{}
	get := func(rel string) *scriptSet {
		parts := strings.Split(filepath.ToSlash(rel), "/")
		key := strings.Join(parts, "/")
		if s, ok := byKey[key]; ok {
			return s
		}
		s := &scriptSet{key: key}
		byKey[key] = s
		return s
	}
	// eachScript calls found for every file called name below root, with the set of the
	// group/kind directory it is in; a missing root holds no scripts.
	eachScript := func(root, name string, found func(s *scriptSet, dir, script string) error) error {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != name {
				return err
			}
			dir := filepath.Dir(path)
			rel, _ := filepath.Rel(root, dir)
			script, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return found(get(rel), dir, string(script))
		})
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	healthRoot := filepath.Join(repo, "health-checks")
	err := eachScript(healthRoot, "health.lua", func(s *scriptSet, dir, script string) error {
		s.healthDir, s.healthLua = dir, script
		return nil
	})
	if err != nil {
		return nil, err
	}
	actionsRoot := filepath.Join(repo, "actions")
	err = eachScript(actionsRoot, "discovery.lua", func(s *scriptSet, dir, discovery string) error {
		s.actionsDir = dir
		s.actions = appv1.ResourceActions{ActionDiscoveryLua: discovery, MergeBuiltinActions: mergeBuiltins}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			script, err := os.ReadFile(filepath.Join(dir, e.Name(), "action.lua"))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return err
			}
			s.actions.Definitions = append(s.actions.Definitions,
				appv1.ResourceActionDefinition{Name: e.Name(), ActionLua: string(script)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sets := make([]*scriptSet, 0, len(byKey))
	for _, s := range byKey {
		sets = append(sets, s)
	}
	sort.Slice(sets, func(i, j int) bool { return sets[i].key < sets[j].key })
	if len(sets) == 0 {
		return nil, fmt.Errorf("no health.lua under %s and no discovery.lua under %s", healthRoot, actionsRoot)
	}
	return sets, nil
}

// overridesFromConfigMap loads resource overrides the way `argocd admin settings
// resource-overrides --argocd-cm-path` does: the ConfigMap goes into a fake clientset and
// Argo CD's settings manager parses it.
func overridesFromConfigMap(path string) (map[string]appv1.ResourceOverride, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cm corev1.ConfigMap
	if err := yaml.Unmarshal(raw, &cm); err != nil {
		return nil, err
	}
	if cm.Name != common.ArgoCDConfigMapName {
		return nil, fmt.Errorf("expected a ConfigMap named %s, got %q", common.ArgoCDConfigMapName, cm.Name)
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: common.ArgoCDSecretName},
		Data:       map[string][]byte{"admin.password": []byte("test"), "server.secretkey": []byte("test")},
	}
	for _, obj := range []metav1.Object{&cm, secret} {
		obj.SetNamespace("default")
		labels := obj.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels["app.kubernetes.io/part-of"] = "argocd"
		obj.SetLabels(labels)
	}
	ctx := context.Background()
	manager := settings.NewSettingsManager(ctx, fake.NewClientset(secret, &cm), "default")
	if err := manager.ResyncInformers(); err != nil {
		return nil, err
	}
	return manager.GetResourceOverrides()
}

func readYAML(path string, into any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(raw, into); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func loadObject(path string) (*unstructured.Unstructured, error) {
	obj := map[string]any{}
	if err := readYAML(path, &obj); err != nil {
		return nil, err
	}
	return &unstructured.Unstructured{Object: obj}, nil
}

// checkKind makes sure a test object selects the group/kind under test; otherwise Argo CD would
// look up another override (or a built-in script) and the case would test the wrong thing.
func checkKind(s *scriptSet, obj *unstructured.Unstructured) string {
	if got := lua.GetConfigMapKey(obj.GroupVersionKind()); got != s.key {
		return fmt.Sprintf("test object is %s (apiVersion %q, kind %q), not %s", got, obj.GetAPIVersion(), obj.GetKind(), s.key)
	}
	return ""
}

// loadCase reads a case's input object and checks it selects the kind under test; a problem
// is reported under name, and ok is false.
func (r *runner) loadCase(name string, s *scriptSet, dir, inputPath string) (obj *unstructured.Unstructured, ok bool) {
	obj, err := loadObject(filepath.Join(dir, inputPath))
	if err != nil {
		r.fail(name, err.Error())
		return nil, false
	}
	if p := checkKind(s, obj); p != "" {
		r.fail(name, p)
		return nil, false
	}
	return obj, true
}

// readTable reads a test table; a table that does not read or has no cases is reported under
// label, and false returned.
func (r *runner) readTable(label, path string, table any, cases func() int) bool {
	if err := readYAML(path, table); err != nil {
		r.fail(label, err.Error())
		return false
	}
	if cases() == 0 {
		r.fail(label, "no tests in "+path)
		return false
	}
	return true
}

// noOverride says the overrides lack what a table tests, naming the argocd-cm key
// (resource.customizations.<field>.<group>_<kind>) it would be under.
func noOverride(what string, s *scriptSet, field string) string {
	return "no " + what + " for " + s.key + " among the overrides (argocd-cm key resource.customizations." +
		field + "." + strings.Replace(s.key, "/", "_", 1) + ")"
}

func (r *runner) runHealth(s *scriptSet, override appv1.ResourceOverride, overrides map[string]appv1.ResourceOverride, tableName string) {
	tablePath := filepath.Join(s.healthDir, tableName)
	if _, err := os.Stat(tablePath); err != nil {
		tablePath = filepath.Join(s.healthDir, "health_test.yaml")
	}
	label := "health " + s.key + " " + filepath.Base(tablePath)
	var table healthTests
	if !r.readTable(label, tablePath, &table, func() int { return len(table.Tests) }) {
		return
	}
	if override.HealthLua == "" {
		r.fail(label, noOverride("health script", s, "health"))
		return
	}
	vm := lua.VM{ResourceOverrides: overrides}
	for _, tc := range table.Tests {
		name := "health " + s.key + " " + tc.InputPath
		obj, ok := r.loadCase(name, s, s.healthDir, tc.InputPath)
		if !ok {
			continue
		}
		script, useOpenLibs, err := vm.GetHealthScript(obj)
		if err != nil || script != override.HealthLua || useOpenLibs {
			r.fail(name, fmt.Sprintf("Argo CD did not select the script under test (err %v, open libs %v)", err, useOpenLibs))
			continue
		}
		// The same entry point the application controller uses for every resource.
		got, err := health.GetResourceHealth(obj, lua.ResourceHealthOverrides(overrides))
		if err != nil {
			r.fail(name, "error: "+err.Error())
			continue
		}
		if got == nil {
			got = &health.HealthStatus{}
		}
		if got.Status != tc.HealthStatus.Status || got.Message != tc.HealthStatus.Message {
			r.report(name, []string{
				fmt.Sprintf("want %s: %q", tc.HealthStatus.Status, tc.HealthStatus.Message),
				fmt.Sprintf("got  %s: %q", got.Status, got.Message),
			}, nil)
			continue
		}
		r.report(name, nil, []string{fmt.Sprintf("%s: %q", got.Status, got.Message)})
	}
}

func (r *runner) runActions(s *scriptSet, override appv1.ResourceOverride, overrides map[string]appv1.ResourceOverride) {
	tablePath := filepath.Join(s.actionsDir, "action_test.yaml")
	label := "actions " + s.key + " action_test.yaml"
	var table actionTests
	if !r.readTable(label, tablePath, &table, func() int { return len(table.DiscoveryTests) + len(table.ActionTests) }) {
		return
	}
	if override.Actions == "" {
		r.fail(label, noOverride("actions", s, "actions"))
		return
	}
	ours, err := override.GetActions()
	if err != nil {
		r.fail(label, "cannot parse the actions override: "+err.Error())
		return
	}
	defined := map[string]string{}
	for _, d := range ours.Definitions {
		defined[d.Name] = d.ActionLua
	}
	for _, want := range s.actions.Definitions {
		if defined[want.Name] != want.ActionLua {
			r.fail(label, "the overrides do not carry "+want.Name+"/action.lua as it is in "+s.actionsDir)
		}
	}
	vm := lua.VM{ResourceOverrides: overrides}

	for _, tc := range table.DiscoveryTests {
		name := "discovery " + s.key + " " + tc.InputPath
		obj, ok := r.loadCase(name, s, s.actionsDir, tc.InputPath)
		if !ok {
			continue
		}
		scripts, err := vm.GetResourceActionDiscovery(obj)
		if err != nil || len(scripts) == 0 || scripts[0] != ours.ActionDiscoveryLua {
			r.fail(name, fmt.Sprintf("Argo CD did not select the discovery script under test (err %v)", err))
			continue
		}
		got, err := vm.ExecuteResourceActionDiscovery(obj, scripts)
		if err != nil {
			r.fail(name, "error: "+err.Error())
			continue
		}
		// Stricter than Argo CD's own test (which only checks got ⊆ want): the lists must match.
		if diff := diffYAML("expected", sortedActions(tc.Result), "discovered", sortedActions(got)); diff != "" {
			r.fail(name, diff)
			continue
		}
		r.report(name, nil, []string{describeActions(got)})
	}

	for _, tc := range table.ActionTests {
		name := "action " + s.key + " " + tc.Action + " " + tc.InputPath
		if _, ok := defined[tc.Action]; !ok {
			r.fail(name, "no definition of "+tc.Action+" in our actions: Argo CD would run its built-in script")
			continue
		}
		obj, ok := r.loadCase(name, s, s.actionsDir, tc.InputPath)
		if !ok {
			continue
		}
		definition, err := vm.GetResourceAction(obj, tc.Action)
		if err != nil || definition.ActionLua != defined[tc.Action] {
			r.fail(name, fmt.Sprintf("Argo CD did not select the action script under test (err %v)", err))
			continue
		}
		var params []*applicationpkg.ResourceActionParameters
		keys := make([]string, 0, len(tc.Parameters))
		for k := range tc.Parameters {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			value := tc.Parameters[k]
			params = append(params, &applicationpkg.ResourceActionParameters{Name: &k, Value: &value})
		}
		liveJSON, err := json.Marshal(obj.Object)
		if err != nil {
			r.fail(name, err.Error())
			continue
		}
		before := time.Now().UTC().Truncate(time.Second)
		impacted, err := vm.ExecuteResourceAction(obj, definition.ActionLua, params)
		after := time.Now().UTC()
		if tc.ExpectedErrorMessage != "" {
			if err == nil || err.Error() != tc.ExpectedErrorMessage {
				r.fail(name, fmt.Sprintf("want error %q, got %v", tc.ExpectedErrorMessage, err))
			} else {
				r.report(name, nil, []string{"error: " + err.Error()})
			}
			continue
		}
		if err != nil {
			r.fail(name, "error: "+err.Error())
			continue
		}
		expected, err := expectedObjects(filepath.Join(s.actionsDir, tc.ExpectedOutputPath))
		if err != nil {
			r.fail(name, err.Error())
			continue
		}
		var problems, details []string
		if len(impacted) != len(expected) {
			problems = append(problems, fmt.Sprintf("the action returned %d resources, %s holds %d", len(impacted), tc.ExpectedOutputPath, len(expected)))
		}
		for _, res := range impacted {
			result := res.UnstructuredObj
			want := findExpected(expected, result)
			if want == nil {
				problems = append(problems, fmt.Sprintf("no %s %s/%s in %s", result.GroupVersionKind(), result.GetNamespace(), result.GetName(), tc.ExpectedOutputPath))
				continue
			}
			if res.K8SOperation == lua.PatchOperation &&
				(result.GroupVersionKind() != obj.GroupVersionKind() || result.GetName() != obj.GetName() || result.GetNamespace() != obj.GetNamespace()) {
				problems = append(problems, "a patch may only change the source object, got "+result.GroupVersionKind().String()+" "+result.GetName())
			}
			if p := settleActionTimes(result, want, before, after); p != "" {
				problems = append(problems, p)
			}
			if diff := diffYAML(tc.ExpectedOutputPath, want.Object, "action result", result.Object); diff != "" {
				problems = append(problems, diff)
			}
			if res.K8SOperation == lua.PatchOperation {
				details = append(details, describePatch(liveJSON, result))
			}
		}
		r.report(name, problems, details)
	}
}

// expectedObjects reads an expected output: one object (an old-style action's result) or a
// list of {operation, unstructuredObj} (a new-style action's result).
func expectedObjects(path string) ([]*unstructured.Unstructured, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(strings.TrimSpace(string(raw)), "-") {
		var list []struct {
			UnstructuredObj map[string]any `json:"unstructuredObj"`
		}
		if err := yaml.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out := make([]*unstructured.Unstructured, 0, len(list))
		for _, item := range list {
			out = append(out, &unstructured.Unstructured{Object: item.UnstructuredObj})
		}
		return out, nil
	}
	obj := map[string]any{}
	if err := yaml.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return []*unstructured.Unstructured{{Object: obj}}, nil
}

func findExpected(expected []*unstructured.Unstructured, result *unstructured.Unstructured) *unstructured.Unstructured {
	for _, e := range expected {
		if e.GroupVersionKind() == result.GroupVersionKind() && e.GetName() == result.GetName() && e.GetNamespace() == result.GetNamespace() {
			return e
		}
	}
	return nil
}

// actionTimes are the fields actions set to the time they ran, by the kind they belong to.
var actionTimes = []struct {
	kind schema.GroupKind
	path []string
}{
	{schema.GroupKind{Group: "argoproj.io", Kind: "Rollout"}, []string{"spec", "restartAt"}},
	{schema.GroupKind{Group: "slipway.dev", Kind: "ImageWatch"}, []string{"metadata", "annotations", "slipway.dev/check-requested-at"}},
	{schema.GroupKind{Group: "slipway.dev", Kind: "GitTarget"}, []string{"metadata", "annotations", "slipway.dev/sync-requested-at"}},
}

// settleActionTimes checks each of actionTimes in a result (a Rollout's spec.restartAt, the
// request annotations of our git-sync kinds) is an RFC 3339 UTC time taken while the action
// ran, then copies the expected value over it so the rest compares exactly. (Argo CD's own test
// drops restartAt instead.)
func settleActionTimes(result, want *unstructured.Unstructured, before, after time.Time) string {
	for _, field := range actionTimes {
		if result.GroupVersionKind().GroupKind() != field.kind {
			continue
		}
		name := strings.Join(field.path, ".")
		got, found, _ := unstructured.NestedString(result.Object, field.path...)
		if !found {
			continue
		}
		at, err := time.Parse(time.RFC3339, got)
		if err != nil || !strings.HasSuffix(got, "Z") {
			return fmt.Sprintf("%s %q is not an RFC 3339 UTC time", name, got)
		}
		if at.Before(before) || at.After(after) {
			return fmt.Sprintf("%s %s is not the time the action ran (%s..%s)", name, got, before.Format(time.RFC3339), after.Format(time.RFC3339))
		}
		if wantAt, ok, _ := unstructured.NestedString(want.Object, field.path...); ok {
			_ = unstructured.SetNestedField(result.Object, wantAt, field.path...)
		}
	}
	return ""
}

// describePatch shows what Argo CD's API server would send for a patch action: a JSON merge
// patch of live vs result, with status going to the /status subresource.
func describePatch(liveJSON []byte, result *unstructured.Unstructured) string {
	newJSON, err := json.Marshal(result.Object)
	if err != nil {
		return "patch: " + err.Error()
	}
	patch, err := jsonpatch.CreateMergePatch(liveJSON, newJSON)
	if err != nil {
		return "patch: " + err.Error()
	}
	var fields map[string]any
	_ = json.Unmarshal(patch, &fields)
	status, hasStatus := fields["status"]
	delete(fields, "status")
	var parts []string
	if hasStatus {
		b, _ := json.Marshal(map[string]any{"status": status})
		parts = append(parts, "status subresource patch "+string(b))
	}
	if len(fields) > 0 {
		b, _ := json.Marshal(fields)
		parts = append(parts, "patch "+string(b))
	}
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, "; ")
}

func sortedActions(actions []appv1.ResourceAction) []appv1.ResourceAction {
	out := append([]appv1.ResourceAction{}, actions...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func describeActions(actions []appv1.ResourceAction) string {
	var enabled, disabled []string
	for _, a := range sortedActions(actions) {
		if a.Disabled {
			disabled = append(disabled, a.Name)
		} else {
			enabled = append(enabled, a.Name)
		}
	}
	return fmt.Sprintf("enabled %v, disabled %v", enabled, disabled)
}

// diffYAML compares two values after a JSON round trip (so 3 and 3.0 agree, as they do on the
// wire) and returns a unified diff of their YAML, or "" when they are equal.
func diffYAML(wantName string, want any, gotName string, got any) string {
	normal := func(v any) (any, string) {
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, err.Error()
		}
		var out any
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, err.Error()
		}
		text, err := yaml.Marshal(out)
		if err != nil {
			return nil, err.Error()
		}
		return out, string(text)
	}
	w, wantText := normal(want)
	g, gotText := normal(got)
	if reflect.DeepEqual(w, g) {
		return ""
	}
	diff, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(wantText), B: difflib.SplitLines(gotText),
		FromFile: wantName, ToFile: gotName, Context: 3,
	})
	if err != nil || diff == "" {
		return fmt.Sprintf("want:\n%s\ngot:\n%s", wantText, gotText)
	}
	return diff
}
