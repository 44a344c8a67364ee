package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	hclog "github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pluginv1 "plugboard/gen/pluginv1"
)

// Config is the plugin's configuration, sent by the host as JSON in
// InitializeRequest.config_json.
type Config struct {
	// RequiredHeader is the header every request must carry, e.g. "x-api-version".
	RequiredHeader string `json:"requiredHeader"`
}

// HeaderGuard is a pre-auth plugin: it blocks requests that lack a required
// header with 400 and an OpenAI-style error body, and passes all others.
//
// It implements only the RPCs it declares (Initialize and PreAuth); the
// embedded UnimplementedPluginServer answers the rest with codes.Unimplemented.
// The host never calls them, because Initialize declares the capabilities.
type HeaderGuard struct {
	pluginv1.UnimplementedPluginServer

	Logger hclog.Logger

	mu             sync.RWMutex
	requiredHeader string
}

// errorBody is the JSON body of a blocked request.
type errorBody struct {
	Error struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Code    string `json:"code"`
	} `json:"error"`
}

// Initialize reads the config and declares what the plugin implements. With
// hook_channel false, the host calls the unary PreAuth RPC for each request.
func (g *HeaderGuard) Initialize(_ context.Context, req *pluginv1.InitializeRequest) (*pluginv1.InitializeResponse, error) {
	var cfg Config
	if raw := strings.TrimSpace(string(req.GetConfigJson())); raw != "" && raw != "null" {
		if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "header-guard: config must be an object like {\"requiredHeader\":\"x-api-version\"}: %v", err)
		}
	}
	header := strings.ToLower(strings.TrimSpace(cfg.RequiredHeader))
	if header == "" {
		return nil, status.Error(codes.InvalidArgument, "header-guard: config.requiredHeader is required, e.g. {\"requiredHeader\":\"x-api-version\"}")
	}

	g.mu.Lock()
	g.requiredHeader = header
	g.mu.Unlock()
	g.Logger.Info("header-guard initialized", "required_header", header, "runtime", req.GetRuntime().String(), "plugin_name", req.GetPluginName())

	return &pluginv1.InitializeResponse{
		Id:           "header-guard",
		Name:         "Header guard",
		Version:      "0.1.0",
		Capabilities: []pluginv1.Capability{pluginv1.Capability_CAPABILITY_PRE_AUTH},
		HookChannel:  false,
	}, nil
}

// PreAuth runs before authentication. Header names arrive lower-case.
func (g *HeaderGuard) PreAuth(_ context.Context, req *pluginv1.PreAuthRequest) (*pluginv1.RequestHookResult, error) {
	g.mu.RLock()
	header := g.requiredHeader
	g.mu.RUnlock()
	if header == "" {
		return nil, status.Error(codes.FailedPrecondition, "header-guard: PreAuth called before Initialize")
	}

	if strings.TrimSpace(req.GetRequest().GetHeaders()[header]) != "" {
		return &pluginv1.RequestHookResult{
			Result: &pluginv1.RequestHookResult_Pass{Pass: &pluginv1.Pass{}},
		}, nil
	}

	var body errorBody
	body.Error.Message = fmt.Sprintf("missing required header %q", header)
	body.Error.Type = "invalid_request_error"
	body.Error.Code = "HEADER_REQUIRED"
	encoded, err := json.Marshal(body)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "header-guard: encoding the error body: %v", err)
	}
	g.Logger.Debug("blocked request", "request_id", req.GetRequestId(), "missing_header", header)
	return &pluginv1.RequestHookResult{
		Result: &pluginv1.RequestHookResult_Block{Block: &pluginv1.Block{
			Status:  400,
			Headers: map[string]string{"content-type": "application/json"},
			Body:    encoded,
		}},
	}, nil
}
