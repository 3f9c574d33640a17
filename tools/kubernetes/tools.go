//go:build tools

// Package kubernetes pins the Kubernetes commands the local test cluster runs, so that `go build`
// can build them from modules (scripts/k8s-cluster.sh build).
package kubernetes

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
