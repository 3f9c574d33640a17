// Stand-in for the official @pulumi/docker 5.2.0 plugin: the upstream Terraform docker provider bridged
// with pulumi-terraform-bridge. Not needed where Pulumi's installer downloads the official plugin.

// Command pulumi-tfgen-docker runs at build time only: `pulumi-tfgen-docker schema --out DIR
// --skip-examples` writes schema.json and bridge-metadata.json, which the provider embeds.
// PULUMI_DOCKER_UPSTREAM_DIR names the upstream source tree whose docs/ feed the descriptions.
package main

import (
	"context"
	"os"

	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"litestream-backup/tools/pulumi-engine/docker-provider/provider"
)

func main() {
	info := provider.Provider(context.Background(), nil, os.Getenv("PULUMI_DOCKER_UPSTREAM_DIR"))
	pftfgen.MainWithMuxer("docker", info)
}
