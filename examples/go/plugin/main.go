// Command plugboard-go-header-guard is a Plugboard pre-auth plugin written in
// Go with HashiCorp go-plugin: it blocks requests lacking a required header.
//
// Load it in a Plugboard host as
//
//	{ name: 'header-guard', source: 'file:///path/to/plugboard-go-header-guard', config: { requiredHeader: 'x-api-version' } }
//
// Logging: go-plugin (1.0.x) replaces os.Stdout and os.Stderr with pipes that
// nobody reads once plugin.Serve runs, so anything printed with fmt.Print or
// the standard log package after that point fills a 64 KB pipe buffer and then
// blocks the plugin forever. Log through the hclog logger below, which keeps
// the original stderr the host reads (and forwards JSON lines with their level).
package main

import (
	"os"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"

	"plugboard/examples/go/shared"
)

func main() {
	// Created before Serve, so it holds the real stderr, not go-plugin's pipe.
	logger := hclog.New(&hclog.LoggerOptions{
		Name:       "header-guard",
		Level:      hclog.LevelFromString(envOr("HEADER_GUARD_LOG_LEVEL", "info")),
		Output:     os.Stderr,
		JSONFormat: true,
	})

	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: shared.Handshake,
		Plugins: map[string]plugin.Plugin{
			shared.PluginName: &shared.PlugboardGRPCPlugin{Impl: &HeaderGuard{Logger: logger}},
		},
		GRPCServer: plugin.DefaultGRPCServer,
		Logger:     logger,
	})
}

func envOr(key, fallback string) string {
	if value := os.Getenv(key); value != "" {
		return value
	}
	return fallback
}
