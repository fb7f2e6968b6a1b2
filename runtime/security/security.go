package security

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpgen/mcpgen/runtime/internal/precheck"
	"github.com/mcpgen/mcpgen/runtime/internal/principal"
	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/memstore"
	"github.com/mcpgen/mcpgen/runtime/typed"

	"github.com/mcpgen/mcpgen/runtime/security/audit"
	"github.com/mcpgen/mcpgen/runtime/security/auth"
	"github.com/mcpgen/mcpgen/runtime/security/idempotency"
	"github.com/mcpgen/mcpgen/runtime/security/ratelimit"
	"github.com/mcpgen/mcpgen/runtime/security/redact"
)

// Config is the whole security setup of a server, as read from the
// environment (ConfigFromEnv).
type Config struct {
	// Auth is the authentication mode and its credentials: AUTH_MODE,
	// AUTH_TOKEN, API_KEY_HMAC_SECRET (either may be ENCRYPTED_), the
	// tokens and keys files, MCP_API_VERSIONS.
	Auth auth.Config
	// ClientRateLimit is the per-client limit of HTTP requests,
	// MCP_CLIENT_RATE_LIMIT: ratelimit.DefaultRule (1000 a minute) when
	// zero, none when Limit is negative ("off").
	ClientRateLimit ratelimit.Rule
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed when a request has no client ID (mode none),
	// MCP_TRUSTED_PROXIES.
	TrustedProxies []netip.Prefix
	// AuditLog is the file audit and security events are appended to,
	// created with mode 0600 (MCP_AUDIT_LOG); "" writes them to
	// Options.Stderr. Options.AuditSink replaces both.
	AuditLog string
	// AllowUnauthenticated lets HTTP without authentication listen beyond
	// loopback, for a server behind a gateway that authenticates for it
	// (MCP_ALLOW_UNAUTHENTICATED=true). See Stack.CheckListenAddr.
	AllowUnauthenticated bool

	// ToolRateLimits override the tools' x-rate-limit, by tool name
	// (MCP_TOOL_RATE_LIMITS): a Rule, or Limit -1 for no limit ("off").
	ToolRateLimits map[string]ratelimit.Rule
	// AllowlistFiles binds allowlists (x-allowlists, found by name with
	// typed.Allowlists) to files of values, one a line
	// (MCP_ALLOWLIST_FILES): name → path. The files are read when the
	// stack is built and on every reload.
	AllowlistFiles map[string]string
	// SettingsFile (MCP_SETTINGS_FILE) holds NAME=value lines of the
	// reloadable settings, MCP_CLIENT_RATE_LIMIT, MCP_TOOL_RATE_LIMITS and
	// MCP_ALLOWLIST_FILES, each replacing the field above when given. It
	// is read when the stack is built and on every reload.
	SettingsFile string
	// TokensFile and KeysFile are the files the bearer tokens
	// (MCP_AUTH_TOKENS_FILE) or HMAC keys (MCP_HMAC_KEYS_FILE) of Auth were
	// read from; a reload reads them again.
	TokensFile, KeysFile string
	// WatchInterval (MCP_WATCH_INTERVAL), when positive, is how often the
	// files above are checked for a change (modification time, size,
	// identity); a change that has stayed one interval reloads them. Zero
	// reloads only on Stack.Reload (SIGHUP, through the server).
	WatchInterval time.Duration
}

// Options replace the parts of a Stack that are not configuration. The
// zero value is a complete, secure setup.
type Options struct {
	// Logger is the base log handler (a JSON handler on Stderr when nil).
	// Whatever it is, the Stack's logger wraps it in redaction.
	Logger slog.Handler
	// Stderr is where the default logger, and audit events when there is
	// no AuditLog, are written (os.Stderr when nil).
	Stderr io.Writer
	// AuditSink receives audit and security events, instead of
	// Config.AuditLog or Stderr.
	AuditSink audit.Sink
	// SensitiveKeys are the x-sensitive JSON pointers or keys of the
	// registered tools (their Policy.Sensitive), redacted in logs and
	// audit events on top of the built-in secret names.
	SensitiveKeys []string
	// Limiter counts both the client rate limit of HTTP requests and the
	// per-tool limits of tool calls: one store, so one client's requests
	// and calls are counted in one place (a memstore.Limiter when nil).
	Limiter store.Limiter
	// Nonces remembers the nonces of signed requests (a memstore.Nonces
	// when nil).
	Nonces store.Nonces
	// Idempotency keeps idempotency records (a memstore.Idempotency when
	// nil).
	Idempotency store.Idempotency
	// ToolScopes are the scopes each registered tool needs, by tool name
	// (their Policy.Scopes, from x-scopes). In oauth mode HTTP refuses a
	// tools/call whose token lacks them with 403 insufficient_scope before
	// the protocol layer, and the protected-resource metadata lists them
	// as scopes_supported; ToolScopes, the tool gate, checks every call
	// whatever this holds.
	ToolScopes map[string][]string
	// Tools names the registered tools, each with its x-rate-limit in
	// calls a minute (0 for none): MCP_TOOL_RATE_LIMITS may then name only
	// these tools, and configuration-change records give the definition's
	// limit a changed override replaces. Nil accepts any tool name.
	Tools map[string]int
	// Now is the clock of timestamps, windows and events (time.Now when
	// nil).
	Now func() time.Time
}

// Stack is a server's security: the layers of the HTTP request path, the
// per-tool limits, the audit and security events and the redacting logger,
// built from one Config. It is safe for concurrent use.
type Stack struct {
	cfg       Config
	logger    *slog.Logger
	audit     *audit.Logger
	auditFile *os.File
	authn     *auth.Authenticator
	limiter   store.Limiter
	stores    []namedStore // for Ready
	// checker decides the checks of a request together when the Limiter
	// is a store.Checker (checkTogether); noncesTogether and
	// claimsTogether when the Nonces and the Idempotency records are the
	// same store, so it decides the nonce and claims the record too.
	checker                        store.Checker
	noncesTogether, claimsTogether bool
	clientKey                      ratelimit.KeyFunc
	idem                           func(http.Handler) http.Handler

	// The reloadable settings: the current ones (their client rate limit,
	// tool limits and allowlist files), swapped whole by Reload; what
	// Reload is serialized by; the files the last read touched, which the
	// watcher checks; the registered tools.
	live      atomic.Pointer[liveConfig]
	reloadMu  sync.Mutex
	watched   atomic.Pointer[[]string]
	tools     map[string]int
	stopWatch chan struct{}
	watchDone sync.WaitGroup
	closeOnce sync.Once

	// oauth mode: the protected-resource metadata endpoint (nil in other
	// modes), the tools' scopes, whether tools/list is filtered by them.
	metadata    http.Handler
	toolScopes  map[string][]string
	listByScope bool
}

type namedStore struct {
	name  string
	store any
}

// New returns the Stack of cfg, or an *mcperr.Error with code MCP-011
// listing everything wrong with cfg.
func New(cfg Config, opts Options) (*Stack, error) {
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Limiter == nil {
		opts.Limiter = memstore.NewLimiter(memstore.LimiterOptions{Now: opts.Now})
	}
	if opts.Nonces == nil {
		opts.Nonces = memstore.NewNonces(memstore.NonceOptions{Now: opts.Now, MaxPerClient: NonceQuota(cfg.ClientRateLimit)})
	}
	if opts.Idempotency == nil {
		opts.Idempotency = memstore.NewIdempotency(memstore.IdempotencyOptions{Now: opts.Now})
	}
	s := &Stack{
		cfg:       cfg,
		limiter:   opts.Limiter,
		tools:     opts.Tools,
		clientKey: ratelimit.ClientKey(cfg.TrustedProxies),
		stores: []namedStore{
			{"rate-limit", opts.Limiter}, {"nonce", opts.Nonces}, {"idempotency", opts.Idempotency},
		},
	}
	if c, ok := opts.Limiter.(store.Checker); ok {
		// The layers ask through precheck.Store, which answers from what
		// checkTogether asked the Checker.
		s.checker = c
		s.noncesTogether = sameStore(opts.Limiter, opts.Nonces)
		s.claimsTogether = sameStore(opts.Limiter, opts.Idempotency)
		s.limiter = precheck.Store{Limiter: opts.Limiter}
		if s.noncesTogether {
			opts.Nonces = precheck.Store{Nonces: opts.Nonces}
		}
		if s.claimsTogether {
			opts.Idempotency = precheck.Store{Idempotency: opts.Idempotency}
		}
	}
	base := opts.Logger
	if base == nil {
		base = slog.NewJSONHandler(opts.Stderr, nil)
	}
	s.logger = slog.New(redact.NewHandler(base, redact.Options{SensitiveKeys: opts.SensitiveKeys}))

	var problems []string
	sink := opts.AuditSink
	if sink == nil && cfg.AuditLog != "" {
		f, err := os.OpenFile(cfg.AuditLog, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			problems = append(problems, fmt.Sprintf("MCP_AUDIT_LOG %s cannot be opened: %s", cfg.AuditLog, pathErrText(err)))
		} else {
			s.auditFile = f
			sink = audit.NewWriterSink(f)
		}
	}
	if sink == nil {
		sink = audit.NewWriterSink(opts.Stderr)
	}
	s.audit = audit.New(sink, audit.Options{
		Now:      opts.Now,
		Redactor: redact.New(redact.Options{SensitiveKeys: opts.SensitiveKeys}),
		OnError:  func(err error) { s.logger.Error("audit event not written", "error", err) },
	})

	authn, err := auth.New(cfg.Auth, auth.Options{Nonces: opts.Nonces, Now: opts.Now, OnReject: s.Refused})
	if err != nil {
		problems = append(problems, mcperr.AsError(err).Message)
	}
	s.authn = authn
	if authn != nil && authn.Mode() == auth.ModeOAuth {
		oc, _ := authn.OAuth()
		s.toolScopes = make(map[string][]string, len(opts.ToolScopes))
		for tool, scopes := range opts.ToolScopes {
			if len(scopes) > 0 {
				s.toolScopes[tool] = slices.Clone(scopes)
			}
		}
		s.listByScope = oc.ListByScope
		s.metadata = metadataHandler(resourceMetadata{
			Resource:             oc.Audience,
			AuthorizationServers: []string{oc.Issuer},
			ScopesSupported:      scopesSupported(s.toolScopes),
			BearerMethods:        []string{"header"},
		})
		if oc.JWKSURL != "" {
			s.stores = append(s.stores, namedStore{"OAuth key set (OAUTH_JWKS_URL)", authn})
		}
	}

	s.idem = idempotency.Middleware(idempotency.Config{
		Store:        opts.Idempotency,
		Lease:        idempotency.DefaultLease, // checkTogether claims with it too
		Client:       s.clientKey,
		MaxBodyBytes: cfg.Auth.MaxBodyBytes,
		OnReject:     s.Refused,
	})
	// The reloadable settings, from the settings and allowlist files as
	// well as cfg: read as a reload reads them, applied without records.
	next, files, readProblems := s.read(false)
	for _, p := range readProblems {
		problems = append(problems, p.String())
	}
	if len(problems) > 0 {
		s.Close()
		return nil, &mcperr.Error{Code: mcperr.CodeMissingConfiguration, Message: "security: " + strings.Join(problems, "; ")}
	}
	s.apply(next, nil)
	s.watched.Store(&files)
	if cfg.WatchInterval > 0 {
		s.startWatch(cfg.WatchInterval)
	}
	return s, nil
}

// NonceQuota is how many unexpired nonces one client may hold, following
// the client rate limit so that a client within its limit never runs into
// it: twice what the limit admits over auth.NonceTTL (a sliding window can
// admit up to twice its limit across two windows), at least the memory
// store's default share. With the client limit off ("off", a negative
// Limit) there is no per-client quota either, only the store's total.
func NonceQuota(clientLimit ratelimit.Rule) int {
	if clientLimit.Limit < 0 {
		return memstore.DefaultMaxNonces
	}
	if clientLimit == (ratelimit.Rule{}) {
		clientLimit = ratelimit.DefaultRule
	}
	if clientLimit.Window <= 0 {
		return 0 // the store's default; New reports the bad rule
	}
	windows := int64((auth.NonceTTL + clientLimit.Window - 1) / clientLimit.Window)
	quota := 2 * int64(clientLimit.Limit) * windows
	return int(min(max(quota, int64(memstore.DefaultMaxNonces/8)), int64(memstore.DefaultMaxNonces)))
}

// pathErrText returns the reason of an *os.PathError without the path,
// which the message already names.
func pathErrText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Logger returns the server's logger: Options.Logger, or JSON on Stderr,
// behind redaction of secrets and of the SensitiveKeys.
func (s *Stack) Logger() *slog.Logger { return s.logger }

// Mode returns the mode requests are authenticated in.
func (s *Stack) Mode() auth.Mode { return s.authn.Mode() }

// HTTP returns next behind the security layers of the HTTP request path,
// in this order:
//
//	authentication → client rate limit → replay check (nonce) → scopes → idempotency → next
//
// (the replay check in hmac mode only; the scope check, 403
// insufficient_scope for a tools/call whose token lacks the tool's
// scopes, in oauth mode only, where every response is also marked
// Cache-Control: private)
// so that nothing is written for a request that does not authenticate, and
// a request the rate limit refuses uses up no nonce. A request that passes
// has its client's ID in its context (the key's or token's client; in mode
// none its address, as "ip:203.0.113.7" or an IPv6 /64), which keys its
// rate limits, nonces, idempotency records and events. Every refusal is
// the runtime's JSON error body with its status (401, 413, 422, 409, 429,
// 503) and, when it is one, a security event.
//
// Mount it behind the body cap and the Host and Origin checks, which
// report their refusals through Refused.
func (s *Stack) HTTP(next http.Handler) http.Handler {
	h := s.idem(next)
	h = s.scopeCheck(h)
	h = s.authn.Replay(h)
	h = &clientLimitLayer{s: s, next: h}
	if s.checker != nil {
		h = s.checkTogether(h)
	}
	h = s.authn.Authenticate(h)
	switch s.Mode() {
	case auth.ModeNone:
		h = s.byAddress(h)
	case auth.ModeOAuth:
		h = private(h)
	}
	return h
}

// sameStore reports whether a and b are one store (comparable and equal).
func sameStore(a, b any) bool {
	ta := reflect.TypeOf(a)
	return ta != nil && ta == reflect.TypeOf(b) && ta.Comparable() && a == b
}

// byAddress gives an unauthenticated request its address as client ID, so
// per-tool limits and events tell such clients apart as the client rate
// limit does. The ID holds ':', which no authenticated client ID holds.
func (s *Stack) byAddress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(principal.WithClientID(r.Context(), s.clientKey(r))))
	})
}

// Refused records a request refused with status and err as the security
// event named by event (audit.SecurityType values, such as "auth_failure"
// or "payload_too_large"); with event "" it is no security event and is
// logged instead. The layers of HTTP report through it, and so does the
// server for the refusals it makes in front of them: the body cap
// ("payload_too_large") and the Host and Origin checks ("auth_failure").
// It writes nothing to the client.
func (s *Stack) Refused(r *http.Request, status int, err *mcperr.Error, event string) {
	var ip string
	if addr, ok := ratelimit.ClientAddr(r, s.cfg.TrustedProxies); ok {
		ip = addr.String()
	} else if host, _, splitErr := net.SplitHostPort(r.RemoteAddr); splitErr == nil {
		ip = host
	}
	client := principal.ClientID(r.Context())
	if event == "" {
		s.logger.Warn("request refused", "status", status, "code", string(err.Code), "message", err.Message,
			"client_id", client, "client_ip", ip)
		return
	}
	if werr := s.audit.Security(audit.Security{
		Type:     audit.SecurityType(event),
		ClientID: client,
		ClientIP: ip,
		Code:     err.Code,
		Reason:   err.Message,
		Details:  map[string]any{"status": status, "method": r.Method, "path": r.URL.Path},
	}); werr != nil {
		s.logger.Error("security event not written", "error", werr, "event_type", event)
	}
}

// ToolLimit applies a tool's x-rate-limit, perMinute calls a minute for
// the calling client (principal.ClientID(ctx)), counted by the Limiter the
// client rate limit uses too; perMinute 0 is no limit. A refused call gets
// MCP-006, whose details say when to retry (limit, remaining, reset,
// retry_after_seconds); a store that fails, MCP-003. The call's security
// event is written when the server records the call (Record).
//
// MCP_TOOL_RATE_LIMITS (Config.ToolRateLimits, or the settings file)
// overrides perMinute for the tools it names, with a limit of any window
// or none ("off"); a reload changes it for the calls that start after it.
func (s *Stack) ToolLimit(ctx context.Context, tool string, perMinute int) error {
	if rule, ok := s.live.Load().tools[tool]; ok {
		return allowTool(ctx, s.limiter, principal.ClientID(ctx), tool, rule)
	}
	return ratelimit.AllowTool(ctx, s.limiter, principal.ClientID(ctx), tool, perMinute)
}

// DataAccess writes the data_access record (class data_access, 365
// days) of a call that read or wrote stored data: the resource and the
// action, with the call's correlation ID and client (the one of ctx when
// e has none). The server writes one for every call of a tool whose
// definition declares x-audit data_access. The resource is redacted by
// pattern like every free-form field; it must never be the value of an
// x-sensitive field, which the server and the generator see to.
func (s *Stack) DataAccess(ctx context.Context, e audit.DataAccess) {
	if e.ClientID == "" {
		e.ClientID = principal.ClientID(ctx)
	}
	if err := s.audit.DataAccess(e); err != nil {
		s.logger.Error("data access record not written", "error", err, "resource", e.Resource)
	}
}

// Record writes the events of one finished tool call: a tool_execution
// record in the tool's audit class and, when the call failed with a
// security code (MCP-001, 002, 005, 006, 015, 016, 017), a security event
// naming the tool and the client. A call without a ClientID gets the one
// of ctx.
func (s *Stack) Record(ctx context.Context, call audit.Call) {
	if call.ClientID == "" {
		call.ClientID = principal.ClientID(ctx)
	}
	s.audit.Record(call)
}

// Ready reports whether every store the stack uses answers: nil, or the
// first store's error. Stores that can be unreachable implement
// store.Pinger; the memory stores always answer.
func (s *Stack) Ready(ctx context.Context) error {
	for _, st := range s.stores {
		if p, ok := st.store.(store.Pinger); ok {
			if err := p.Ping(ctx); err != nil {
				return fmt.Errorf("security: the %s store does not answer: %w", st.name, err)
			}
		}
	}
	return nil
}

// CheckListenAddr returns MCP-011 when the stack authenticates nothing
// (mode none), addr (host:port) is not a loopback address, and
// Config.AllowUnauthenticated is not set: HTTP without authentication is
// for local development, or behind a gateway that authenticates.
func (s *Stack) CheckListenAddr(addr string) error {
	if s.Mode() != auth.ModeNone || s.cfg.AllowUnauthenticated || isLoopback(addr) {
		return nil
	}
	return mcperr.Errorf(mcperr.CodeMissingConfiguration,
		"HTTP on %s without authentication: set AUTH_MODE=bearer or hmac with its secret, listen on a loopback address, or set MCP_ALLOW_UNAUTHENTICATED=true if a gateway in front authenticates",
		addr)
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// Close stops the file watch, gives the allowlists the stack bound to
// files back their definitions' values, and closes the audit file the
// stack opened, if any.
func (s *Stack) Close() error {
	s.closeOnce.Do(func() {
		if s.stopWatch != nil {
			close(s.stopWatch)
			s.watchDone.Wait()
		}
		if l := s.live.Load(); l != nil {
			for name := range l.lists {
				for _, a := range typed.Allowlists(name) {
					a.Replace(a.Defaults())
				}
			}
		}
	})
	if s.auditFile == nil {
		return nil
	}
	err := s.auditFile.Close()
	s.auditFile = nil
	return err
}
