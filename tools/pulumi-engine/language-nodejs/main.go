// Command pulumi-language-nodejs is a minimal Node.js language host for the Pulumi engine,
// used only where Pulumi's own host cannot be installed; users of Pulumi's installer never need it.
//
// The engine starts it with the engine's address as the last argument; it prints the port it
// serves the LanguageRuntime gRPC service on. `Run` starts the official program runner of the
// project's own @pulumi/pulumi (`node <node_modules>/@pulumi/pulumi/cmd/run`), so the program
// itself runs in Pulumi's npm code. What it lacks compared to Pulumi's host: dependency
// installation (`pulumi install`), `pulumi new` templates and prompts, program packing and
// linking, `pulumi about` dependency listing, yarn/pnpm/bun detection, and `nodeargs`.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// version is what GetPluginInfo reports: the Pulumi release this host speaks for.
const version = "3.248.0"

// exitCodeReported is the runner's exit code after it has already shown the error to the user
// (@pulumi/pulumi cmd/run: nodeJSProcessExitedAfterLoggingUserActionableMessage).
const exitCodeReported = 32

func main() {
	// The engine address is the last argument; flags before it (tracing, logging) are ignored.
	args := os.Args[1:]
	if len(args) == 0 || strings.HasPrefix(args[len(args)-1], "-") {
		fmt.Fprintln(os.Stderr, "pulumi-language-nodejs: missing the engine address argument")
		os.Exit(1)
	}
	host := &languageHost{engineAddress: args[len(args)-1]}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(s, host)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
	mu            sync.Mutex
}

func (h *languageHost) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.mu.Lock()
		h.engineAddress = req.GetEngineAddress()
		h.mu.Unlock()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *languageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// packageJSON is the part of a package.json this host reads.
type packageJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Pulumi  *struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

// GetRequiredPackages lists the resource plugins of the npm packages installed for the program:
// every package.json under node_modules whose "pulumi" block says `resource: true`, as Pulumi's
// own host does, so that the engine can check the plugins before it runs the program.
func (h *languageHost) GetRequiredPackages(
	_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	nodeModules, err := findNodeModules(programDirectory(req.GetInfo()))
	if err != nil {
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	seen := map[string]bool{}
	var packages []*pulumirpc.PackageDependency
	err = filepath.WalkDir(nodeModules, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() || d.Name() != "package.json" {
			return nil
		}
		// Only package roots: node_modules/<pkg>/package.json or node_modules/@scope/<pkg>/package.json.
		parent := filepath.Base(filepath.Dir(filepath.Dir(path)))
		grandparent := filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(path))))
		if parent != "node_modules" && !(strings.HasPrefix(parent, "@") && grandparent == "node_modules") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		var pkg packageJSON
		if json.Unmarshal(data, &pkg) != nil || pkg.Pulumi == nil || !pkg.Pulumi.Resource {
			return nil
		}
		name := pkg.Pulumi.Name
		if name == "" {
			name = strings.TrimPrefix(pkg.Name, "@pulumi/")
		}
		ver := pkg.Pulumi.Version
		if ver == "" {
			ver = pkg.Version
		}
		if !strings.HasPrefix(ver, "v") {
			ver = "v" + ver
		}
		key := name + "@" + ver
		if seen[key] {
			return nil
		}
		seen[key] = true
		packages = append(packages, &pulumirpc.PackageDependency{
			Name: name, Kind: "resource", Version: ver, Server: pkg.Pulumi.Server,
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}, nil
}

// Run runs the program with the official runner of the project's @pulumi/pulumi.
func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	programDir := programDirectory(info)
	if programDir == "" {
		programDir = req.GetPwd()
	}
	nodeModules, err := findNodeModules(programDir)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	runner := filepath.Join(nodeModules, "@pulumi", "pulumi", "cmd", "run")
	if _, err := os.Stat(filepath.Join(runner, "index.js")); err != nil {
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("%s not found: run `npm ci` in %s", runner, filepath.Dir(nodeModules)),
		}, nil
	}

	h.mu.Lock()
	engine := h.engineAddress
	h.mu.Unlock()
	entry := "."
	if info != nil && info.GetEntryPoint() != "" {
		entry = info.GetEntryPoint()
	}
	args := []string{
		runner,
		"--monitor=" + req.GetMonitorAddress(),
		"--engine=" + engine,
		"--organization=" + req.GetOrganization(),
		"--project=" + req.GetProject(),
		"--stack=" + req.GetStack(),
		"--pwd=" + req.GetPwd(),
		"--parallel=" + strconv.Itoa(int(req.GetParallel())),
	}
	if info != nil && info.GetRootDirectory() != "" {
		args = append(args, "--root-directory="+info.GetRootDirectory())
	}
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secrets, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	options := runtimeOptions(info)
	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secrets),
		"PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(options.typescript),
	)
	if options.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+options.tsconfig)
	}

	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = programDir
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if exit.ExitCode() == exitCodeReported {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exit.ExitCode()),
			}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run node: %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

type options struct {
	typescript bool
	tsconfig   string
}

// runtimeOptions reads `runtime.options` of Pulumi.yaml; TypeScript is on unless turned off,
// as in Pulumi's own host.
func runtimeOptions(info *pulumirpc.ProgramInfo) options {
	result := options{typescript: true}
	if info == nil || info.GetOptions() == nil {
		return result
	}
	fields := info.GetOptions().AsMap()
	if v, ok := fields["typescript"].(bool); ok {
		result.typescript = v
	}
	if v, ok := fields["tsconfig"].(string); ok {
		result.tsconfig = v
	}
	return result
}

func programDirectory(info *pulumirpc.ProgramInfo) string {
	if info == nil {
		return ""
	}
	if info.GetProgramDirectory() != "" {
		return info.GetProgramDirectory()
	}
	return info.GetRootDirectory()
}

// findNodeModules returns the nearest node_modules at or above dir that holds @pulumi/pulumi.
func findNodeModules(dir string) (string, error) {
	start := dir
	if start == "" {
		var err error
		if start, err = os.Getwd(); err != nil {
			return "", err
		}
	}
	for d := start; ; d = filepath.Dir(d) {
		candidate := filepath.Join(d, "node_modules")
		if _, err := os.Stat(filepath.Join(candidate, "@pulumi", "pulumi", "package.json")); err == nil {
			return candidate, nil
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", fmt.Errorf("no node_modules with @pulumi/pulumi at or above %s: run `npm ci` there", start)
}
