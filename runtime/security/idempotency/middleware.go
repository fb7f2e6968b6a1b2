package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mcpgen/mcpgen/runtime/internal/httperr"
	"github.com/mcpgen/mcpgen/runtime/internal/principal"
	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/memstore"

	"github.com/mcpgen/mcpgen/runtime/security/internal/event"
	"github.com/mcpgen/mcpgen/runtime/security/internal/idemkey"
)

// Header names.
const (
	// HeaderKey is the request header that carries the idempotency key:
	// 1 to 128 characters of A-Z a-z 0-9 _ . : -.
	HeaderKey = "Idempotency-Key"
	// HeaderReplayed marks a response that was replayed from a record.
	HeaderReplayed = "Idempotent-Replayed"
)

// Defaults of Config.
const (
	DefaultTTL              = 24 * time.Hour
	DefaultLease            = time.Hour
	DefaultMaxResponseBytes = 1 << 20
	// DefaultMaxBodyBytes is the server's body cap, 10 MiB.
	DefaultMaxBodyBytes = 10 << 20
)

// ReplayedHeaders are the response headers kept with a record and sent again
// on a replay: what describes the body (its type, an MCP session created by
// the request) and nothing that belongs to the moment, such as Date or the
// rate-limit headers of outer layers.
var ReplayedHeaders = []string{
	"Content-Type", "Content-Language", "Cache-Control", "Location", "Link",
	"ETag", "Last-Modified", "Vary", "Mcp-Session-Id",
}

// Config configures Middleware.
type Config struct {
	// Store keeps the records (a fresh memstore.Idempotency when nil).
	Store store.Idempotency
	// TTL is how long a completed record is kept (DefaultTTL when zero).
	TTL time.Duration
	// Lease is how long a claim holds if its holder vanishes without
	// completing, which only a shared store sees (DefaultLease when zero).
	Lease time.Duration
	// MaxResponseBytes caps the body kept for a replay
	// (DefaultMaxResponseBytes when zero). A larger response is still sent
	// in full; a retry of its request is refused with MCP-005.
	MaxResponseBytes int
	// Client returns the client a request belongs to. The default is the
	// client ID the authentication layer set (principal.ClientID); requests
	// without one share a single key space, so without authentication set
	// it to ratelimit.ClientKey to keep clients apart by address.
	Client func(*http.Request) string
	// MaxBodyBytes caps the body read to fingerprint a request when no
	// fingerprint is in its context (DefaultMaxBodyBytes when zero).
	MaxBodyBytes int64
	// OnReject, when set, is told about every refused request, for
	// security events; err never holds a secret or a body. event is
	// "idempotency_conflict" for a key used for another request or still
	// in progress (422, 409), "payload_too_large" for a body over
	// MaxBodyBytes (413), "input_validation" for a malformed
	// Idempotency-Key (400), and "" when the store failed (503) or the
	// body could not be read (400), which are no security events.
	OnReject func(r *http.Request, status int, err *mcperr.Error, event string)
	// RetryableCodes are the error codes of MCP tool results that are
	// delivered but not kept, so a retry under the same key runs again
	// (DefaultRetryableCodes when nil; an empty, non-nil slice keeps every
	// tool error).
	RetryableCodes []mcperr.Code
}

// Middleware returns the idempotency layer of the HTTP request path. It acts
// on POST requests with an Idempotency-Key header and passes every other
// request through. It belongs after authentication and the client rate
// limit, so that records are written only for authenticated, admitted
// requests and belong to the right client.
//
// The request's fingerprint is the one the HMAC layer computed from the
// signed request, or else is computed from the method, host, path, query,
// Content-Type, X-API-Version and body.
func Middleware(cfg Config) func(http.Handler) http.Handler {
	if cfg.Store == nil {
		cfg.Store = memstore.NewIdempotency(memstore.IdempotencyOptions{})
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Client == nil {
		cfg.Client = func(r *http.Request) string { return principal.ClientID(r.Context()) }
	}
	if cfg.RetryableCodes == nil {
		cfg.RetryableCodes = DefaultRetryableCodes
	}
	kept := make([]string, len(ReplayedHeaders))
	for i, name := range ReplayedHeaders {
		kept[i] = http.CanonicalHeaderKey(name)
	}
	return func(next http.Handler) http.Handler {
		return &layer{cfg: cfg, next: next, kept: kept}
	}
}

type layer struct {
	cfg  Config
	next http.Handler
	kept []string // ReplayedHeaders, canonical
	// last holds the kept headers of the last response recorded. Stored
	// headers are never changed, so a response whose kept headers are the
	// same (the same type and session, as a client's calls mostly are)
	// shares the map instead of keeping one more until its record expires.
	last atomic.Pointer[http.Header]
}

func (l *layer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	keys := r.Header.Values(HeaderKey)
	if r.Method != http.MethodPost || len(keys) == 0 {
		l.next.ServeHTTP(w, r)
		return
	}
	if len(keys) > 1 || !idemkey.Valid(keys[0]) {
		l.reject(w, r, http.StatusBadRequest, event.InputValidation, mcperr.Errorf(mcperr.CodeInvalidArgs,
			"%s must appear once and be %s", HeaderKey, idemkey.Grammar))
		return
	}
	fp, ok := idemkey.Fingerprint(r.Context())
	if !ok {
		var body []byte
		var err error
		if fp, body, err = l.fingerprint(r); err != nil {
			if errors.Is(err, errTooLarge) {
				l.reject(w, r, http.StatusRequestEntityTooLarge, event.PayloadTooLarge, &mcperr.Error{
					Code:    mcperr.CodePayloadTooLarge,
					Message: fmt.Sprintf("request body is larger than %d bytes", l.cfg.MaxBodyBytes),
					Details: map[string]any{"limit_bytes": l.cfg.MaxBodyBytes},
				})
				return
			}
			l.reject(w, r, http.StatusBadRequest, "", mcperr.Errorf(mcperr.CodeInvalidArgs, "could not read the request body"))
			return
		}
		r2 := new(http.Request)
		*r2 = *r
		r2.Body = io.NopCloser(bytes.NewReader(body))
		r = r2
	}

	k := store.RecordKey{Client: l.cfg.Client(r), Key: keys[0]}
	state, resp, err := l.cfg.Store.Begin(r.Context(), k, fp, l.cfg.Lease)
	switch {
	case err != nil:
		w.Header().Set("Retry-After", "1")
		l.reject(w, r, http.StatusServiceUnavailable, "", mcperr.Errorf(mcperr.CodeBackendUnavailable,
			"the idempotency store cannot take the request now; retry shortly"))
	case state == store.Mismatch:
		l.reject(w, r, http.StatusUnprocessableEntity, event.IdempotencyConflict, mcperr.Errorf(mcperr.CodeIdempotencyConflict,
			"this %s was already used for a different request; use a new key for a new request", HeaderKey))
	case state == store.InFlight:
		w.Header().Set("Retry-After", "1")
		l.reject(w, r, http.StatusConflict, event.IdempotencyConflict, mcperr.Errorf(mcperr.CodeIdempotencyConflict,
			"a request with this %s is still in progress; retry once it has completed", HeaderKey))
	case state == store.Completed && resp.Dropped:
		l.reject(w, r, http.StatusUnprocessableEntity, event.IdempotencyConflict, mcperr.Errorf(mcperr.CodeIdempotencyConflict,
			"the request with this %s completed, but its response was larger than %d bytes and was not kept; it does not run again",
			HeaderKey, l.cfg.MaxResponseBytes))
	case state == store.Completed:
		replay(w, r, resp)
	default:
		l.run(w, r, k, fp)
	}
}

// run serves a request that claimed its key, and stores or releases the
// claim when the handler is done, also when it panics.
func (l *layer) run(w http.ResponseWriter, r *http.Request, k store.RecordKey, fp store.Fingerprint) {
	rec := &recorder{ResponseWriter: w, max: l.cfg.MaxResponseBytes, kept: l.kept, last: &l.last}
	// The record must be settled even when the client has gone away.
	ctx := context.WithoutCancel(r.Context())
	settled := false
	defer func() {
		if !settled {
			l.cfg.Store.Release(ctx, k, fp)
		}
	}()
	l.next.ServeHTTP(rec, r)
	settled = true

	status := rec.status
	if status == 0 {
		status = http.StatusOK // the handler wrote nothing
	}
	if status < 200 || status > 299 {
		l.cfg.Store.Release(ctx, k, fp)
		return
	}
	// A tool error that may not recur (a per-tool rate limit, a backend
	// down, a timeout) is an HTTP 200 with a JSON-RPC result; replaying it
	// for a day would turn a passing failure into a lasting one.
	if !rec.overflow && retryableToolError(rec.header.Get("Content-Type"), rec.body, l.cfg.RetryableCodes) {
		l.cfg.Store.Release(ctx, k, fp)
		return
	}
	resp := &store.Response{Status: status, Header: rec.header, Body: rec.body, Dropped: rec.overflow}
	switch {
	case resp.Dropped:
		resp.Body = nil
	case cap(resp.Body)-len(resp.Body) > len(resp.Body)/8:
		// A store counts what it keeps by the body's length: it keeps no
		// more than that.
		resp.Body = bytes.Clone(resp.Body)
	}
	// A store that fails here loses only the chance to replay; the response
	// has been delivered.
	l.cfg.Store.Complete(ctx, k, fp, resp, l.cfg.TTL)
}

func (l *layer) reject(w http.ResponseWriter, r *http.Request, status int, ev string, e *mcperr.Error) {
	if l.cfg.OnReject != nil {
		l.cfg.OnReject(r, status, e, ev)
	}
	httperr.Write(w, status, e)
}

var errTooLarge = errors.New("idempotency: request body too large")

// fingerprint reads r's body and computes its fingerprint.
func (l *layer) fingerprint(r *http.Request) (store.Fingerprint, []byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, l.cfg.MaxBodyBytes+1))
	if err != nil {
		return store.Fingerprint{}, nil, err
	}
	if int64(len(body)) > l.cfg.MaxBodyBytes {
		return store.Fingerprint{}, nil, errTooLarge
	}
	fp := idemkey.NewFingerprint(r.Method, strings.ToLower(r.Host), r.URL.EscapedPath(), r.URL.RawQuery,
		r.Header.Get("Content-Type"), r.Header.Get("X-API-Version"), sha256.Sum256(body))
	return fp, body, nil
}

// replay writes a stored response for r.
func replay(w http.ResponseWriter, r *http.Request, resp *store.Response) {
	h := w.Header()
	for k, vs := range resp.Header {
		h[k] = append([]string(nil), vs...)
	}
	// A retry inside an MCP session (a new one, after a reconnect, say)
	// must not be pointed back at the session of the first attempt; only
	// a retried initialize, which has no session yet, gets the one it made.
	if r.Header.Get("Mcp-Session-Id") != "" {
		h.Del("Mcp-Session-Id")
	}
	h.Set(HeaderReplayed, "true")
	w.WriteHeader(resp.Status)
	w.Write(resp.Body)
}

// recorder passes a response through to the client and keeps a copy: the
// status, the ReplayedHeaders as they were when the status was written,
// and up to max bytes of body. SSE streams go through it too, so it
// flushes.
type recorder struct {
	http.ResponseWriter
	max      int
	kept     []string                     // the canonical names of the headers kept
	last     *atomic.Pointer[http.Header] // the layer's last kept headers, shared when they match
	status   int
	header   http.Header
	body     []byte
	overflow bool
}

func (c *recorder) WriteHeader(status int) {
	if status >= 100 && status <= 199 { // informational: another status follows
		c.ResponseWriter.WriteHeader(status)
		return
	}
	if c.status != 0 {
		return
	}
	c.status = status
	src := c.ResponseWriter.Header()
	if last := c.last.Load(); last != nil && sameHeaders(*last, src, c.kept) {
		c.header = *last
		c.ResponseWriter.WriteHeader(status)
		return
	}
	// One map and one array for the values of every header kept.
	names, values := 0, 0
	for _, name := range c.kept {
		if vs := src[name]; len(vs) > 0 {
			names++
			values += len(vs)
		}
	}
	c.header = make(http.Header, names)
	all := make([]string, 0, values)
	for _, name := range c.kept {
		if vs := src[name]; len(vs) > 0 {
			from := len(all)
			all = append(all, vs...)
			c.header[name] = all[from:len(all):len(all)]
		}
	}
	kept := c.header
	c.last.Store(&kept)
	c.ResponseWriter.WriteHeader(status)
}

// sameHeaders reports whether kept holds exactly the headers named in
// names that src has, with the same values.
func sameHeaders(kept, src http.Header, names []string) bool {
	n := 0
	for _, name := range names {
		vs := src[name]
		if len(vs) == 0 {
			continue
		}
		if n++; !slices.Equal(vs, kept[name]) {
			return false
		}
	}
	return n == len(kept)
}

func (c *recorder) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	if !c.overflow {
		if len(c.body)+len(p) > c.max {
			c.overflow, c.body = true, nil
		} else {
			// The go-sdk writes each SSE event and each JSON response in
			// one Write, so a response of one message takes one allocation
			// of about its size.
			c.body = append(c.body, p...)
		}
	}
	return c.ResponseWriter.Write(p)
}

// Flush sends what was written so far, for SSE.
func (c *recorder) Flush() {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK) // flushing commits the status
	}
	http.NewResponseController(c.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (c *recorder) Unwrap() http.ResponseWriter { return c.ResponseWriter }
