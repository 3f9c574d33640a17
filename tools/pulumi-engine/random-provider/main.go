// Command pulumi-resource-random is a stand-in for the Pulumi random provider 4.x, serving only
// RandomString and RandomPassword, for machines where the official plugin cannot be installed;
// users of Pulumi's installer never need it (their `pulumi` downloads the official plugin).
//
// It keeps the 4.x property names, defaults and lifecycle (every input change replaces the
// resource, `refresh` keeps the result), so that a stack moves between it and the official
// plugin without a diff. What it lacks: every other random resource (RandomId, RandomInteger,
// RandomPet, RandomShuffle, RandomUuid, RandomBytes), import, and the provider schema.
package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// version is the @pulumi/random release whose plugin this stands in for.
const version = "4.21.2"

const (
	typeString   = "random:index/randomString:RandomString"
	typePassword = "random:index/randomPassword:RandomPassword"
)

// The character classes of the upstream Terraform provider (internal/random/string.go).
const (
	lowerChars   = "abcdefghijklmnopqrstuvwxyz"
	upperChars   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	numericChars = "0123456789"
	specialChars = "!@#$%&*()-_=+[]{}<>:?"
)

func main() {
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(s, &provider{})
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-random: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-random: %v\n", err)
		os.Exit(1)
	}
}

type provider struct {
	pulumirpc.UnimplementedResourceProviderServer
}

var marshalOptions = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	return plugin.UnmarshalProperties(s, marshalOptions)
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, marshalOptions)
}

// resourceType is the request's type, or the part of the URN after the last `$` (a child's
// URN type is `Parent$random:index/...`).
func resourceType(typ, urn string) string {
	if typ != "" {
		return typ
	}
	parts := strings.Split(urn, "::")
	if len(parts) < 3 {
		return ""
	}
	qualified := parts[len(parts)-2]
	return qualified[strings.LastIndex(qualified, "$")+1:]
}

func (p *provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (p *provider) GetSchema(
	context.Context, *pulumirpc.GetSchemaRequest,
) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: `{"name":"random","version":"` + version + `"}`}, nil
}

func (p *provider) CheckConfig(
	_ context.Context, req *pulumirpc.CheckRequest,
) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *provider) DiffConfig(
	context.Context, *pulumirpc.DiffRequest,
) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *provider) Configure(
	context.Context, *pulumirpc.ConfigureRequest,
) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

// inputDefaults are the 4.x defaults of both resources.
var inputDefaults = resource.PropertyMap{
	"special":    resource.NewBoolProperty(true),
	"upper":      resource.NewBoolProperty(true),
	"lower":      resource.NewBoolProperty(true),
	"numeric":    resource.NewBoolProperty(true),
	"minUpper":   resource.NewNumberProperty(0),
	"minLower":   resource.NewNumberProperty(0),
	"minNumeric": resource.NewNumberProperty(0),
	"minSpecial": resource.NewNumberProperty(0),
}

// Check fills in the defaults and checks the length against the minimums, as upstream does.
func (p *provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	typ := resourceType(req.GetType(), req.GetUrn())
	if typ != typeString && typ != typePassword {
		return nil, status.Errorf(codes.Unimplemented, "resource type %q is not served by this stand-in", typ)
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	for k, v := range inputDefaults {
		if _, ok := news[resource.PropertyKey(k)]; !ok {
			news[resource.PropertyKey(k)] = v
		}
	}
	// `number` is the deprecated twin of `numeric`: both hold the same value.
	if n, ok := news["number"]; ok && n.IsBool() {
		if _, given := req.GetNews().GetFields()["numeric"]; !given {
			news["numeric"] = n
		}
	}
	news["number"] = news["numeric"]

	var failures []*pulumirpc.CheckFailure
	length, ok := news["length"]
	if !ok {
		failures = append(failures, &pulumirpc.CheckFailure{Property: "length", Reason: "length is required"})
	} else if length.IsNumber() {
		mins := 0.0
		for _, k := range []resource.PropertyKey{"minUpper", "minLower", "minNumeric", "minSpecial"} {
			if v := news[k]; v.IsNumber() {
				mins += v.NumberValue()
			}
		}
		if length.NumberValue() < 1 {
			failures = append(failures, &pulumirpc.CheckFailure{Property: "length", Reason: "length must be at least 1"})
		} else if length.NumberValue() < mins {
			failures = append(failures, &pulumirpc.CheckFailure{
				Property: "length",
				Reason:   "length must be >= minUpper + minLower + minNumeric + minSpecial",
			})
		}
	}
	inputs, err := marshal(news)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs, Failures: failures}, nil
}

// Diff: every input requires a new value (upstream marks all of them RequiresReplace).
func (p *provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	keys := map[resource.PropertyKey]bool{}
	for k := range news {
		keys[k] = true
	}
	for k := range olds {
		if k != "result" && k != "bcryptHash" && k != "id" {
			keys[k] = true
		}
	}
	var replaces []string
	detailed := map[string]*pulumirpc.PropertyDiff{}
	for k := range keys {
		o, n := olds[k], news[k]
		if n.ContainsUnknowns() || !o.DeepEquals(n) {
			replaces = append(replaces, string(k))
			detailed[string(k)] = &pulumirpc.PropertyDiff{Kind: pulumirpc.PropertyDiff_UPDATE_REPLACE}
		}
	}
	sort.Strings(replaces)
	changes := pulumirpc.DiffResponse_DIFF_NONE
	if len(replaces) > 0 {
		changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	return &pulumirpc.DiffResponse{
		Changes:         changes,
		Replaces:        replaces,
		Diffs:           replaces,
		DetailedDiff:    detailed,
		HasDetailedDiff: true,
	}, nil
}

func (p *provider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	typ := resourceType(req.GetType(), req.GetUrn())
	props, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	outputs := props.Copy()
	if req.GetPreview() {
		outputs["result"] = resource.MakeComputed(resource.NewStringProperty(""))
		if typ == typePassword {
			outputs["bcryptHash"] = resource.MakeComputed(resource.NewStringProperty(""))
		}
		out, err := marshal(outputs)
		if err != nil {
			return nil, err
		}
		return &pulumirpc.CreateResponse{Properties: out}, nil
	}
	result, err := generate(props)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	id := result
	if typ == typePassword {
		hash, err := bcrypt.GenerateFromPassword([]byte(result), bcrypt.DefaultCost)
		if err != nil {
			return nil, err
		}
		outputs["result"] = resource.MakeSecret(resource.NewStringProperty(result))
		outputs["bcryptHash"] = resource.MakeSecret(resource.NewStringProperty(string(hash)))
		id = "none"
	} else {
		outputs["result"] = resource.NewStringProperty(result)
	}
	out, err := marshal(outputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: out}, nil
}

// Read returns the state unchanged: the values exist only in the state.
func (p *provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (p *provider) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (p *provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func boolInput(props resource.PropertyMap, key resource.PropertyKey) bool {
	v, ok := props[key]
	return !ok || !v.IsBool() || v.BoolValue()
}

func intInput(props resource.PropertyMap, key resource.PropertyKey) int {
	if v, ok := props[key]; ok && v.IsNumber() {
		return int(v.NumberValue())
	}
	return 0
}

// generate makes the value as upstream does: the minimum of each class first, then characters
// from every enabled class, then a shuffle; all from crypto/rand.
func generate(props resource.PropertyMap) (string, error) {
	special := specialChars
	if v, ok := props["overrideSpecial"]; ok && v.IsString() {
		special = v.StringValue()
	}
	classes := []struct {
		enabled bool
		chars   string
		min     int
	}{
		{boolInput(props, "upper"), upperChars, intInput(props, "minUpper")},
		{boolInput(props, "lower"), lowerChars, intInput(props, "minLower")},
		{boolInput(props, "numeric"), numericChars, intInput(props, "minNumeric")},
		{boolInput(props, "special"), special, intInput(props, "minSpecial")},
	}
	length := intInput(props, "length")
	var all string
	var out []byte
	for _, c := range classes {
		if !c.enabled {
			continue
		}
		all += c.chars
		for i := 0; i < c.min; i++ {
			b, err := pick(c.chars)
			if err != nil {
				return "", err
			}
			out = append(out, b)
		}
	}
	if all == "" {
		return "", fmt.Errorf("at least one of upper, lower, numeric and special must be true")
	}
	for len(out) < length {
		b, err := pick(all)
		if err != nil {
			return "", err
		}
		out = append(out, b)
	}
	for i := len(out) - 1; i > 0; i-- {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", err
		}
		out[i], out[j.Int64()] = out[j.Int64()], out[i]
	}
	return string(out[:length]), nil
}

func pick(chars string) (byte, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
	if err != nil {
		return 0, err
	}
	return chars[n.Int64()], nil
}
