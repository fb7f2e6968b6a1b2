package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/server"

	"github.com/mcpgen/mcpgen/examples/trading/tools"
	"github.com/mcpgen/mcpgen/runtime/security/audit"
	"github.com/mcpgen/mcpgen/runtime/security/auth"
	"github.com/mcpgen/mcpgen/runtime/security/ratelimit"
	"github.com/mcpgen/mcpgen/runtime/security/redact"
)

// security is the server's security setup, from the environment: the
// authentication mode, the redacting logger, audit events and rate limits.
type security struct {
	auth    auth.Config
	logger  *slog.Logger
	audit   *audit.Logger
	limiter ratelimit.Limiter
}

// allowUnauthenticated is the variable that lets HTTP without
// authentication listen beyond loopback, for a server behind a gateway that
// authenticates for it.
const allowUnauthenticated = "MCP_ALLOW_UNAUTHENTICATED"

// newSecurity reads the security settings. HTTP without authentication on
// an address other than loopback is refused unless explicitly allowed.
func newSecurity(cfg server.Config, getenv func(string) string, stderr io.Writer) (*security, error) {
	ac, err := auth.ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	if cfg.Mode == server.ModeHTTP && ac.Mode == auth.ModeNone && !isLoopback(cfg.HTTPAddr) && getenv(allowUnauthenticated) != "true" {
		return nil, mcperr.Errorf(mcperr.CodeMissingConfiguration,
			"HTTP on %s without authentication: set AUTH_MODE=bearer or hmac with its secret, listen on a loopback address, or set %s=true if a gateway in front authenticates",
			cfg.HTTPAddr, allowUnauthenticated)
	}
	var sensitive []string
	for _, t := range tools.Tools(tools.UnimplementedHandlers{}) {
		sensitive = append(sensitive, t.Policy.Sensitive...)
	}
	logger := slog.New(redact.NewHandler(slog.NewJSONHandler(stderr, nil), redact.Options{SensitiveKeys: sensitive}))
	sink := stderr
	if path := getenv("MCP_AUDIT_LOG"); path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return nil, mcperr.Errorf(mcperr.CodeMissingConfiguration, "MCP_AUDIT_LOG: cannot open %s: %v", path, err)
		}
		sink = f
	}
	s := &security{
		auth:    ac,
		logger:  logger,
		audit:   audit.New(audit.NewWriterSink(sink), audit.Options{SensitiveKeys: sensitive}),
		limiter: ratelimit.NewMemory(ratelimit.MemoryOptions{}),
	}
	s.auth.RateLimiter = s.limiter
	s.auth.OnReject = s.rejected
	return s, nil
}

// rejected turns a request refused before the protocol layer into a
// security event.
func (s *security) rejected(r *http.Request, status int, e *mcperr.Error) {
	typ := map[mcperr.Code]audit.SecurityType{
		mcperr.CodeUnauthorized:        audit.AuthFailure,
		mcperr.CodeRateLimitExceeded:   audit.RateLimit,
		mcperr.CodeIdempotencyConflict: audit.IdempotencyConflict,
		mcperr.CodePayloadTooLarge:     audit.PayloadTooLarge,
	}[e.Code]
	if typ == "" {
		typ = audit.SecurityType(e.Code.Name())
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	if err := s.audit.Security(audit.Security{Type: typ, ClientID: server.ClientID(r.Context()), ClientIP: host,
		Code: e.Code, Reason: e.Message, Details: map[string]any{"status": status}}); err != nil {
		s.logger.Error("writing a security event failed", "error", err)
	}
}

// options returns the runtime options that put the security layers on the
// request path.
func (s *security) options(cfg server.Config) ([]server.Option, error) {
	opts := []server.Option{
		server.WithLogger(s.logger),
		server.WithToolGate(ratelimit.ToolGate(s.limiter)),
		server.WithObserver(s.audit.Observe),
	}
	if cfg.Mode == server.ModeHTTP {
		mw, err := auth.Middleware(s.auth)
		if err != nil {
			return nil, fmt.Errorf("authentication: %w", err)
		}
		opts = append(opts, server.WithHTTPMiddleware(mw))
	}
	return opts, nil
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
