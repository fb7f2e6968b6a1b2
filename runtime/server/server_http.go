package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mcpgen/mcpgen/runtime/internal/httperr"
	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// MaxBodyBytes caps an HTTP request body, and a stdio message, before any of
// it is parsed; a larger request is refused with 413 and MCP-017.
const MaxBodyBytes = 10 << 20

// clientIDHeader carries the client's ID from the HTTP layer to the tool
// call, the only per-request data the SDK passes through (RequestExtra.Header).
// clientIDBridge always overwrites or deletes it, so a client cannot set it.
const clientIDHeader = "Mcpgen-Client-Id"

// Run serves the server as cfg says until ctx is cancelled, then shuts down
// gracefully: no new calls start, and those in flight run to the end (for at
// most cfg.ShutdownTimeout). Over HTTP their results are delivered; over
// stdio they are not, because the SDK writes nothing once a session closes.
// It returns nil after a clean shutdown.
//
// In stdio mode the server talks to the process that started it over
// stdin/stdout, and logs go to stderr. In http mode it listens on
// cfg.HTTPAddr and serves HTTPHandler(cfg).
//
// A server's main wires SIGINT and SIGTERM to ctx:
//
//	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
//	defer stop()
//	if err := srv.Run(ctx, cfg); err != nil { ... }
func (s *Server) Run(ctx context.Context, cfg Config) error {
	cfg = cfg.withDefaults()
	stack, err := s.secure(cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	switch cfg.Mode {
	case ModeStdio:
		return s.runStdio(ctx, cfg)
	case ModeHTTP:
		if err := stack.CheckListenAddr(cfg.HTTPAddr); err != nil {
			return err
		}
		ln, err := net.Listen("tcp", cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("runtime: %w", err)
		}
		return s.serveHTTP(ctx, ln, cfg)
	default:
		return mcperr.Errorf(mcperr.CodeMissingConfiguration, `server mode must be "stdio" or "http", got %q`, cfg.Mode)
	}
}

func (s *Server) runStdio(ctx context.Context, cfg Config) error {
	ss, err := s.mcp.Connect(ctx, stdioTransport(os.Stdin, os.Stdout), nil)
	if err != nil {
		return fmt.Errorf("runtime: stdio: %w", err)
	}
	ended := make(chan error, 1)
	go func() { ended <- ss.Wait() }()
	select {
	case err := <-ended: // the client closed stdin
		if err != nil {
			return fmt.Errorf("runtime: stdio: %w", err)
		}
		return nil
	case <-ctx.Done():
	}
	// Close stops reading requests and waits for the calls in flight.
	go ss.Close()
	select {
	case <-ended:
		return nil
	case <-time.After(cfg.ShutdownTimeout):
		return fmt.Errorf("runtime: shutdown: calls in flight did not finish within %s", cfg.ShutdownTimeout)
	}
}

// serveHTTP serves HTTPHandler(cfg) on ln until ctx is cancelled.
func (s *Server) serveHTTP(ctx context.Context, ln net.Listener, cfg Config) error {
	cfg = cfg.withDefaults()
	handler, err := s.HTTPHandler(cfg)
	if err != nil {
		return err
	}
	streams, endStreams := context.WithCancel(context.Background())
	defer endStreams()
	srv := &http.Server{
		Handler: endStreamsOnShutdown(streams, handler),
		// No WriteTimeout: SSE streams stay open. Slow headers are cut.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(endStreams)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	s.logger.Info("serving MCP over HTTP", "addr", ln.Addr().String(), "path", cfg.HTTPPath)

	select {
	case err := <-served:
		return fmt.Errorf("runtime: http: %w", err)
	case <-ctx.Done():
	}
	s.logger.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	<-served
	if err != nil {
		srv.Close()
	}
	// Only now, with every response delivered, are the sessions closed: the
	// SDK refuses to write a response once its session is closing.
	for ss := range s.mcp.Sessions() {
		if err != nil {
			go ss.Close() // Close waits for the calls that outlived the timeout
		} else {
			ss.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("runtime: shutdown: requests in flight did not finish within %s: %w", cfg.ShutdownTimeout, err)
	}
	return nil
}

// endStreamsOnShutdown ends GET requests, the clients' standalone SSE
// streams, once ctx is done. http.Server.Shutdown waits for every request to
// finish, and those never do; POST requests, which carry the calls and their
// responses, are left to finish.
func endStreamsOnShutdown(ctx context.Context, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			rctx, cancel := context.WithCancel(r.Context())
			defer cancel()
			defer context.AfterFunc(ctx, cancel)()
			r = r.WithContext(rctx)
		}
		next.ServeHTTP(w, r)
	})
}

// HTTPHandler returns the Streamable HTTP endpoint of the server with its
// first defences, in the order of the request path: the health endpoints
// (GET /healthz and /readyz, outside every other layer), the body cap (413,
// MCP-017), the Host and Origin checks against DNS rebinding (403, MCP-002),
// the path (404), then the WithHTTPMiddleware layers and the protocol. Run
// uses it in http mode; call it to mount the endpoint in a server of your own.
// Each call returns an endpoint with its own sessions.
func (s *Server) HTTPHandler(cfg Config) (http.Handler, error) {
	cfg = cfg.withDefaults()
	stack, err := s.secure(cfg)
	if err != nil {
		return nil, err
	}
	sdk := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s.mcp }, &mcp.StreamableHTTPOptions{
		Logger: s.logger,
		// limitBody enforces the cap first, with the JSON body; the SDK's
		// own limit (4 MiB by default) must not undercut it.
		MaxRequestBodyBytes: MaxBodyBytes,
		// The SDK's check only knows loopback names; hostPolicy enforces
		// the configured list, which may name a reverse proxy's host.
		DisableLocalhostProtection: true,
		Stateless:                  cfg.Stateless,
		SessionTimeout:             cfg.SessionIdleTimeout,
	})
	var h http.Handler = clientIDBridge(sdk)
	h = strictEnvelope(h)
	if cfg.Stateless {
		h = statelessOnlyPOST(h)
	} else {
		h = newSessionGuard(cfg.SessionsPerClient, s.liveSessions).handler(h)
	}
	for i := len(s.middleware) - 1; i >= 0; i-- {
		h = s.middleware[i](h)
	}
	h = stack.HTTP(h)
	h = onlyPath(cfg.HTTPPath, h)
	h = newHostPolicy(cfg).handler(h, s.refused)
	return s.health(withEndpoints(stack.Endpoints(cfg.HTTPPath), bodyDeadline(cfg.HTTPBodyTimeout, limitBody(MaxBodyBytes, h, s.refused)))), nil
}

// refusalReporter is told about a request refused before the security
// layers, for its security event.
type refusalReporter func(r *http.Request, status int, e *mcperr.Error, event string)

// statelessOnlyPOST answers GET and DELETE of a stateless endpoint with 405
// and a JSON-RPC error that says why, instead of the SDK's bare text: there
// is no session, so no standalone stream to open and nothing to end.
func statelessOnlyPOST(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodDelete {
			w.Header().Set("Allow", "POST")
			writeRPCError(w, http.StatusMethodNotAllowed, refusal(codeInvalidRequest, nil,
				"this server is stateless (MCP_HTTP_STATELESS=true): it keeps no sessions, so there is no stream to open with GET or session to end with DELETE; send every request as a POST"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// liveSessions returns the IDs of the sessions the SDK holds.
func (s *Server) liveSessions() map[string]bool {
	live := make(map[string]bool)
	for ss := range s.mcp.Sessions() {
		live[ss.ID()] = true
	}
	return live
}

// clientIDBridge copies the client ID that the middleware put in the
// request's context into clientIDHeader, for callContext.
func clientIDBridge(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := ClientID(r.Context())
		if id != "" || r.Header.Get(clientIDHeader) != "" {
			r = withClientIDHeader(r, id)
		}
		next.ServeHTTP(w, r)
	})
}

// bridged is a request with its own header map, and room for the values
// of a usual request's headers, in one allocation.
type bridged struct {
	req    http.Request
	values [16]string
}

// withClientIDHeader returns a copy of r whose clientIDHeader is id (none
// when id is ""). Handlers must not change the request they were given: a
// shallow copy with its own header map is enough (r.Clone would copy the
// URL, trailers and the rest as well). The map is built as Header.Clone
// builds it, with room for the one more header.
func withClientIDHeader(r *http.Request, id string) *http.Request {
	b := new(bridged)
	b.req = *r
	n := 1
	for k, vs := range r.Header {
		if k != clientIDHeader {
			n += len(vs)
		}
	}
	values := b.values[:0:len(b.values)]
	if n > len(b.values) {
		values = make([]string, 0, n)
	}
	h := make(http.Header, len(r.Header)+1)
	for k, vs := range r.Header {
		switch {
		case k == clientIDHeader:
		case vs == nil:
			h[k] = nil
		default:
			values = append(values, vs...)
			h[k] = values[len(values)-len(vs) : len(values) : len(values)]
		}
	}
	if id != "" {
		values = append(values, id)
		h[clientIDHeader] = values[len(values)-1:]
	}
	b.req.Header = h
	return &b.req
}

func onlyPath(path string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// The security events of the refusals the server makes itself, as
// security.Stack.Refused names them.
const (
	eventPayloadTooLarge = "payload_too_large"
	eventAuthFailure     = "auth_failure"
)

func payloadTooLarge(limit int64) *mcperr.Error {
	return &mcperr.Error{
		Code:    mcperr.CodePayloadTooLarge,
		Message: fmt.Sprintf("request body is larger than %d bytes", limit),
		Details: map[string]any{"limit_bytes": limit},
	}
}

// limitBody refuses a body over limit with 413 and MCP-017 without reading
// it into memory. A declared Content-Length is checked at once; a body of
// unknown length is capped while read, and once the cap is hit whatever the
// inner handler answers is replaced by the 413.
func limitBody(limit int64, next http.Handler, report refusalReporter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			report(r, http.StatusRequestEntityTooLarge, payloadTooLarge(limit), eventPayloadTooLarge)
			httperr.Write(w, http.StatusRequestEntityTooLarge, payloadTooLarge(limit))
			return
		}
		if r.ContentLength >= 0 { // net/http never reads past Content-Length
			next.ServeHTTP(w, r)
			return
		}
		body := &cappedBody{ReadCloser: http.MaxBytesReader(w, r.Body, limit)}
		cw := &cappedWriter{ResponseWriter: w, body: body, limit: limit}
		r2 := new(http.Request)
		*r2 = *r
		r2.Body = body
		next.ServeHTTP(cw, r2)
		if body.exceeded.Load() && !cw.wroteHeader {
			cw.refuse()
		}
		if cw.refused {
			report(r, http.StatusRequestEntityTooLarge, payloadTooLarge(limit), eventPayloadTooLarge)
		}
	})
}

// cappedBody notes when a request body ran into its cap.
type cappedBody struct {
	io.ReadCloser
	exceeded atomic.Bool
}

func (b *cappedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		b.exceeded.Store(true)
	}
	return n, err
}

// cappedWriter replaces the inner handler's response with the 413 once the
// body has run into its cap.
type cappedWriter struct {
	http.ResponseWriter
	body        *cappedBody
	limit       int64
	wroteHeader bool
	refused     bool
}

func (w *cappedWriter) refuse() {
	w.wroteHeader, w.refused = true, true
	httperr.Write(w.ResponseWriter, http.StatusRequestEntityTooLarge, payloadTooLarge(w.limit))
}

func (w *cappedWriter) WriteHeader(status int) {
	if w.wroteHeader {
		return
	}
	if w.body.exceeded.Load() {
		w.refuse()
		return
	}
	w.wroteHeader = true
	w.ResponseWriter.WriteHeader(status)
}

func (w *cappedWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.refused {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

// Flush keeps SSE streaming working through the wrapper.
func (w *cappedWriter) Flush() {
	if !w.refused {
		http.NewResponseController(w.ResponseWriter).Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *cappedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// hostPolicy decides which Host and Origin headers are accepted.
type hostPolicy struct {
	anyHost   bool
	hosts     []hostPort
	anyOrigin bool
	origins   map[string]bool // nil: derived from hosts
}

type hostPort struct{ host, port string }

func newHostPolicy(cfg Config) *hostPolicy {
	p := &hostPolicy{}
	hosts := cfg.AllowedHosts
	if len(hosts) == 0 {
		hosts = loopbackHosts
	}
	for _, h := range hosts {
		if h == "*" {
			p.anyHost = true
			continue
		}
		if host, port, ok := parseHostEntry(h); ok {
			p.hosts = append(p.hosts, hostPort{host, port})
		}
	}
	for _, o := range cfg.AllowedOrigins {
		if o == "*" {
			p.anyOrigin = true
			continue
		}
		if p.origins == nil {
			p.origins = make(map[string]bool)
		}
		p.origins[strings.ToLower(o)] = true
	}
	return p
}

// listedHost reports whether a Host value is in the list, "*" aside.
func (p *hostPolicy) listedHost(value string) bool {
	host, port, ok := parseHostEntry(value)
	if !ok {
		return false
	}
	for _, hp := range p.hosts {
		if hp.host == host && (hp.port == "" || hp.port == port) {
			return true
		}
	}
	return false
}

func (p *hostPolicy) allowOrigin(origin string) bool {
	if p.anyOrigin {
		return true
	}
	if p.origins != nil {
		return p.origins[strings.ToLower(origin)]
	}
	// By default a page may call the server only from an origin on one of
	// its listed host names; "*" hosts do not open it to every site.
	u, err := url.Parse(origin)
	return err == nil && validOrigin(origin) && p.listedHost(u.Host)
}

func (p *hostPolicy) handler(next http.Handler, report refusalReporter) http.Handler {
	refuse := func(w http.ResponseWriter, r *http.Request, message string) {
		e := mcperr.Errorf(mcperr.CodeUnauthorized, "%s", message)
		report(r, http.StatusForbidden, e, eventAuthFailure)
		httperr.Write(w, http.StatusForbidden, e)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !p.anyHost && !p.listedHost(r.Host) {
			refuse(w, r, "the request's Host is not an allowed host (MCP_ALLOWED_HOSTS)")
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" && !p.allowOrigin(origin) {
			refuse(w, r, "the request's Origin is not an allowed origin (MCP_ALLOWED_ORIGINS)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// withEndpoints serves the security stack's own endpoints (the OAuth
// protected-resource metadata) by exact path, outside the MCP path, its
// body cap and its authentication.
func withEndpoints(eps map[string]http.Handler, next http.Handler) http.Handler {
	if len(eps) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := eps[r.URL.Path]; ok {
			h.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
