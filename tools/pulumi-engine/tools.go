//go:build tools

// Package engine pins the official Pulumi CLI so that `go build` can build it from modules.
package engine

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
