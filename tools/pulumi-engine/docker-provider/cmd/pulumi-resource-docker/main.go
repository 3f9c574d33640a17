// Stand-in for the official @pulumi/docker 5.2.0 plugin: the upstream Terraform docker provider bridged
// with pulumi-terraform-bridge. Not needed where Pulumi's installer downloads the official plugin.

// Command pulumi-resource-docker is the provider plugin. build.sh generates schema.json and
// bridge-metadata.json with pulumi-tfgen-docker into its build copy of this directory; they are
// not committed, so this package only compiles there.
package main

import (
	"context"
	_ "embed"

	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	"litestream-backup/tools/pulumi-engine/docker-provider/provider"
)

//go:embed schema.json
var schema []byte

//go:embed bridge-metadata.json
var metadata []byte

func main() {
	ctx := context.Background()
	pftfbridge.MainWithMuxer(ctx, "docker", provider.Provider(ctx, metadata, ""), schema)
}
