package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/store/memstore"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hmacServer serves the downstream behind HMAC authentication with keys,
// on a fake clock.
func hmacServer(t *testing.T, cfg Config) (url string, clock *fakeClock, d *downstream) {
	t.Helper()
	return hmacServerWith(t, cfg, Options{})
}

// hmacServerWith is hmacServer with options; its clock replaces opts.Now.
func hmacServerWith(t *testing.T, cfg Config, opts Options) (url string, clock *fakeClock, d *downstream) {
	t.Helper()
	clock = newFakeClock()
	cfg.Mode, opts.Now = ModeHMAC, clock.Now
	a, err := New(cfg, opts)
	require.NoError(t, err)
	srv, d := serve(t, handler(a))
	return srv.URL, clock, d
}

// signed returns a POST of body to url signed with key at the clock's time;
// edit, when set, changes the signing parameters first.
func signed(t *testing.T, key Key, clock *fakeClock, url, body string, edit func(*SignParams)) *http.Request {
	t.Helper()
	p := SignParams{Method: http.MethodPost, URL: url, ContentType: "application/json", Body: []byte(body), Time: clock.Now()}
	if edit != nil {
		edit(&p)
	}
	h, _, err := SignRequestHeaders(key, p)
	require.NoError(t, err)
	req, err := http.NewRequest(p.Method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header = h
	return req
}

const mismatch = "X-Signature does not match the request, or X-Key-Id names no key of this server; details.string_to_sign is the canonical string the server signed (docs/hmac-v1.md)"

const rpcBody = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"quote.get","arguments":{"symbol":"EURUSD"}}}`

func TestHMACFailures(t *testing.T) {
	url, clock, d := hmacServer(t, Config{Keys: []Key{keyA, keyA2, keyB}})
	const required = "X-Key-Id, X-Signature, X-Timestamp, X-Nonce, Idempotency-Key, X-API-Version"
	set := func(name, value string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set(name, value) }
	}
	tests := []struct {
		name    string
		edit    func(*SignParams)   // before signing
		tamper  func(*http.Request) // after signing
		status  int
		code    string
		message string
		details map[string]any
	}{
		{"no headers", nil, func(r *http.Request) { r.Header = http.Header{} }, 401, "MCP-002",
			"missing HMAC v1 header(s) " + required + "; every request must carry " + required,
			map[string]any{"missing": []any{"X-Key-Id", "X-Signature", "X-Timestamp", "X-Nonce", "Idempotency-Key", "X-API-Version"}}},
		{"missing nonce and key ID", nil, func(r *http.Request) { r.Header.Del("X-Nonce"); r.Header.Del("X-Key-Id") }, 401, "MCP-002",
			"missing HMAC v1 header(s) X-Key-Id, X-Nonce; every request must carry " + required,
			map[string]any{"missing": []any{"X-Key-Id", "X-Nonce"}}},
		{"nonce twice", nil, func(r *http.Request) { r.Header.Add("X-Nonce", "another-nonce-0123456789") }, 401, "MCP-002",
			"X-Nonce must appear once", nil},
		{"key ID grammar", nil, set("X-Key-Id", "desk a"), 401, "MCP-002",
			"X-Key-Id must be 1 to 64 characters of A-Z a-z 0-9 _ . -", nil},
		{"timestamp with a leading zero", nil, set("X-Timestamp", "01767225600"), 401, "MCP-002",
			"X-Timestamp must be Unix seconds: 1 to 12 decimal digits without a leading zero", nil},
		{"timestamp in milliseconds", nil, set("X-Timestamp", "1767225600000"), 401, "MCP-002",
			"X-Timestamp must be Unix seconds: 1 to 12 decimal digits without a leading zero", nil},
		{"timestamp as a date", nil, set("X-Timestamp", "2026-01-01T00:00:00Z"), 401, "MCP-002",
			"X-Timestamp must be Unix seconds: 1 to 12 decimal digits without a leading zero", nil},
		{"short nonce", nil, set("X-Nonce", "abc123"), 401, "MCP-002",
			"X-Nonce must be 16 to 128 characters of A-Z a-z 0-9 _ -", nil},
		{"nonce in standard base64", nil, set("X-Nonce", "q83vEjRWeJASNFZ4kBI0Vg+/=="), 401, "MCP-002",
			"X-Nonce must be 16 to 128 characters of A-Z a-z 0-9 _ -", nil},
		{"idempotency key grammar", nil, set("Idempotency-Key", "order 42"), 401, "MCP-002",
			"Idempotency-Key must be 1 to 128 characters of A-Z a-z 0-9 _ . : -", nil},
		{"upper-case signature", nil, func(r *http.Request) { r.Header.Set("X-Signature", strings.ToUpper(r.Header.Get("X-Signature"))) }, 401, "MCP-002",
			"X-Signature must be 64 lower-case hex digits (HMAC-SHA256)", nil},
		{"base64 signature", nil, set("X-Signature", "q83vEjRWeJASNFZ4kBI0VniQEjRWeJASNFZ4kBI0Vng="), 401, "MCP-002",
			"X-Signature must be 64 lower-case hex digits (HMAC-SHA256)", nil},
		{"unknown API version", func(p *SignParams) { p.APIVersion = "2.0.0" }, nil, 401, "MCP-002",
			"X-API-Version is not a supported version; supported: 1.0.0",
			map[string]any{"supported_versions": []any{"1.0.0"}}},
		{"unknown key: answered as a wrong signature, so key IDs cannot be told apart", nil, set("X-Key-Id", "desk-z"), 401, "MCP-002",
			mismatch, nil},
		{"stale timestamp", func(p *SignParams) { p.Time = p.Time.Add(-301 * time.Second) }, nil, 401, "MCP-002",
			"X-Timestamp is 301 s behind the server's clock; signatures are accepted within 300 s of the server's time, which is 1767225600",
			map[string]any{"server_time": 1767225600.0}},
		{"future timestamp", func(p *SignParams) { p.Time = p.Time.Add(301 * time.Second) }, nil, 401, "MCP-002",
			"X-Timestamp is 301 s ahead of the server's clock; signatures are accepted within 300 s of the server's time, which is 1767225600",
			map[string]any{"server_time": 1767225600.0}},
		{"bad percent-encoding in the query", nil, func(r *http.Request) { r.URL.RawQuery = "a=%zz" }, 401, "MCP-002",
			"the request's query is not valid percent-encoding", nil},
		{"signed with another key's secret", nil, func(r *http.Request) {
			bad := keyB
			bad.ID = keyA.ID
			h, _, err := SignRequestHeaders(bad, SignParams{Method: "POST", URL: r.URL.String(), ContentType: "application/json", Body: []byte(rpcBody), Time: clock.Now()})
			require.NoError(t, err)
			r.Header = h
		}, 401, "MCP-002", mismatch, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := signed(t, keyA, clock, url, rpcBody, tt.edit)
			if tt.tamper != nil {
				tt.tamper(req)
			}
			resp := do(t, nil, req)
			assert.Equal(t, tt.status, resp.status)
			assert.Equal(t, `MCP-HMAC-SHA256-V1 realm="mcp"`, resp.header.Get("WWW-Authenticate"))
			b := resp.error(t)
			assert.Equal(t, tt.code, b.Code)
			assert.Equal(t, tt.message, b.Message)
			if tt.details != nil {
				assert.Equal(t, tt.details, b.Details)
			}
			assert.NotContains(t, string(resp.body), "test-secret")
			if sig := req.Header.Get("X-Signature"); sig != "" {
				assert.NotContains(t, string(resp.body), sig)
			}
			assert.NotContains(t, string(resp.body), "EURUSD", "no body in the error")
		})
	}
	assert.Zero(t, d.runs.Load())
}

func TestHMACSignatureCoversEveryField(t *testing.T) {
	url, clock, d := hmacServer(t, Config{Keys: []Key{keyA, keyB}, APIVersions: []string{"1.0.0", "1.1.0"}})
	tests := []struct {
		name   string
		tamper func(*http.Request)
	}{
		{"body", func(r *http.Request) {
			r.Body, r.ContentLength = http.NoBody, 0
		}},
		{"method", func(r *http.Request) { r.Method = http.MethodPut }},
		{"path", func(r *http.Request) { r.URL.Path = "/other" }},
		{"query", func(r *http.Request) { r.URL.RawQuery = "dry_run=1" }},
		{"host", func(r *http.Request) { r.Host = "localhost:" + r.URL.Port() }},
		{"content type", func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }},
		{"API version", func(r *http.Request) { r.Header.Set("X-API-Version", "1.1.0") }},
		{"idempotency key", func(r *http.Request) { r.Header.Set("Idempotency-Key", "other-key") }},
		{"nonce", func(r *http.Request) { r.Header.Set("X-Nonce", "another-nonce-0123456789") }},
		{"timestamp", func(r *http.Request) {
			r.Header.Set("X-Timestamp", "1767225601")
		}},
		{"key ID", func(r *http.Request) { r.Header.Set("X-Key-Id", keyB.ID) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := signed(t, keyA, clock, url+"/mcp", rpcBody, nil)
			tt.tamper(req)
			resp := do(t, nil, req)
			assert.Equal(t, http.StatusUnauthorized, resp.status)
			b := resp.error(t)
			assert.Equal(t, "MCP-002", b.Code)
			assert.True(t, strings.HasPrefix(b.Message, "X-Signature does not match the request"), b.Message)
			assert.True(t, strings.HasPrefix(b.Details["string_to_sign"].(string), "MCP-HMAC-SHA256-V1\n"))
		})
	}
	assert.Zero(t, d.runs.Load())
}

func TestHMACAccepts(t *testing.T) {
	url, clock, d := hmacServer(t, Config{Keys: []Key{keyA, keyA2, keyB}})
	tests := []struct {
		name   string
		key    Key
		url    string
		edit   func(*SignParams)
		client string
	}{
		{"first key of a rotation", keyA, url, nil, "desk-a"},
		{"second key of a rotation, same client", keyA2, url, nil, "desk-a"},
		{"key without a client", keyB, url, nil, "desk-b"},
		{"300 s behind", keyA, url, func(p *SignParams) { p.Time = p.Time.Add(-300 * time.Second) }, "desk-a"},
		{"300 s ahead", keyA, url, func(p *SignParams) { p.Time = p.Time.Add(300 * time.Second) }, "desk-a"},
		{"escaped path and unsorted query", keyA, url + "/mcp/a%20b/%7Euser?z=1&a=x+y&a=%41", nil, "desk-a"},
		{"empty body", keyA, url, func(p *SignParams) { p.Body = nil; p.ContentType = "" }, "desk-a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := rpcBody
			req := signed(t, tt.key, clock, tt.url, body, func(p *SignParams) {
				if tt.edit != nil {
					tt.edit(p)
					body = string(p.Body)
				}
			})
			req.Body, req.ContentLength = http.NoBody, 0
			if body != "" {
				req.Body, req.ContentLength = bodyReader(body), int64(len(body))
			}
			resp := do(t, nil, req)
			require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
			assert.Equal(t, seen{Client: tt.client, Body: body}, resp.seen(t))
		})
	}
	assert.Equal(t, int64(len(tests)), d.runs.Load())
}

func TestHMACKeyIDOptionalWithOneKey(t *testing.T) {
	url, clock, d := hmacServer(t, Config{Keys: []Key{keyB}})
	req := signed(t, keyB, clock, url, rpcBody, nil)
	req.Header.Del("X-Key-Id")
	resp := do(t, nil, req)
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	assert.Equal(t, "desk-b", resp.seen(t).Client)

	req = signed(t, keyB, clock, url, rpcBody, nil)
	req.Header.Del("X-Nonce")
	b := do(t, nil, req).error(t)
	assert.Equal(t, "missing HMAC v1 header(s) X-Nonce; every request must carry X-Signature, X-Timestamp, X-Nonce, Idempotency-Key, X-API-Version", b.Message)
	assert.Equal(t, int64(1), d.runs.Load())
}

func TestHMACReplayedNonce(t *testing.T) {
	url, clock, d := hmacServer(t, Config{Keys: []Key{keyA, keyB}})
	req := signed(t, keyA, clock, url, rpcBody, nil)
	again := req.Clone(context.Background())
	again.Body = bodyReader(rpcBody)

	require.Equal(t, http.StatusOK, do(t, nil, req).status)
	resp := do(t, nil, again)
	assert.Equal(t, http.StatusUnauthorized, resp.status)
	assert.Equal(t, "X-Nonce was already used; sign every request with a new nonce", resp.error(t).Message)

	// The same nonce from another client is that client's own.
	other := signed(t, keyB, clock, url, rpcBody, func(p *SignParams) { p.Nonce = req.Header.Get("X-Nonce") })
	assert.Equal(t, http.StatusOK, do(t, nil, other).status)

	// Remembered for 600 s: still refused after the 300 s window moved on
	// with a request stamped at its far edge.
	future := signed(t, keyA, clock, url, rpcBody, func(p *SignParams) { p.Time = p.Time.Add(300 * time.Second) })
	replay := future.Clone(context.Background())
	replay.Body = bodyReader(rpcBody)
	require.Equal(t, http.StatusOK, do(t, nil, future).status)
	clock.Add(599 * time.Second)
	assert.Equal(t, "X-Nonce was already used; sign every request with a new nonce", do(t, nil, replay).error(t).Message)
	assert.Equal(t, int64(3), d.runs.Load())
}

func TestHMACNonceNotStoredWhenTheSignatureFails(t *testing.T) {
	url, clock, d := hmacServer(t, Config{Keys: []Key{keyA}})
	nonce := "attacker-chosen-nonce-0001"
	forged := signed(t, keyA, clock, url, rpcBody, func(p *SignParams) { p.Nonce = nonce })
	forged.Header.Set("X-Signature", strings.Repeat("0", 64))
	require.Equal(t, http.StatusUnauthorized, do(t, nil, forged).status)

	genuine := signed(t, keyA, clock, url, rpcBody, func(p *SignParams) { p.Nonce = nonce })
	assert.Equal(t, http.StatusOK, do(t, nil, genuine).status, "the forged request did not burn the nonce")
	assert.Equal(t, int64(1), d.runs.Load())
}

func TestHMACBodyOverTheCap(t *testing.T) {
	url, clock, d := hmacServer(t, Config{Keys: []Key{keyA}, MaxBodyBytes: 16})
	resp := do(t, nil, signed(t, keyA, clock, url, rpcBody, nil))
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.status)
	b := resp.error(t)
	assert.Equal(t, "MCP-017", b.Code)
	assert.Equal(t, "request body is larger than 16 bytes", b.Message)
	assert.Zero(t, d.runs.Load())
}

type brokenNonces struct{}

func (brokenNonces) Remember(context.Context, string, string, time.Duration) (bool, error) {
	return false, errors.New("redis: connection refused")
}

func TestHMACNonceStoreDown(t *testing.T) {
	url, clock, d := hmacServerWith(t, Config{Keys: []Key{keyA}}, Options{Nonces: brokenNonces{}})
	resp := do(t, nil, signed(t, keyA, clock, url, rpcBody, nil))
	assert.Equal(t, http.StatusServiceUnavailable, resp.status)
	assert.Equal(t, "1", resp.header.Get("Retry-After"))
	assert.Empty(t, resp.header.Get("WWW-Authenticate"))
	b := resp.error(t)
	assert.Equal(t, "MCP-003", b.Code)
	assert.Equal(t, "the replay-protection store cannot take the request now; retry shortly", b.Message)
	assert.Zero(t, d.runs.Load())
}

// Each refusal names its security event.
func TestOnReject(t *testing.T) {
	var got []string
	clock := newFakeClock()
	a, err := New(Config{Mode: ModeHMAC, Keys: []Key{keyA}, MaxBodyBytes: 1024}, Options{Now: clock.Now,
		Nonces: memstore.NewNonces(memstore.NonceOptions{MaxPerClient: 2, Now: clock.Now}),
		OnReject: func(r *http.Request, status int, e *mcperr.Error, event string) {
			got = append(got, fmt.Sprint(status, " ", e.Code, " ", event))
		}})
	require.NoError(t, err)
	srv, _ := serve(t, handler(a))
	url := srv.URL

	unsigned := signed(t, keyA, clock, url, rpcBody, nil)
	unsigned.Header.Del("X-Signature")
	do(t, nil, unsigned)
	forged := signed(t, keyA, clock, url, rpcBody, nil)
	forged.Header.Set("X-Signature", strings.Repeat("0", 64))
	do(t, nil, forged)
	do(t, nil, signed(t, keyA, clock, url, rpcBody, func(p *SignParams) { p.Time = p.Time.Add(-301 * time.Second) }))
	do(t, nil, signed(t, keyA, clock, url, strings.Repeat("x", 1025), nil))
	first := signed(t, keyA, clock, url, rpcBody, nil)
	again := first.Clone(context.Background())
	again.Body = bodyReader(rpcBody)
	do(t, nil, first)
	do(t, nil, again)
	do(t, nil, signed(t, keyA, clock, url, rpcBody, nil))
	do(t, nil, signed(t, keyA, clock, url, rpcBody, nil))
	assert.Equal(t, []string{
		"401 MCP-002 auth_failure",
		"401 MCP-002 auth_failure",
		"401 MCP-002 stale_timestamp",
		"413 MCP-017 payload_too_large",
		"401 MCP-002 replay",
		"429 MCP-006 rate_limit",
	}, got)

	got = nil
	down, err := New(Config{Mode: ModeHMAC, Keys: []Key{keyA}}, Options{Now: clock.Now, Nonces: brokenNonces{},
		OnReject: func(r *http.Request, status int, e *mcperr.Error, event string) {
			got = append(got, fmt.Sprint(status, " ", e.Code, " ", event))
		}})
	require.NoError(t, err)
	srv, _ = serve(t, handler(down))
	do(t, nil, signed(t, keyA, clock, srv.URL, rpcBody, nil))
	assert.Equal(t, []string{"503 MCP-003 "}, got, "a store down is no security event")
}

func bodyReader(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }

func TestHMACDefaultBodyCap(t *testing.T) {
	url, clock, d := hmacServer(t, Config{Keys: []Key{keyA}})
	fits := strings.Repeat("x", DefaultMaxSignedBodyBytes)
	resp := do(t, nil, signed(t, keyA, clock, url, fits, nil))
	assert.Equal(t, http.StatusOK, resp.status)

	resp = do(t, nil, signed(t, keyA, clock, url, fits+"x", nil))
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.status)
	b := resp.error(t)
	assert.Equal(t, "MCP-017", b.Code)
	assert.Equal(t, "request body is larger than 2097152 bytes", b.Message)
	assert.Equal(t, map[string]any{"limit_bytes": 2097152.0}, b.Details)
	assert.Equal(t, int64(1), d.runs.Load())
}

// A caller cannot learn which key IDs exist: an unknown one is answered
// exactly as a known one whose signature is wrong, at every step.
func TestHMACUnknownKeyIDIsNotDisclosed(t *testing.T) {
	url, clock, d := hmacServer(t, Config{Keys: []Key{keyA, keyB}, MaxBodyBytes: 1024})
	forged := Key{ID: keyA.ID, Secret: "not-the-secret-0123456789abcdef0123456789"}
	unknown := Key{ID: "desk-z", Secret: forged.Secret}
	steps := []struct {
		name string
		edit func(*SignParams)
	}{
		{"current request", nil},
		{"stale timestamp", func(p *SignParams) { p.Time = p.Time.Add(-400 * time.Second) }},
		{"body over the cap", func(p *SignParams) { p.Body = []byte(strings.Repeat("x", 2000)) }},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			answer := func(key Key) (int, string, string) {
				body := rpcBody
				req := signed(t, key, clock, url, body, func(p *SignParams) {
					if st.edit != nil {
						st.edit(p)
						body = string(p.Body)
					}
				})
				req.Body, req.ContentLength = bodyReader(body), int64(len(body))
				resp := do(t, nil, req)
				b := resp.error(t)
				return resp.status, b.Code, b.Message
			}
			ks, kc, km := answer(forged)
			us, uc, um := answer(unknown)
			assert.Equal(t, ks, us)
			assert.Equal(t, kc, uc)
			assert.Equal(t, km, um)
		})
	}
	status, code, message := func() (int, string, string) {
		resp := do(t, nil, signed(t, unknown, clock, url, rpcBody, nil))
		b := resp.error(t)
		return resp.status, b.Code, b.Message
	}()
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "MCP-002", code)
	assert.Equal(t, mismatch, message)
	assert.Zero(t, d.runs.Load())
}
