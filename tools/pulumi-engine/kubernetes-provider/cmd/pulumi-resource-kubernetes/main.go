// Stand-in for the official @pulumi/kubernetes plugin: the official provider code, built from Go
// modules. Not needed where Pulumi's installer downloads the official plugin.

// Command pulumi-resource-kubernetes is the provider plugin. build.sh writes schema-embed.json and
// terraform-mapping-embed.json (the provider module's schema.json with the plugin's version set,
// and its terraform-mapping.json) into its build copy of this directory; they are not committed,
// so this package only compiles there.
package main

import (
	_ "embed"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var schema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	// As the bridged plugins do, so that a build can be checked without starting the engine.
	if len(os.Args) == 2 && os.Args[1] == "-version" {
		fmt.Println(version.Version)
		return
	}
	provider.Serve("kubernetes", version.Version, schema, terraformMapping)
}
