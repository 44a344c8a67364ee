// Package shared holds what a Go host and a Go plugin must agree on to talk
// to each other (and to Plugboard's TypeScript host and SDK) with HashiCorp
// go-plugin: the handshake and the plugin set.
package shared

import (
	"context"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pluginv1 "plugboard/gen/pluginv1"
)

// Handshake matches HANDSHAKE in @plugboard/proto: a plugin built with go-plugin
// and this config can be loaded by the Plugboard host, and a go-plugin host
// with it can launch plugins built with the Plugboard SDK.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "PLUGBOARD_PLUGIN_COOKIE",
	MagicCookieValue: "plugboard.plugin.v1",
}

// PluginName is the key of the plugin set. Only go-plugin uses it (for
// Dispense); on the wire a plugin simply serves plugboard.plugin.v1.Plugin.
const PluginName = "plugboard"

// PluginMap is the plugin set a Go host passes to plugin.NewClient.
var PluginMap = map[string]plugin.Plugin{
	PluginName: &PlugboardGRPCPlugin{},
}

// PlugboardGRPCPlugin adapts the generated plugboard.plugin.v1.Plugin service
// to go-plugin's GRPCPlugin interface. A plugin sets Impl; a host leaves it
// nil and gets a pluginv1.PluginClient from Dispense.
type PlugboardGRPCPlugin struct {
	// Plugboard speaks gRPC only.
	plugin.NetRPCUnsupportedPlugin

	Impl pluginv1.PluginServer
}

// GRPCServer registers the plugin service on go-plugin's gRPC server (which
// already serves health, the broker and the controller).
func (p *PlugboardGRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pluginv1.RegisterPluginServer(s, p.Impl)
	return nil
}

// GRPCClient wraps the connection go-plugin opened (mTLS included) in the
// generated client.
func (p *PlugboardGRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return pluginv1.NewPluginClient(c), nil
}
