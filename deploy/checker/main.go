// Command manifest-check validates rendered Kubernetes manifests offline: every YAML document
// is decoded strictly into the Kubernetes API's own Go type for its apiVersion and kind, so an
// unknown field (a typo, a field at the wrong level) or a value of the wrong type fails, as the
// API server would reject it. No schema is downloaded; the types are k8s.io/api at the version
// pinned in go.mod.
//
// Why a checker of our own instead of kubeconform/kubeval: those download JSON schemas at run
// time, and the test machines reach no schema host. Decoding into k8s.io/api needs nothing but
// the Go module proxy at build time.
//
// Usage: manifest-check [file ...]   (reads standard input when no file is given)
// Exit status 0 when every document is valid, 1 otherwise (each problem on its own line).
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// kinds maps "apiVersion/kind" to a constructor of the typed object. A kind missing here is an
// error: the chart renders only these, and a new one must be added so that it is checked too.
var kinds = map[string]func() any{
	"apps/v1/Deployment":                     func() any { return &appsv1.Deployment{} },
	"apps/v1/StatefulSet":                    func() any { return &appsv1.StatefulSet{} },
	"v1/Service":                             func() any { return &corev1.Service{} },
	"v1/ConfigMap":                           func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                              func() any { return &corev1.Secret{} },
	"v1/ServiceAccount":                      func() any { return &corev1.ServiceAccount{} },
	"v1/Pod":                                 func() any { return &corev1.Pod{} },
	"batch/v1/Job":                           func() any { return &batchv1.Job{} },
	"autoscaling/v2/HorizontalPodAutoscaler": func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"policy/v1/PodDisruptionBudget":          func() any { return &policyv1.PodDisruptionBudget{} },
	"networking.k8s.io/v1/NetworkPolicy":     func() any { return &networkingv1.NetworkPolicy{} },
}

func main() {
	var problems []string
	count := 0
	check := func(name string, r io.Reader) {
		docs, err := splitDocuments(r)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
			return
		}
		for i, doc := range docs {
			count++
			if err := checkDocument(doc); err != nil {
				problems = append(problems, fmt.Sprintf("%s: document %d: %v", name, i+1, err))
			}
		}
	}
	if len(os.Args) < 2 {
		check("stdin", os.Stdin)
	}
	for _, path := range os.Args[1:] {
		f, err := os.Open(path)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		check(path, f)
		f.Close()
	}
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, p)
	}
	if count == 0 {
		fmt.Fprintln(os.Stderr, "no Kubernetes object found")
		os.Exit(1)
	}
	if len(problems) > 0 {
		fmt.Fprintf(os.Stderr, "%d of %d objects invalid\n", len(problems), count)
		os.Exit(1)
	}
	fmt.Printf("%d objects valid\n", count)
}

// splitDocuments cuts a multi-document YAML stream at "---" lines and drops documents that hold
// only comments or blank lines (helm template prints a "# Source:" comment before each).
func splitDocuments(r io.Reader) ([][]byte, error) {
	var docs [][]byte
	var cur bytes.Buffer
	flush := func() {
		if hasContent(cur.Bytes()) {
			docs = append(docs, append([]byte(nil), cur.Bytes()...))
		}
		cur.Reset()
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1024*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "---") && strings.TrimSpace(strings.TrimLeft(line, "-")) == "" {
			flush()
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	flush()
	return docs, sc.Err()
}

func hasContent(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		t := strings.TrimSpace(line)
		if t != "" && !strings.HasPrefix(t, "#") {
			return true
		}
	}
	return false
}

func checkDocument(doc []byte) error {
	var meta metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		return fmt.Errorf("not a Kubernetes object: %v", err)
	}
	if meta.APIVersion == "" || meta.Kind == "" {
		return fmt.Errorf("apiVersion and kind are required")
	}
	newObject, ok := kinds[meta.APIVersion+"/"+meta.Kind]
	if !ok {
		return fmt.Errorf("%s %s: kind not known to this checker", meta.APIVersion, meta.Kind)
	}
	obj := newObject()
	// UnmarshalStrict converts YAML to JSON and decodes with unknown fields disallowed and
	// duplicate keys rejected; a wrong type (a string for an int32, a map for a list) fails too.
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return fmt.Errorf("%s: %v", meta.Kind, err)
	}
	name := objectName(obj)
	if name == "" {
		return fmt.Errorf("%s: metadata.name is required", meta.Kind)
	}
	if err := checkSemantics(obj); err != nil {
		return fmt.Errorf("%s %s: %v", meta.Kind, name, err)
	}
	return nil
}

func objectName(obj any) string {
	if o, ok := obj.(metav1.Object); ok {
		return o.GetName()
	}
	return ""
}
