// Stand-in for the official @pulumi/docker 5.2.0 plugin: the upstream Terraform docker provider bridged
// with pulumi-terraform-bridge. Not needed where Pulumi's installer downloads the official plugin.

// Package provider holds the bridge's ProviderInfo: how the Terraform docker provider's resources,
// data sources and properties are named in Pulumi, following what @pulumi/docker 5.2.0 declares.
package provider

import (
	"context"
	"runtime"

	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	bridgetokens "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"

	// Not part of the upstream module: build.sh adds this small package to its build-time copy of the
	// upstream, to expose the constructors that live in the upstream's internal/provider.
	upstream "github.com/terraform-providers/terraform-provider-docker/shim"
)

// Version is the Pulumi package version this plugin reports (GetPluginInfo, -version); it is the
// version @pulumi/docker asks for, so `pulumi plugin install resource docker 5.2.0 --file` fits.
const Version = "5.2.0"

const (
	pkg = "docker"
	mod = "index"
)

// resource makes a resource token such as docker:index/remoteImage:RemoteImage.
func resource(name string) string {
	return pkg + ":" + mod + "/" + lowerFirst(name) + ":" + name
}

// dataSource makes a function token such as docker:index/getRemoteImage:getRemoteImage.
func dataSource(name string) string {
	return pkg + ":" + mod + "/" + name + ":" + name
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+('a'-'A')) + s[1:]
}

// Provider returns the ProviderInfo. metadata is the bridge-metadata.json that tfgen produced (nil
// when tfgen itself runs); upstreamDir, when set, is the upstream source tree whose docs/ tfgen reads.
func Provider(ctx context.Context, metadata []byte, upstreamDir string) tfbridge.ProviderInfo {
	// The upstream serves most resources with SDKv2 and a few with the Plugin Framework; the
	// official provider muxes both in one plugin, and so do we. "dev" is the version string the
	// official provider passes to the upstream constructors too (it only shows in user agents).
	sdkv2 := shimv2.NewProvider(upstream.NewSDKv2Provider("dev"))
	p := pftfbridge.MuxShimWithPF(ctx, sdkv2, upstream.NewFrameworkProvider("dev"))

	prov := tfbridge.ProviderInfo{
		P:                p,
		Name:             pkg,
		Version:          Version,
		DisplayName:      "Docker",
		Description:      "A Pulumi package for interacting with Docker in Pulumi programs",
		Keywords:         []string{"pulumi", "docker"},
		License:          "Apache-2.0",
		Homepage:         "https://pulumi.io",
		Repository:       "https://github.com/pulumi/pulumi-docker",
		GitHubOrg:        "kreuzwerker",
		UpstreamRepoPath: upstreamDir,
		Config: map[string]*tfbridge.SchemaInfo{
			"host": {
				Default: &tfbridge.DefaultInfo{
					EnvVars: []string{"DOCKER_HOST"},
					ComputeDefault: func(context.Context, tfbridge.ComputeDefaultOptions) (interface{}, error) {
						if runtime.GOOS == "windows" {
							return "npipe:////./pipe/docker_engine", nil
						}
						return "unix:///var/run/docker.sock", nil
					},
				},
			},
			// A list in Terraform, but named in the singular in @pulumi/docker.
			"registry_auth": {Name: "registryAuth", MaxItemsOne: tfbridge.False()},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			"docker_config": {Tok: tokens.Type(resource("ServiceConfig"))},
			"docker_container": {
				Tok:                 tokens.Type(resource("Container")),
				DeleteBeforeReplace: true,
				Fields: map[string]*tfbridge.SchemaInfo{
					// A list, but one command: not pluralised.
					"command": {Name: "command"},
					// Holds several networks, but keeps its singular name.
					"networks_advanced": {Name: "networksAdvanced"},
				},
			},
			"docker_image": {
				Tok:    tokens.Type(resource("RemoteImage")),
				Fields: map[string]*tfbridge.SchemaInfo{"name": {Name: "name"}},
			},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"docker_image": {Tok: tokens.ModuleMember(dataSource("getRemoteImage"))},
		},
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
	}

	// Every other resource and data source gets the standard name: docker_volume becomes
	// docker:index/volume:Volume, docker_network (data source) docker:index/getNetwork:getNetwork.
	prov.MustComputeTokens(bridgetokens.SingleModule("docker_", mod, bridgetokens.MakeStandard(pkg)))
	prov.MustApplyAutoAliases()
	// Like the official provider: a resource without an explicit `name` gets `<urn name>-<random>`.
	prov.SetAutonaming(255, "-")
	return prov
}
