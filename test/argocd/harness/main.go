package main

import (
	"fmt"

	jsonpatch "github.com/evanphx/json-patch"
	"github.com/pmezard/go-difflib/difflib"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	applicationpkg "github.com/argoproj/argo-cd/v3/pkg/apiclient/application"
	appv1 "github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	"github.com/argoproj/argo-cd/v3/util/lua"
)

func main() {
	fmt.Println(lua.VM{}, appv1.ResourceActions{}, applicationpkg.ResourceActionParameters{}, unstructured.Unstructured{}, yaml.Marshal, jsonpatch.CreateMergePatch, difflib.UnifiedDiff{})
}
