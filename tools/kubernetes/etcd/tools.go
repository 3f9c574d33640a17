//go:build tools

// Package etcd pins the etcd server the local test cluster stores its state in. A module of its
// own, so that its dependencies do not move those of the Kubernetes build beside it.
package etcd

import _ "go.etcd.io/etcd/server/v3"
