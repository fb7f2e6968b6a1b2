package server_test

import (
	"bytes"
	"flag"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/security"
	"github.com/mcpgen/mcpgen/runtime/security/auth"
	"github.com/mcpgen/mcpgen/runtime/server"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func envOf(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestLoadConfig(t *testing.T) {
	loopback := []string{"localhost", "127.0.0.1", "::1"}
	defaults := server.Config{
		Mode:            server.ModeStdio,
		HTTPAddr:        "127.0.0.1:8080",
		HTTPPath:        "/mcp",
		AllowedHosts:    loopback,
		ShutdownTimeout: 10 * time.Second,

		SessionIdleTimeout: 30 * time.Minute,
		SessionsPerClient:  100,
		HTTPBodyTimeout:    30 * time.Second,
		Security:           security.Config{Auth: auth.Config{Mode: auth.ModeNone}},
	}
	with := func(change func(*server.Config)) server.Config {
		c := defaults
		change(&c)
		return c
	}
	cases := []struct {
		name string
		env  map[string]string
		want server.Config
	}{
		{"nothing set", nil, defaults},
		{"http on loopback", map[string]string{"MCP_SERVER_MODE": "http"}, with(func(c *server.Config) { c.Mode = server.ModeHTTP })},
		{"mode in upper case", map[string]string{"MCP_SERVER_MODE": "HTTP"}, with(func(c *server.Config) { c.Mode = server.ModeHTTP })},
		{"IPv6 loopback", map[string]string{"MCP_SERVER_MODE": "http", "MCP_HTTP_ADDR": "[::1]:9000"}, with(func(c *server.Config) {
			c.Mode, c.HTTPAddr = server.ModeHTTP, "[::1]:9000"
		})},
		{"localhost", map[string]string{"MCP_SERVER_MODE": "http", "MCP_HTTP_ADDR": "localhost:0"}, with(func(c *server.Config) {
			c.Mode, c.HTTPAddr = server.ModeHTTP, "localhost:0"
		})},
		{"all interfaces with hosts", map[string]string{
			"MCP_SERVER_MODE":     "http",
			"MCP_HTTP_ADDR":       "0.0.0.0:8443",
			"MCP_HTTP_PATH":       "/v1/mcp",
			"MCP_ALLOWED_HOSTS":   " mcp.example.com, mcp.example.com:8443 ,,",
			"MCP_ALLOWED_ORIGINS": "https://app.example.com,http://localhost:3000",
		}, server.Config{
			Mode:            server.ModeHTTP,
			HTTPAddr:        "0.0.0.0:8443",
			HTTPPath:        "/v1/mcp",
			AllowedHosts:    []string{"mcp.example.com", "mcp.example.com:8443"},
			AllowedOrigins:  []string{"https://app.example.com", "http://localhost:3000"},
			ShutdownTimeout: 10 * time.Second,

			SessionIdleTimeout: 30 * time.Minute,
			SessionsPerClient:  100,
			HTTPBodyTimeout:    30 * time.Second,
			Security:           security.Config{Auth: auth.Config{Mode: auth.ModeNone}},
		}},
		{"any host", map[string]string{"MCP_SERVER_MODE": "http", "MCP_HTTP_ADDR": ":8080", "MCP_ALLOWED_HOSTS": "*"}, with(func(c *server.Config) {
			c.Mode, c.HTTPAddr, c.AllowedHosts = server.ModeHTTP, ":8080", []string{"*"}
		})},
		{"stdio ignores the listen address", map[string]string{"MCP_HTTP_ADDR": "0.0.0.0:8080"}, with(func(c *server.Config) {
			c.HTTPAddr, c.AllowedHosts = "0.0.0.0:8080", nil
		})},
		{"shutdown timeout", map[string]string{"MCP_SHUTDOWN_TIMEOUT": "1m30s"}, with(func(c *server.Config) { c.ShutdownTimeout = 90 * time.Second })},
		{"stateless", map[string]string{"MCP_HTTP_STATELESS": "true"}, with(func(c *server.Config) { c.Stateless = true })},
		{"session bounds", map[string]string{"MCP_SESSION_IDLE_TIMEOUT": "5m", "MCP_SESSIONS_PER_CLIENT": "3"}, with(func(c *server.Config) {
			c.SessionIdleTimeout, c.SessionsPerClient = 5*time.Minute, 3
		})},
		{"body timeout", map[string]string{"MCP_HTTP_BODY_TIMEOUT": "5s"}, with(func(c *server.Config) { c.HTTPBodyTimeout = 5 * time.Second })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := server.LoadConfig(envOf(tc.env))
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestLoadConfigRejects(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"unknown mode", map[string]string{"MCP_SERVER_MODE": "grpc"}, `MCP_SERVER_MODE must be "stdio" or "http", got "grpc"`},
		{"port only", map[string]string{"MCP_HTTP_ADDR": "8080"}, `MCP_HTTP_ADDR must be host:port with a port 0..65535 (like 127.0.0.1:8080), got "8080"`},
		{"port out of range", map[string]string{"MCP_HTTP_ADDR": "127.0.0.1:65536"}, `MCP_HTTP_ADDR must be host:port with a port 0..65535 (like 127.0.0.1:8080), got "127.0.0.1:65536"`},
		{"health path", map[string]string{"MCP_HTTP_PATH": "/readyz"}, `MCP_HTTP_PATH must not be /healthz or /readyz, the health endpoints, got "/readyz"`},
		{"stateless not a bool", map[string]string{"MCP_HTTP_STATELESS": "yes"}, `MCP_HTTP_STATELESS must be "true" or "false", got "yes"`},
		{"idle timeout", map[string]string{"MCP_SESSION_IDLE_TIMEOUT": "-1s"}, `MCP_SESSION_IDLE_TIMEOUT must be a positive Go duration like "30m", got "-1s"`},
		{"session cap", map[string]string{"MCP_SESSIONS_PER_CLIENT": "0"}, `MCP_SESSIONS_PER_CLIENT must be an integer 1..10000, got "0"`},
		{"body timeout", map[string]string{"MCP_HTTP_BODY_TIMEOUT": "0s"}, `MCP_HTTP_BODY_TIMEOUT must be a positive Go duration like "30s", got "0s"`},
		{"relative path", map[string]string{"MCP_HTTP_PATH": "mcp"}, `MCP_HTTP_PATH must be a path starting with / (like /mcp), without query or spaces, got "mcp"`},
		{"path with a query", map[string]string{"MCP_HTTP_PATH": "/mcp?x=1"}, `MCP_HTTP_PATH must be a path starting with / (like /mcp), without query or spaces, got "/mcp?x=1"`},
		{"host with a scheme", map[string]string{"MCP_ALLOWED_HOSTS": "https://mcp.example.com"}, `MCP_ALLOWED_HOSTS entries must be a host name, host:port or *, got "https://mcp.example.com"`},
		{"wildcard subdomain", map[string]string{"MCP_ALLOWED_HOSTS": "*.example.com"}, `MCP_ALLOWED_HOSTS entries must be a host name, host:port or *, got "*.example.com"`},
		{"origin without a scheme", map[string]string{"MCP_ALLOWED_ORIGINS": "app.example.com"}, `MCP_ALLOWED_ORIGINS entries must be an origin like https://app.example.com or *, got "app.example.com"`},
		{"origin with a path", map[string]string{"MCP_ALLOWED_ORIGINS": "https://app.example.com/"}, `MCP_ALLOWED_ORIGINS entries must be an origin like https://app.example.com or *, got "https://app.example.com/"`},
		{"shutdown timeout without a unit", map[string]string{"MCP_SHUTDOWN_TIMEOUT": "10"}, `MCP_SHUTDOWN_TIMEOUT must be a positive Go duration like "10s", got "10"`},
		{"public listener without hosts", map[string]string{"MCP_SERVER_MODE": "http", "MCP_HTTP_ADDR": "0.0.0.0:8080"},
			"MCP_ALLOWED_HOSTS must be set when MCP_HTTP_ADDR (0.0.0.0:8080) is not a loopback address: list the host names clients connect to, or * to accept any Host"},
		{"every problem at once", map[string]string{"MCP_SERVER_MODE": "htp", "MCP_HTTP_PATH": "mcp"},
			`MCP_SERVER_MODE must be "stdio" or "http", got "htp"; MCP_HTTP_PATH must be a path starting with / (like /mcp), without query or spaces, got "mcp"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := server.LoadConfig(envOf(tc.env))
			var e *mcperr.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, mcperr.CodeMissingConfiguration, e.Code)
			assert.Equal(t, tc.want, e.Message)
		})
	}
}

func TestConfigFlagsOverrideTheEnvironment(t *testing.T) {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	getenv := server.ConfigFlags(fs, envOf(map[string]string{
		"MCP_SERVER_MODE": "stdio",
		"MCP_HTTP_ADDR":   "127.0.0.1:9000",
		"MCP_HTTP_PATH":   "/from-env",
	}))
	require.NoError(t, fs.Parse([]string{"-mode", "http", "-http-addr=0.0.0.0:9001", "-allowed-hosts", "mcp.example.com"}))
	cfg, err := server.LoadConfig(getenv)
	require.NoError(t, err)
	assert.Equal(t, server.Config{
		Mode:            server.ModeHTTP,
		HTTPAddr:        "0.0.0.0:9001",
		HTTPPath:        "/from-env",
		AllowedHosts:    []string{"mcp.example.com"},
		ShutdownTimeout: 10 * time.Second,

		SessionIdleTimeout: 30 * time.Minute,
		SessionsPerClient:  100,
		HTTPBodyTimeout:    30 * time.Second,
		Security:           security.Config{Auth: auth.Config{Mode: auth.ModeNone}},
	}, cfg)
}

func TestConfigFlagsHelpNamesTheVariables(t *testing.T) {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	var help bytes.Buffer
	fs.SetOutput(&help)
	server.ConfigFlags(fs, envOf(nil))
	require.ErrorIs(t, fs.Parse([]string{"-h"}), flag.ErrHelp)
	for _, name := range []string{"MCP_SERVER_MODE", "MCP_HTTP_ADDR", "MCP_HTTP_PATH", "MCP_ALLOWED_HOSTS", "MCP_ALLOWED_ORIGINS", "MCP_SHUTDOWN_TIMEOUT"} {
		assert.Contains(t, help.String(), "$"+name)
	}
	assert.Contains(t, help.String(), "-http-addr string\n    \tlisten address in http mode (default 127.0.0.1:8080); overrides $MCP_HTTP_ADDR")
}
