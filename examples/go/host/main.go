// Command plugboard-go-host launches a Plugboard plugin with HashiCorp
// go-plugin's own client (plugin.NewClient, AutoMTLS on), calls Initialize and
// the unary PostAuth hook once, prints what came back as JSON on stdout, and
// shuts the plugin down with client.Kill (which calls plugin.GRPCController/Shutdown).
//
// It shows that plugins built with the Plugboard TypeScript SDK are ordinary
// go-plugin gRPC plugins:
//
//	plugboard-go-host node examples/plugins/request-enricher/dist/main.js
//	plugboard-go-host -config '{"headers":{"x-team":"ml"}}' -app-name demo-app -- node path/to/main.js
//
// Everything after the flags is the plugin command and its arguments. Logs
// (the host's and the plugin's stderr, re-emitted by go-plugin) go to stderr.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"

	"plugboard/examples/go/shared"
	pluginv1 "plugboard/gen/pluginv1"
)

// Output is what the program prints on stdout.
type Output struct {
	Plugin   PluginInfo   `json:"plugin"`
	Health   string       `json:"health"`
	PostAuth PostAuthInfo `json:"postAuth"`
	// PluginPid is the pid of the plugin process (gone once this prints).
	PluginPid int `json:"pluginPid"`
	// PluginExited is true when the plugin process had exited when Kill returned.
	PluginExited bool `json:"pluginExited"`
	// PluginExitCode is the plugin's exit code; -1 when a signal ended it
	// (go-plugin kills a plugin that ignores Shutdown for 2 s).
	PluginExitCode int   `json:"pluginExitCode"`
	KillMs         int64 `json:"killMs"`
}

// PluginInfo is the plugin's InitializeResponse.
type PluginInfo struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Version      string   `json:"version"`
	Capabilities []string `json:"capabilities"`
	HookChannel  bool     `json:"hookChannel"`
}

// PostAuthInfo flattens a RequestHookResult.
type PostAuthInfo struct {
	// Result is "pass", "modify" or "block".
	Result        string            `json:"result"`
	SetHeaders    map[string]string `json:"setHeaders,omitempty"`
	RemoveHeaders []string          `json:"removeHeaders,omitempty"`
	Metadata      map[string]string `json:"metadata,omitempty"`
	Status        int32             `json:"status,omitempty"`
	Body          string            `json:"body,omitempty"`
}

func main() {
	config := flag.String("config", `{"headers":{"x-team":"ml"}}`, "plugin config, as JSON (InitializeRequest.config_json)")
	pluginName := flag.String("name", "request-enricher", "name the host knows the plugin by (InitializeRequest.plugin_name)")
	appID := flag.String("app-id", "app-42", "app id in the PostAuth request context")
	appName := flag.String("app-name", "demo-app", "app name in the PostAuth request context")
	model := flag.String("model", "mock-gpt", "model in the PostAuth request context")
	timeout := flag.Duration("timeout", 20*time.Second, "deadline for starting the plugin and for each call")
	logLevel := flag.String("log-level", "info", "trace, debug, info, warn or error")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s [flags] [--] plugin-command [args...]\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() < 1 {
		flag.Usage()
		os.Exit(2)
	}

	logger := hclog.New(&hclog.LoggerOptions{
		Name:   "plugboard-go-host",
		Level:  hclog.LevelFromString(*logLevel),
		Output: os.Stderr,
	})

	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  shared.Handshake,
		Plugins:          shared.PluginMap,
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		StartTimeout:     *timeout,
		Logger:           logger,
	})

	out, err := run(client, *config, *pluginName, *appID, *appName, *model, *timeout)
	// Kill: broker close, Controller.Shutdown, then waits up to 2 s for the
	// process to exit before killing it. It returns once the process is reaped.
	started := time.Now()
	client.Kill()
	if err != nil {
		pid := 0
		if cmd.Process != nil {
			pid = cmd.Process.Pid
		}
		logger.Error("plugin call failed", "error", err, "plugin_pid", pid, "plugin_exited", client.Exited())
		os.Exit(1)
	}
	out.KillMs = time.Since(started).Milliseconds()
	out.PluginExited = client.Exited()
	out.PluginExitCode = -1
	if cmd.Process != nil {
		out.PluginPid = cmd.Process.Pid
	}
	if cmd.ProcessState != nil {
		out.PluginExitCode = cmd.ProcessState.ExitCode()
	}

	encoder := json.NewEncoder(os.Stdout)
	encoder.SetIndent("", "  ")
	if err := encoder.Encode(out); err != nil {
		logger.Error("printing the result", "error", err)
		os.Exit(1)
	}
}

func run(client *plugin.Client, config, pluginName, appID, appName, model string, timeout time.Duration) (*Output, error) {
	// Start (handshake, AutoMTLS) and connect (gRPC, broker stream).
	rpcClient, err := client.Client()
	if err != nil {
		return nil, fmt.Errorf("starting the plugin: %w", err)
	}
	// grpc.health.v1.Health/Check for service "plugin".
	if err := rpcClient.Ping(); err != nil {
		return nil, fmt.Errorf("health check: %w", err)
	}
	raw, err := rpcClient.Dispense(shared.PluginName)
	if err != nil {
		return nil, fmt.Errorf("dispense: %w", err)
	}
	pc, ok := raw.(pluginv1.PluginClient)
	if !ok {
		return nil, errors.New("dispense returned an unexpected type")
	}

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	initialized, err := pc.Initialize(ctx, &pluginv1.InitializeRequest{
		ConfigJson:         []byte(config),
		Runtime:            pluginv1.Runtime_RUNTIME_GATEWAY,
		ServiceApiBrokerId: 0, // this host serves no Service API
		Host:               &pluginv1.HostInfo{Name: "plugboard-go-host", Version: "0.1.0", InstanceId: fmt.Sprint(os.Getpid())},
		PluginName:         pluginName,
	})
	if err != nil {
		return nil, fmt.Errorf("Initialize: %w", err)
	}
	out := &Output{
		Health: "SERVING",
		Plugin: PluginInfo{
			ID:          initialized.GetId(),
			Name:        initialized.GetName(),
			Version:     initialized.GetVersion(),
			HookChannel: initialized.GetHookChannel(),
		},
	}
	for _, capability := range initialized.GetCapabilities() {
		out.Plugin.Capabilities = append(out.Plugin.Capabilities, capability.String())
	}
	sort.Strings(out.Plugin.Capabilities)

	// The unary form of the post-auth hook (a plugin with a hook channel
	// serves both).
	result, err := pc.PostAuth(ctx, &pluginv1.PostAuthRequest{
		Request: &pluginv1.HttpRequest{
			Method:   "POST",
			Path:     "/v1/chat/completions",
			Headers:  map[string]string{"content-type": "application/json"},
			Body:     []byte(`{"model":"` + model + `","messages":[{"role":"user","content":"hi"}]}`),
			ClientIp: "127.0.0.1",
		},
		Context: &pluginv1.RequestContext{
			RequestId: "go-host-req-1",
			App:       &pluginv1.App{Id: appID, Name: appName},
			Llm:       "mock",
			Model:     model,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("PostAuth: %w", err)
	}
	switch r := result.GetResult().(type) {
	case *pluginv1.RequestHookResult_Pass:
		out.PostAuth.Result = "pass"
	case *pluginv1.RequestHookResult_Modify:
		out.PostAuth.Result = "modify"
		out.PostAuth.SetHeaders = r.Modify.GetSetHeaders()
		out.PostAuth.RemoveHeaders = r.Modify.GetRemoveHeaders()
		out.PostAuth.Metadata = r.Modify.GetMetadata()
	case *pluginv1.RequestHookResult_Block:
		out.PostAuth.Result = "block"
		out.PostAuth.Status = r.Block.GetStatus()
		out.PostAuth.Body = string(r.Block.GetBody())
	default:
		return nil, errors.New("PostAuth returned no result")
	}
	return out, nil
}
