package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/internal/principal"
	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/server"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reached stands for everything behind the first defences: a request that
// passes them gets 204.
func reached(http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
}

// readErrorBody checks that resp is a JSON error body and returns it.
func readErrorBody(t *testing.T, resp *http.Response) mcperr.Body {
	t.Helper()
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var body mcperr.Body
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	assert.True(t, body.Error)
	return body
}

func TestHTTPHostAndOrigin(t *testing.T) {
	const (
		badHost   = "the request's Host is not an allowed host (MCP_ALLOWED_HOSTS)"
		badOrigin = "the request's Origin is not an allowed origin (MCP_ALLOWED_ORIGINS)"
	)
	loopback := server.Config{}
	cases := []struct {
		name        string
		cfg         server.Config
		host        string
		origin      string
		wantMessage string // "" when the request passes
	}{
		{name: "loopback name with a port", cfg: loopback, host: "localhost:8080"},
		{name: "loopback IPv4 without a port", cfg: loopback, host: "127.0.0.1"},
		{name: "loopback IPv6", cfg: loopback, host: "[::1]:9000"},
		{name: "loopback name in upper case", cfg: loopback, host: "LOCALHOST:8080"},
		{name: "rebinding name on loopback", cfg: loopback, host: "attacker.example:8080", wantMessage: badHost},
		{name: "look-alike of localhost", cfg: loopback, host: "localhost.attacker.example", wantMessage: badHost},
		{name: "browser page on loopback", cfg: loopback, host: "localhost:8080", origin: "http://localhost:3000"},
		{name: "browser page elsewhere", cfg: loopback, host: "localhost:8080", origin: "https://attacker.example", wantMessage: badOrigin},
		{name: "sandboxed page", cfg: loopback, host: "localhost:8080", origin: "null", wantMessage: badOrigin},

		{name: "listed name, any port", cfg: server.Config{AllowedHosts: []string{"mcp.example.com"}}, host: "MCP.example.com:443"},
		{name: "list replaces the loopback names", cfg: server.Config{AllowedHosts: []string{"mcp.example.com"}}, host: "localhost", wantMessage: badHost},
		{name: "listed name and port", cfg: server.Config{AllowedHosts: []string{"mcp.example.com:8443"}}, host: "mcp.example.com:8443"},
		{name: "listed name, other port", cfg: server.Config{AllowedHosts: []string{"mcp.example.com:8443"}}, host: "mcp.example.com", wantMessage: badHost},
		{name: "origin of a listed name", cfg: server.Config{AllowedHosts: []string{"mcp.example.com"}}, host: "mcp.example.com", origin: "https://mcp.example.com"},

		{name: "any host", cfg: server.Config{AllowedHosts: []string{"*"}}, host: "whatever.example"},
		{name: "any host is not any origin", cfg: server.Config{AllowedHosts: []string{"*"}}, host: "whatever.example", origin: "https://attacker.example", wantMessage: badOrigin},

		{name: "listed origin", cfg: server.Config{AllowedOrigins: []string{"https://app.example.com"}}, host: "localhost", origin: "https://app.example.com"},
		{name: "origin list replaces the hosts' origins", cfg: server.Config{AllowedOrigins: []string{"https://app.example.com"}}, host: "localhost", origin: "http://localhost:3000", wantMessage: badOrigin},
		{name: "any origin", cfg: server.Config{AllowedOrigins: []string{"*"}}, host: "localhost", origin: "https://attacker.example"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := server.New(&mcp.Implementation{Name: "t", Version: "v0"},
				server.WithLogger(testLogger(t)), server.WithHTTPMiddleware(reached))
			ts := httptest.NewServer(httpHandler(t, srv, tc.cfg))
			defer ts.Close()

			req, err := http.NewRequest(http.MethodPost, ts.URL+"/mcp", strings.NewReader(`{}`))
			require.NoError(t, err)
			req.Host = tc.host
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			resp, err := ts.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()

			if tc.wantMessage == "" {
				assert.Equal(t, http.StatusNoContent, resp.StatusCode)
				return
			}
			require.Equal(t, http.StatusForbidden, resp.StatusCode)
			body := readErrorBody(t, resp)
			assert.Equal(t, mcperr.CodeUnauthorized, body.Code)
			assert.Equal(t, tc.wantMessage, body.Message)
			assert.True(t, body.SecurityEvent)
		})
	}
}

// unsized hides a reader's length, so the request is sent chunked.
type unsized struct{ io.Reader }

// bodyOf returns a body of n bytes with no declared length.
func bodyOf(n int) io.Reader {
	return unsized{io.MultiReader(strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"`),
		io.LimitReader(repeatReader('x'), int64(n)), strings.NewReader(`"}}`))}
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// readsBody is a middleware that reads the whole body, answering 400 when it
// cannot and 200 with the size when it can.
func readsBody(http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, "cannot read the body", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "read %d bytes", n)
	})
}

func TestHTTPBodyCap(t *testing.T) {
	const wantMessage = "request body is larger than 10485760 bytes"
	wantDetails := map[string]any{"limit_bytes": float64(server.MaxBodyBytes)}

	t.Run("declared length over the cap is refused before the body is sent", func(t *testing.T) {
		srv := newTestServer(t)
		ts := httptest.NewServer(httpHandler(t, srv, server.Config{}))
		defer ts.Close()
		conn, err := net.Dial("tcp", ts.Listener.Addr().String())
		require.NoError(t, err)
		defer conn.Close()
		fmt.Fprintf(conn, "POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"+
			"Accept: application/json, text/event-stream\r\nContent-Length: %d\r\n\r\n", server.MaxBodyBytes+1)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
		body := readErrorBody(t, resp)
		assert.Equal(t, mcperr.CodePayloadTooLarge, body.Code)
		assert.Equal(t, wantMessage, body.Message)
		assert.Equal(t, wantDetails, body.Details)
		assert.True(t, body.SecurityEvent)
	})

	cases := []struct {
		name       string
		middleware func(http.Handler) http.Handler // nil: the protocol layer reads the body
		size       int
		wantStatus int
		wantText   string // the response of a request under the cap
	}{
		{"chunked body over the cap, read by the protocol layer", nil, server.MaxBodyBytes, http.StatusRequestEntityTooLarge, ""},
		{"chunked body over the cap, read by a middleware", readsBody, server.MaxBodyBytes, http.StatusRequestEntityTooLarge, ""},
		{"chunked body at the cap", readsBody, server.MaxBodyBytes - 60, http.StatusOK, "read 10485760 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var opts []server.Option
			if tc.middleware != nil {
				opts = append(opts, server.WithHTTPMiddleware(tc.middleware))
			}
			ts := httptest.NewServer(httpHandler(t, newTestServer(t, opts...), server.Config{}))
			defer ts.Close()
			req, err := http.NewRequest(http.MethodPost, ts.URL+"/mcp", bodyOf(tc.size))
			require.NoError(t, err)
			req.ContentLength = -1
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			resp, err := ts.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, tc.wantStatus, resp.StatusCode)
			if tc.wantStatus == http.StatusOK {
				text, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				assert.Equal(t, tc.wantText, string(text))
				return
			}
			body := readErrorBody(t, resp)
			assert.Equal(t, mcperr.CodePayloadTooLarge, body.Code)
			assert.Equal(t, wantMessage, body.Message)
			assert.Equal(t, wantDetails, body.Details)
		})
	}
}

func TestHTTPOtherPathsAreNotFound(t *testing.T) {
	srv := server.New(&mcp.Implementation{Name: "t", Version: "v0"},
		server.WithLogger(testLogger(t)), server.WithHTTPMiddleware(reached))
	ts := httptest.NewServer(httpHandler(t, srv, server.Config{HTTPPath: "/tools/mcp"}))
	defer ts.Close()
	for path, want := range map[string]int{"/tools/mcp": http.StatusNoContent, "/mcp": http.StatusNotFound, "/tools/mcp/x": http.StatusNotFound} {
		resp, err := ts.Client().Post(ts.URL+path, "application/json", strings.NewReader(`{}`))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode, path)
	}
}

// withHeader is a client transport that adds a header to every request.
type withHeader struct{ name, value string }

func (h withHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(h.name, h.value)
	return http.DefaultTransport.RoundTrip(r)
}

func TestHTTPClientIDFromMiddleware(t *testing.T) {
	authenticates := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(principal.WithClientID(r.Context(), "desk-7")))
		})
	}
	spoofing := &http.Client{Transport: withHeader{"Mcpgen-Client-Id", "root"}}
	cases := []struct {
		name   string
		auth   bool
		client *http.Client
		want   string
	}{
		{"set by the middleware", true, nil, "desk-7"},
		{"no middleware", false, nil, "ip:127.0.0.1"},
		{"a client cannot claim one", false, spoofing, "ip:127.0.0.1"},
		{"a client cannot override the middleware", true, spoofing, "desk-7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var opts []server.Option
			if tc.auth {
				opts = append(opts, server.WithHTTPMiddleware(authenticates))
			}
			ts := httptest.NewServer(httpHandler(t, newTestServer(t, opts...), server.Config{}))
			t.Cleanup(ts.Close)
			cs, err := newClient().Connect(testContext(t), &mcp.StreamableClientTransport{Endpoint: ts.URL + "/mcp", HTTPClient: tc.client}, nil)
			require.NoError(t, err)
			t.Cleanup(func() { cs.Close() })
			var who map[string]any
			require.NoError(t, json.Unmarshal([]byte(resultJSON(t, callTool(t, cs, "whoami", nil))), &who))
			assert.Equal(t, tc.want, who["client"])
		})
	}
}

// serve runs srv on a free loopback port until the returned stop is called;
// stop returns what the server returned.
func serve(t *testing.T, srv *server.Server, cfg server.Config) (addr string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeListener(ctx, ln, cfg) }()
	stopped := false
	stop = func() error {
		cancel()
		stopped = true
		return <-done
	}
	t.Cleanup(func() {
		if !stopped {
			stop()
		}
	})
	return ln.Addr().String(), stop
}

// untilRefused returns once nothing accepts connections on addr: the server
// has begun shutting down.
func untilRefused(ctx context.Context, addr string) error {
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return nil
		}
		c.Close()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestHTTPShutdownLetsCallsInFlightFinish(t *testing.T) {
	entered, shutdown := make(chan struct{}), make(chan struct{})
	var addr string
	srv := server.New(&mcp.Implementation{Name: "t", Version: "v0"}, server.WithLogger(testLogger(t)))
	require.NoError(t, srv.AddTools(server.Tool{
		Name:        "drain",
		InputSchema: objectSchema,
		Call: func(context.Context, []byte) (server.Result, error) {
			close(entered)
			<-shutdown
			// Finish only once the listener is closed, so the call is
			// certainly in flight while the server shuts down.
			if err := untilRefused(testContext(t), addr); err != nil {
				return server.Result{}, err
			}
			return server.Result{Structured: []byte(`{"finished":true}`)}, nil
		},
	}))
	addr, stop := serve(t, srv, server.Config{ShutdownTimeout: 30 * time.Second})

	cs, err := newClient().Connect(testContext(t), &mcp.StreamableClientTransport{Endpoint: "http://" + addr + "/mcp"}, nil)
	require.NoError(t, err)
	t.Cleanup(func() { cs.Close() })
	type outcome struct {
		res *mcp.CallToolResult
		err error
	}
	called := make(chan outcome, 1)
	go func() {
		res, err := cs.CallTool(testContext(t), &mcp.CallToolParams{Name: "drain"})
		called <- outcome{res, err}
	}()

	<-entered
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	close(shutdown)

	got := <-called
	require.NoError(t, got.err)
	assert.False(t, got.res.IsError)
	assert.JSONEq(t, `{"finished":true}`, resultJSON(t, got.res))
	require.NoError(t, <-stopped, "shutdown must end cleanly once the call finished")

	_, err = net.Dial("tcp", addr)
	assert.Error(t, err, "the server still accepts connections")
}

func TestHTTPShutdownGivesUpAfterTimeout(t *testing.T) {
	entered := make(chan struct{})
	srv := server.New(&mcp.Implementation{Name: "t", Version: "v0"}, server.WithLogger(testLogger(t)))
	require.NoError(t, srv.AddTools(server.Tool{
		Name:        "forever",
		InputSchema: objectSchema,
		Call: func(context.Context, []byte) (server.Result, error) {
			close(entered)
			<-t.Context().Done() // ignores its context and outlives the shutdown
			return server.Result{Structured: []byte(`{}`)}, nil
		},
	}))
	addr, stop := serve(t, srv, server.Config{ShutdownTimeout: 100 * time.Millisecond})
	cs, err := newClient().Connect(testContext(t), &mcp.StreamableClientTransport{Endpoint: "http://" + addr + "/mcp", MaxRetries: -1}, nil)
	require.NoError(t, err)
	go cs.CallTool(testContext(t), &mcp.CallToolParams{Name: "forever"})
	<-entered
	assert.EqualError(t, stop(), "runtime: shutdown: requests in flight did not finish within 100ms: context deadline exceeded")
}

func TestRunHTTP(t *testing.T) {
	var log syncBuffer
	srv := newTestServer(t, server.WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	ctx, cancel := context.WithCancel(testContext(t))
	done := make(chan error, 1)
	go func() {
		done <- srv.Run(ctx, server.Config{Mode: server.ModeHTTP, HTTPAddr: "127.0.0.1:0"})
	}()
	// Run logs where it listens; a port of 0 is only known from there.
	listening := regexp.MustCompile(`msg="serving MCP over HTTP" addr=(\S+) path=/mcp`)
	var addr string
	require.Eventually(t, func() bool {
		if m := listening.FindStringSubmatch(log.String()); m != nil {
			addr = m[1]
		}
		return addr != ""
	}, 30*time.Second, 10*time.Millisecond)

	cs, err := newClient().Connect(testContext(t), &mcp.StreamableClientTransport{Endpoint: "http://" + addr + "/mcp"}, nil)
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":3}`, resultJSON(t, callTool(t, cs, "echo", json.RawMessage(`{"a":3}`))))
	cancel()
	assert.NoError(t, <-done)
	cs.Close()
}

func TestRunRefuses(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	srv := newTestServer(t)

	err = srv.Run(testContext(t), server.Config{Mode: server.ModeHTTP, HTTPAddr: busy.Addr().String()})
	assert.ErrorContains(t, err, "address already in use")

	err = srv.Run(testContext(t), server.Config{Mode: "grpc"})
	var e *mcperr.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, mcperr.CodeMissingConfiguration, e.Code)
	assert.Equal(t, `server mode must be "stdio" or "http", got "grpc"`, e.Message)
}

func TestHealthEndpoints(t *testing.T) {
	storeDown := true
	srv := newTestServer(t, server.WithReadinessCheck(func(context.Context) error {
		if storeDown {
			return fmt.Errorf("redis: connection refused to 10.1.2.3:6379")
		}
		return nil
	}))
	ts := httptest.NewServer(httpHandler(t, srv, server.Config{Mode: server.ModeHTTP}))
	defer ts.Close()
	get := func(method, path, host string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, ts.URL+path, nil)
		require.NoError(t, err)
		req.Host = host // a probe's Host is the pod's address, not an allowed host
		resp, err := ts.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	status, body := get(http.MethodGet, "/healthz", "10.0.0.9:8080")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "ok\n", body)

	status, body = get(http.MethodGet, "/readyz", "10.0.0.9:8080")
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, "unavailable\n", body, "readiness reveals nothing about why")

	storeDown = false
	status, body = get(http.MethodGet, "/readyz", "10.0.0.9:8080")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "ok\n", body)

	status, _ = get(http.MethodPost, "/healthz", "localhost")
	assert.Equal(t, http.StatusMethodNotAllowed, status)

	status, _ = get(http.MethodGet, "/mcp", "10.0.0.9:8080")
	assert.Equal(t, http.StatusForbidden, status, "the MCP endpoint keeps its Host check")
}

// asClient is test middleware that authenticates every request as the client
// its X-Test-Client header names, standing in for the security layers.
func asClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(principal.WithClientID(r.Context(), r.Header.Get("X-Test-Client"))))
	})
}

// rawPost sends one JSON-RPC message as client, in session (when not ""),
// and returns the response's status, session header and body.
func rawPost(t *testing.T, url, client, session, method, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("X-Test-Client", client)
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("Mcp-Session-Id"), string(b)
}

const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

func TestSessionsAreBoundAndCapped(t *testing.T) {
	srv := newTestServer(t, server.WithHTTPMiddleware(asClient))
	ts := httptest.NewServer(httpHandler(t, srv, server.Config{SessionsPerClient: 2}))
	defer ts.Close()
	url := ts.URL + "/mcp"

	status, alice1, _ := rawPost(t, url, "alice", "", http.MethodPost, initialize)
	require.Equal(t, http.StatusOK, status)
	require.NotEmpty(t, alice1)
	status, alice2, _ := rawPost(t, url, "alice", "", http.MethodPost, initialize)
	require.Equal(t, http.StatusOK, status)

	status, _, body := rawPost(t, url, "alice", "", http.MethodPost, initialize)
	assert.Equal(t, http.StatusTooManyRequests, status, "a third session is over alice's cap")
	assert.Contains(t, body, `"code":"MCP-006"`)
	assert.Contains(t, body, "this client holds 2 open sessions, the most it may (MCP_SESSIONS_PER_CLIENT)")

	status, _, _ = rawPost(t, url, "bob", "", http.MethodPost, initialize)
	assert.Equal(t, http.StatusOK, status, "bob has a cap of his own")

	list := `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`
	status, _, body = rawPost(t, url, "bob", alice1, http.MethodPost, list)
	assert.Equal(t, http.StatusNotFound, status, "bob cannot use alice's session")
	assert.Equal(t, "session not found\n", body)
	status, _, _ = rawPost(t, url, "bob", alice1, http.MethodDelete, "")
	assert.Equal(t, http.StatusNotFound, status, "nor delete it")

	status, _, _ = rawPost(t, url, "alice", alice1, http.MethodPost, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	assert.Equal(t, http.StatusAccepted, status, "alice still can")

	status, _, _ = rawPost(t, url, "alice", alice2, http.MethodDelete, "")
	require.Less(t, status, 300)
	status, _, _ = rawPost(t, url, "alice", "", http.MethodPost, initialize)
	assert.Equal(t, http.StatusOK, status, "ending a session frees its place")
}

func TestIdleSessionsAreClosed(t *testing.T) {
	srv := newTestServer(t, server.WithHTTPMiddleware(asClient))
	ts := httptest.NewServer(httpHandler(t, srv, server.Config{SessionsPerClient: 1, SessionIdleTimeout: 50 * time.Millisecond}))
	defer ts.Close()
	url := ts.URL + "/mcp"
	status, first, _ := rawPost(t, url, "alice", "", http.MethodPost, initialize)
	require.Equal(t, http.StatusOK, status)
	require.Eventually(t, func() bool {
		status, _, _ := rawPost(t, url, "alice", first, http.MethodPost, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
		return status == http.StatusNotFound
	}, 5*time.Second, 100*time.Millisecond, "the idle session is closed")
	status, _, _ = rawPost(t, url, "alice", "", http.MethodPost, initialize)
	assert.Equal(t, http.StatusOK, status, "and no longer counts against the cap")
}

func TestStatelessServesEveryRequestAlone(t *testing.T) {
	srv := newTestServer(t)
	ts := httptest.NewServer(httpHandler(t, srv, server.Config{Stateless: true}))
	defer ts.Close()
	status, session, body := rawPost(t, ts.URL+"/mcp", "", "", http.MethodPost, `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	assert.Equal(t, http.StatusOK, status, "no initialize needed")
	assert.Empty(t, session, "no session is opened")
	assert.Contains(t, body, `"name":"echo"`)
	status, _, body = rawPost(t, ts.URL+"/mcp", "", "", http.MethodGet, "")
	assert.Equal(t, http.StatusMethodNotAllowed, status, "no standalone stream without sessions")
	assert.JSONEq(t, `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"this server is stateless (MCP_HTTP_STATELESS=true): it keeps no sessions, so there is no stream to open with GET or session to end with DELETE; send every request as a POST"}}`, body)
}
