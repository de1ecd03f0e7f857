package main

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// checkSemantics catches the mistakes that decode fine but that the API server (or the
// kubelet) would reject or silently mishandle: a selector that does not match its own pod
// labels, a container without a name or image, a probe pointing at a port name that no
// container declares.
func checkSemantics(obj any) error {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		if o.Spec.Selector == nil || len(o.Spec.Selector.MatchLabels) == 0 {
			return fmt.Errorf("spec.selector.matchLabels is required")
		}
		for k, v := range o.Spec.Selector.MatchLabels {
			if o.Spec.Template.Labels[k] != v {
				return fmt.Errorf("selector %s=%s does not match the pod template's labels", k, v)
			}
		}
		return checkPod(&o.Spec.Template.Spec)
	case *batchv1.Job:
		return checkPod(&o.Spec.Template.Spec)
	}
	return nil
}

func checkPod(spec *corev1.PodSpec) error {
	if len(spec.Containers) == 0 {
		return fmt.Errorf("a pod needs at least one container")
	}
	for _, c := range append(append([]corev1.Container(nil), spec.InitContainers...), spec.Containers...) {
		if c.Name == "" || c.Image == "" {
			return fmt.Errorf("every container needs a name and an image")
		}
		ports := map[string]bool{}
		for _, p := range c.Ports {
			if p.Name != "" {
				ports[p.Name] = true
			}
		}
		for _, probe := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
			if probe == nil {
				continue
			}
			var port *intstr.IntOrString
			if probe.HTTPGet != nil {
				port = &probe.HTTPGet.Port
			} else if probe.TCPSocket != nil {
				port = &probe.TCPSocket.Port
			}
			if port != nil && port.Type == intstr.String && !ports[port.StrVal] {
				return fmt.Errorf("container %s: probe port %q is not one of its named ports", c.Name, port.StrVal)
			}
		}
	}
	return nil
}
