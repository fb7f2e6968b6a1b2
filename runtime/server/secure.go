package server

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/mcpgen/mcpgen/runtime/internal/precheck"
	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/security"
	"github.com/mcpgen/mcpgen/runtime/security/audit"
	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/redisstore"
)

// WithSecurity replaces parts of the security stack the server builds from
// Config.Security when it starts: the audit sink, the stores (rate limits,
// nonces, idempotency records), the clock, the base log handler. The
// server adds the x-sensitive fields of every registered tool to
// SensitiveKeys itself. The zero Options is the secure default.
func WithSecurity(opts security.Options) Option {
	return func(s *Server) { s.securityOpts = opts }
}

// secure builds the server's security stack from cfg the first time the
// server starts (Run or HTTPHandler), and puts it on the request path: the
// redacting logger with every tool's sensitive fields, the per-tool rate
// limits as a tool gate, audit and security events for every call, and the
// stores' readiness. Later calls return the same stack.
func (s *Server) secure(cfg Config) (*security.Stack, error) {
	s.secureOnce.Do(func() {
		opts := s.securityOpts
		if opts.Logger == nil {
			opts.Logger = s.baseLog
		}
		if cfg.RedisURL != "" {
			// go-redis logs each failed dial itself; through the server's
			// logger those lines are redacted like every other.
			redisstore.SetClientLogger(s.logger)
			ctx, cancel := context.WithTimeout(context.Background(), redisStartTimeout)
			defer cancel()
			rs, err := redisstore.New(ctx, cfg.RedisURL, redisstore.Options{MaxNoncesPerClient: security.NonceQuota(cfg.Security.ClientRateLimit)})
			if err != nil {
				s.secureErr = err // names MCP_REDIS_URL, never its password
				return
			}
			s.redis = rs
			if opts.Limiter == nil {
				opts.Limiter = rs
			}
			if opts.Nonces == nil {
				opts.Nonces = rs
			}
			if opts.Idempotency == nil {
				opts.Idempotency = rs
			}
			s.state = rs // the stack's readiness pings it as the Limiter
		}
		opts.SensitiveKeys = append(slices.Clone(opts.SensitiveKeys), s.sensitiveKeys()...)
		if opts.ToolScopes == nil {
			opts.ToolScopes = s.toolScopes()
		}
		if opts.Tools == nil {
			opts.Tools = s.toolLimits()
		}
		stack, err := security.New(cfg.Security, opts)
		if err != nil {
			s.secureErr = err
			if s.redis != nil {
				s.redis.Close()
				s.redis = nil
			}
			return
		}
		s.stack = stack
		running.Store(s, stack) // for Reload
		s.logs.set(stack.Logger().Handler())
		s.gates = append(s.gates, func(ctx context.Context, t *Tool) error {
			if req := Request(ctx); req == nil || req.Extra == nil || req.Extra.Header == nil {
				return nil // stdio and in-process calls carry no token, so no scopes
			}
			return stack.ToolScopes(ctx, t.Name, t.Policy.Scopes)
		})
		s.gates = append(s.gates, func(ctx context.Context, t *Tool) error {
			if req := Request(ctx); req != nil && req.Extra != nil && req.Extra.Header != nil {
				// The tool limit's answer, when the security layer decided
				// it with the request's other checks (one round trip).
				ctx = precheck.FromHeader(ctx, req.Extra.Header)
			}
			return stack.ToolLimit(ctx, t.Name, t.Policy.RateLimitPerMinute)
		})
		s.observers = append(s.observers, func(ctx context.Context, c CallInfo) {
			stack.Record(ctx, audit.Call{
				Tool:          c.Tool.Name,
				Class:         audit.Class(c.Tool.Policy.AuditClass),
				CorrelationID: c.CorrelationID,
				Err:           c.Err,
				Duration:      c.Duration,
				ArgsBytes:     c.ArgsBytes,
				OutputBytes:   c.OutputBytes,
			})
			if rec, ok := dataAccess(ctx, c); ok {
				stack.DataAccess(ctx, rec)
			}
		})
		s.readiness = append(s.readiness, stack.Ready)
	})
	return s.stack, s.secureErr
}

// toolScopes gathers the x-scopes of the registered tools, by name.
func (s *Server) toolScopes() map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]string)
	for name, t := range s.tools {
		if len(t.Policy.Scopes) > 0 {
			out[name] = slices.Clone(t.Policy.Scopes)
		}
	}
	return out
}

// toolLimits gathers the registered tools' x-rate-limit, by name.
func (s *Server) toolLimits() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.tools))
	for name, t := range s.tools {
		out[name] = t.Policy.RateLimitPerMinute
	}
	return out
}

// sensitiveKeys gathers the x-sensitive fields of the registered tools.
func (s *Server) sensitiveKeys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for _, t := range s.tools {
		keys = append(keys, t.Policy.Sensitive...)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// refused reports a request the server refused before the security layers
// (the body cap, the Host and Origin checks) as the security event named.
func (s *Server) refused(r *http.Request, status int, e *mcperr.Error, event string) {
	if s.stack != nil {
		s.stack.Refused(r, status, e, event)
	}
}

// Close releases what the server's security stack holds (the audit file).
// Run calls it when it returns; a program that serves HTTPHandler itself
// calls it when it stops serving.
func (s *Server) Close() error {
	var errs []error
	if s.stack != nil {
		running.Delete(s)
		errs = append(errs, s.stack.Close())
	}
	if s.redis != nil {
		errs = append(errs, s.redis.Close())
		s.redis = nil
	}
	return errors.Join(errs...)
}

// redisStartTimeout bounds the first contact with MCP_REDIS_URL at start-up.
const redisStartTimeout = 5 * time.Second

// State returns the shared-state store of the server the call ctx belongs
// to: in Redis when MCP_REDIS_URL is set, so every replica sees one set of
// values, and in memory otherwise (64 KiB a value, 16 MiB in all). nil
// outside a tool call.
func State(ctx context.Context) store.State {
	if c := callFrom(ctx); c != nil {
		return c.state
	}
	return nil
}

// isConfigError reports whether err is a configuration problem (MCP-011),
// which Main reports with exit status 2.
func isConfigError(err error) bool {
	var e *mcperr.Error
	return errors.As(err, &e) && e.Code == mcperr.CodeMissingConfiguration
}
