package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/internal/principal"
	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/memstore"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/security/internal/idemkey"
)

// errorBody is the part of the runtime error body the tests look at.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type result struct {
	status int
	header http.Header
	body   string
}

func (r result) errorBody(t *testing.T) errorBody {
	t.Helper()
	var b errorBody
	require.NoError(t, json.Unmarshal([]byte(r.body), &b), r.body)
	return b
}

// post sends a POST with an Idempotency-Key (none when key is "").
func post(t *testing.T, url, key, body string) result {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(HeaderKey, key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return result{resp.StatusCode, resp.Header, string(raw)}
}

// counting serves h behind Middleware(cfg) and counts the handler's runs.
func counting(t *testing.T, cfg Config, h http.HandlerFunc) (url string, runs *atomic.Int64) {
	t.Helper()
	runs = new(atomic.Int64)
	srv := httptest.NewServer(Middleware(cfg)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		h(w, r)
	})))
	t.Cleanup(srv.Close)
	return srv.URL, runs
}

func jsonHandler(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Mcp-Session-Id", "session-1")
	w.Header().Set("X-Request-Time", time.Now().String()) // not replayed
	w.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":{"echo":` + string(body) + `}}`))
}

func sseHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	for _, event := range []string{
		"event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\n",
		"event: message\nid: 7\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n",
	} {
		io.WriteString(w, event)
		w.(http.Flusher).Flush()
	}
}

func TestReplay(t *testing.T) {
	for _, tt := range []struct {
		name        string
		handler     http.HandlerFunc
		contentType string
	}{
		{"application/json", jsonHandler, "application/json"},
		{"text/event-stream", sseHandler, "text/event-stream"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			url, runs := counting(t, Config{}, tt.handler)
			first := post(t, url, "order-1", `{"qty":1}`)
			again := post(t, url, "order-1", `{"qty":1}`)

			assert.Equal(t, int64(1), runs.Load(), "the handler ran once")
			assert.Equal(t, http.StatusOK, again.status)
			assert.Equal(t, first.body, again.body)
			assert.Equal(t, tt.contentType, again.header.Get("Content-Type"))
			assert.Equal(t, first.header.Get("Mcp-Session-Id"), again.header.Get("Mcp-Session-Id"))
			assert.Empty(t, again.header.Get("X-Request-Time"))
			assert.Empty(t, first.header.Get(HeaderReplayed))
			assert.Equal(t, "true", again.header.Get(HeaderReplayed))
		})
	}
}

// TestReplayKeepsEachResponsesHeaders: responses whose kept headers are
// the same share them, and each replay still gets the headers its own
// response had, whatever was recorded in between.
func TestReplayKeepsEachResponsesHeaders(t *testing.T) {
	url, _ := counting(t, Config{}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if s := r.URL.Query().Get("session"); s != "" {
			w.Header().Set("Mcp-Session-Id", s)
		}
		w.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":{}}`))
	})
	for i, session := range []string{"a", "a", "b", "", "a", "b"} {
		post(t, url+"?session="+session, fmt.Sprint("key-", i), `{}`)
	}
	for i, session := range []string{"a", "a", "b", "", "a", "b"} {
		again := post(t, url+"?session="+session, fmt.Sprint("key-", i), `{}`)
		assert.Equal(t, "true", again.header.Get(HeaderReplayed))
		assert.Equal(t, session, again.header.Get("Mcp-Session-Id"), "key-%d", i)
		assert.Equal(t, "application/json", again.header.Get("Content-Type"))
	}
}

func TestReplayInASessionKeepsItsSession(t *testing.T) {
	url, runs := counting(t, Config{}, jsonHandler)
	send := func(session string) result {
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{}`))
		require.NoError(t, err)
		req.Header.Set(HeaderKey, "call-1")
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return result{resp.StatusCode, resp.Header, string(raw)}
	}
	assert.Equal(t, "session-1", send("").header.Get("Mcp-Session-Id"))
	assert.Equal(t, "session-1", send("").header.Get("Mcp-Session-Id"), "a retried initialize gets the session it created")
	again := send("session-2")
	assert.Equal(t, "true", again.header.Get(HeaderReplayed))
	assert.Empty(t, again.header.Get("Mcp-Session-Id"), "a retry in another session is not sent back to the first")
	assert.Equal(t, int64(1), runs.Load())
}

func TestConflict(t *testing.T) {
	url, runs := counting(t, Config{}, jsonHandler)
	require.Equal(t, http.StatusOK, post(t, url, "order-1", `{"qty":1}`).status)
	got := post(t, url, "order-1", `{"qty":2}`)
	assert.Equal(t, http.StatusUnprocessableEntity, got.status)
	assert.Equal(t, errorBody{"MCP-005", "this Idempotency-Key was already used for a different request; use a new key for a new request"}, got.errorBody(t))
	assert.Equal(t, int64(1), runs.Load())
}

func TestInFlight(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	url, runs := counting(t, Config{}, func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		jsonHandler(w, r)
	})
	done := make(chan result)
	go func() { done <- post(t, url, "order-1", `{"qty":1}`) }()
	<-entered

	got := post(t, url, "order-1", `{"qty":1}`)
	assert.Equal(t, http.StatusConflict, got.status)
	assert.Equal(t, "1", got.header.Get("Retry-After"))
	assert.Equal(t, errorBody{"MCP-005", "a request with this Idempotency-Key is still in progress; retry once it has completed"}, got.errorBody(t))

	close(release)
	assert.Equal(t, http.StatusOK, (<-done).status)
	assert.Equal(t, http.StatusOK, post(t, url, "order-1", `{"qty":1}`).status, "replayed once completed")
	assert.Equal(t, int64(1), runs.Load())
}

func TestPassThrough(t *testing.T) {
	url, runs := counting(t, Config{}, jsonHandler)
	post(t, url, "", `{}`)
	post(t, url, "", `{}`)
	for range 2 {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		require.NoError(t, err)
		req.Header.Set(HeaderKey, "order-1")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	assert.Equal(t, int64(4), runs.Load(), "no key or not a POST: every request runs")
}

func TestRefusedResponsesReleaseTheKey(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	url, runs := counting(t, Config{}, func(w http.ResponseWriter, r *http.Request) {
		if fail.Swap(false) {
			http.Error(w, "session not found", http.StatusNotFound)
			return
		}
		jsonHandler(w, r)
	})
	assert.Equal(t, http.StatusNotFound, post(t, url, "order-1", `{}`).status)
	assert.Equal(t, http.StatusOK, post(t, url, "order-1", `{}`).status)
	assert.Equal(t, "true", post(t, url, "order-1", `{}`).header.Get(HeaderReplayed))
	assert.Equal(t, int64(2), runs.Load())
}

func TestPanicReleasesTheKey(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	url, runs := counting(t, Config{}, func(w http.ResponseWriter, r *http.Request) {
		if fail.Swap(false) {
			panic(http.ErrAbortHandler) // net/http drops the connection quietly
		}
		jsonHandler(w, r)
	})
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{}`))
	require.NoError(t, err)
	req.Header.Set(HeaderKey, "order-1")
	_, err = http.DefaultClient.Do(req)
	require.Error(t, err)
	assert.Equal(t, http.StatusOK, post(t, url, "order-1", `{}`).status)
	assert.Equal(t, int64(2), runs.Load())
}

func TestLargeResponseIsNotKept(t *testing.T) {
	url, runs := counting(t, Config{MaxResponseBytes: 10}, jsonHandler)
	first := post(t, url, "order-1", `{"qty":1}`)
	assert.Equal(t, http.StatusOK, first.status)
	assert.Contains(t, first.body, `"echo":{"qty":1}`, "the response itself is delivered in full")
	got := post(t, url, "order-1", `{"qty":1}`)
	assert.Equal(t, http.StatusUnprocessableEntity, got.status)
	assert.Equal(t, errorBody{"MCP-005", "the request with this Idempotency-Key completed, but its response was larger than 10 bytes and was not kept; it does not run again"}, got.errorBody(t))
	assert.Equal(t, int64(1), runs.Load())
}

func TestMalformedKey(t *testing.T) {
	url, runs := counting(t, Config{}, jsonHandler)
	got := post(t, url, "has space", `{}`)
	assert.Equal(t, http.StatusBadRequest, got.status)
	assert.Equal(t, errorBody{"MCP-001", "Idempotency-Key must appear once and be 1 to 128 characters of A-Z a-z 0-9 _ . : -"}, got.errorBody(t))
	assert.Zero(t, runs.Load())
}

func TestClientsHaveTheirOwnKeys(t *testing.T) {
	var runs atomic.Int64
	h := Middleware(Config{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		jsonHandler(w, r)
	}))
	for _, client := range []string{"desk-a", "desk-b", "desk-a"} {
		r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{}`))
		r.Header.Set(HeaderKey, "order-1")
		r = r.WithContext(principal.WithClientID(r.Context(), client))
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	assert.Equal(t, int64(2), runs.Load())
}

func TestFingerprintFromContext(t *testing.T) {
	// The authentication layer's fingerprint wins over the body: two
	// bodies under one fingerprint are one request.
	var runs atomic.Int64
	h := Middleware(Config{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		jsonHandler(w, r)
	}))
	for _, body := range []string{`{"a":1}`, `{"a":2}`} {
		r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
		r.Header.Set(HeaderKey, "order-1")
		r = r.WithContext(idemkey.WithFingerprint(r.Context(), sha256.Sum256([]byte("signed request"))))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		assert.Equal(t, http.StatusOK, w.Code)
	}
	assert.Equal(t, int64(1), runs.Load())
}

type brokenStore struct{ store.Idempotency }

func (brokenStore) Begin(context.Context, store.RecordKey, store.Fingerprint, time.Duration) (store.RecordState, *store.Response, error) {
	return 0, nil, errors.New("redis: connection refused")
}

func TestStoreFailureRefusesTheRequest(t *testing.T) {
	var rejected []string
	url, runs := counting(t, Config{
		Store: brokenStore{},
		OnReject: func(r *http.Request, status int, e *mcperr.Error, event string) {
			rejected = append(rejected, fmt.Sprint(status, " ", e.Code, " ", event))
		},
	}, jsonHandler)
	got := post(t, url, "order-1", `{}`)
	assert.Equal(t, http.StatusServiceUnavailable, got.status)
	assert.Equal(t, errorBody{"MCP-003", "the idempotency store cannot take the request now; retry shortly"}, got.errorBody(t))
	assert.Zero(t, runs.Load())
	assert.Equal(t, []string{"503 MCP-003 "}, rejected, "a store down is no security event")
}

func TestBodyOverTheCap(t *testing.T) {
	url, runs := counting(t, Config{MaxBodyBytes: 4}, jsonHandler)
	got := post(t, url, "order-1", `{"qty":1}`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, got.status)
	assert.Equal(t, errorBody{"MCP-017", "request body is larger than 4 bytes"}, got.errorBody(t))
	assert.Zero(t, runs.Load())
}

// One client using many keys drops its own oldest records, never another
// client's.
func TestOneClientCannotEvictAnother(t *testing.T) {
	var runs atomic.Int64
	h := Middleware(Config{
		Store:  memstore.NewIdempotency(memstore.IdempotencyOptions{MaxEntries: 8, MaxEntriesPerClient: 2}),
		Client: func(r *http.Request) string { return r.Header.Get("X-Client") },
	})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		jsonHandler(w, r)
	}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	send := func(client, key string) result {
		req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"qty":1}`))
		require.NoError(t, err)
		req.Header.Set(HeaderKey, key)
		req.Header.Set("X-Client", client)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return result{resp.StatusCode, resp.Header, string(raw)}
	}
	require.Equal(t, http.StatusOK, send("desk-b", "order-1").status)
	for i := range 20 {
		require.Equal(t, http.StatusOK, send("desk-a", "flood-"+strings.Repeat("x", i)).status)
	}
	again := send("desk-b", "order-1")
	assert.Equal(t, http.StatusOK, again.status)
	assert.Equal(t, "true", again.header.Get(HeaderReplayed), "desk-b's record survived")
	assert.Equal(t, "true", send("desk-a", "flood-"+strings.Repeat("x", 19)).header.Get(HeaderReplayed), "desk-a keeps its newest")
	assert.Empty(t, send("desk-a", "flood-").header.Get(HeaderReplayed), "desk-a's oldest made room")
	assert.Equal(t, int64(22), runs.Load())
}

// Each refusal names its security event.
func TestRefusalEvents(t *testing.T) {
	var rejected []string
	onReject := func(r *http.Request, status int, e *mcperr.Error, event string) {
		rejected = append(rejected, fmt.Sprint(status, " ", e.Code, " ", event))
	}
	entered, release := make(chan struct{}), make(chan struct{})
	url, _ := counting(t, Config{OnReject: onReject, MaxBodyBytes: 64}, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(HeaderKey) == "slow" {
			close(entered)
			<-release
		}
		jsonHandler(w, r)
	})
	done := make(chan result)
	go func() { done <- post(t, url, "slow", `{"qty":1}`) }()
	<-entered
	post(t, url, "slow", `{"qty":1}`)
	close(release)
	<-done
	post(t, url, "slow", `{"qty":2}`)
	post(t, url, "has space", `{}`)
	post(t, url, "big", strings.Repeat("x", 65))
	assert.Equal(t, []string{
		"409 MCP-005 idempotency_conflict",
		"422 MCP-005 idempotency_conflict",
		"400 MCP-001 input_validation",
		"413 MCP-017 payload_too_large",
	}, rejected)
}

func TestHeaderKey(t *testing.T) {
	assert.Equal(t, idemkey.Header, HeaderKey, "the header the HMAC layer signs")
}
