package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgen/mcpgen/runtime/security"
	"github.com/mcpgen/mcpgen/runtime/security/audit"
	"github.com/mcpgen/mcpgen/runtime/security/auth"
	"github.com/mcpgen/mcpgen/runtime/security/ratelimit"
	"github.com/mcpgen/mcpgen/runtime/server"
	"github.com/mcpgen/mcpgen/runtime/store/memstore"
)

// The tools/call benchmarks compare the full mcpgen server with a bare
// go-sdk server serving the same tool with no checks at all, on the same
// requests, side by side in one run:
//
//	go test ./runtime/server -run '^$' -bench 'HTTPToolsCall|Stdio' -benchmem
//
// Targets (the last element of each name, so peers alternate in a run):
//
//   - mcpgen-hmac: HMAC v1 (every request signed), replay check (nonce
//     store), an Idempotency-Key on every request (idempotency store,
//     response recorded), the client rate limit, the tool's x-rate-limit,
//     audit and security events (to io.Discard), strict envelope, session
//     guard;
//   - mcpgen-bearer, mcpgen-none: the same without signatures, nonces and
//     idempotency keys (a client that sends none);
//   - sdk-bare: mcp.Server.AddTool with a raw handler behind
//     mcp.NewStreamableHTTPHandler, nothing else.
//
// Sessions: stateful, one session per client (initialized before the
// timer), as a client of the default configuration holds. The limits are
// set far above what a run reaches, so every request passes every check
// (the decisions are still made and counted).
//
// Client-side work is kept out of the figures as far as possible: request
// bodies are built and HMAC headers signed before the timer starts (one
// fresh nonce per request, so each signed request is used once).
//
// Paths:
//
//   - handler: the endpoint's ServeHTTP called directly with a recorder, no
//     sockets: the server's own cost per call;
//   - loopback-cN: an httptest.Server on loopback with N clients calling
//     concurrently, each on its own session and keep-alive connection;
//     ns/op is wall time per call (the inverse of throughput), p50-µs and
//     p99-µs the latency of one call as a client sees it.

const (
	benchToolName = "bench.quote"
	benchSecret   = "bench-secret-0123456789abcdef0123456789abcdef"
	benchToken    = "bench-token-0123456789abcdef0123456789abcdef"
	benchPath     = "/mcp"
	benchProtocol = "2025-11-25"
)

var (
	benchSchema = json.RawMessage(`{"type":"object","properties":{"symbol":{"type":"string"}},"required":["symbol"],"additionalProperties":false}`)
	benchOutput = `{"symbol":"EURUSD","bid":"1.08520","ask":"1.08530"}`
	benchCall   = []byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"` + benchToolName + `","arguments":{"symbol":"EURUSD"}}}`)
	benchInit   = []byte(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"` + benchProtocol + `","capabilities":{},"clientInfo":{"name":"bench","version":"1.0.0"}}}`)
	benchInited = []byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
)

// benchTarget is one server under test and how its clients authenticate.
type benchTarget struct {
	name    string
	handler http.Handler
	// auth returns the authentication headers of one request with body,
	// sent to url; nil for none. It runs before the timer.
	auth func(tb testing.TB, url string, body []byte) http.Header
	// idempotent requests carry an Idempotency-Key (the HMAC client sends
	// one with every request).
	idempotent bool
}

// benchTargets builds every target, stateful or stateless.
func benchTargets(tb testing.TB, stateless bool) []*benchTarget {
	return []*benchTarget{
		benchMcpgen(tb, auth.ModeHMAC, stateless),
		benchMcpgen(tb, auth.ModeBearer, stateless),
		benchMcpgen(tb, auth.ModeNone, stateless),
		benchBare(stateless),
	}
}

// benchMcpgen is the full mcpgen server in mode, with audit events going to
// io.Discard and limits no run reaches.
func benchMcpgen(tb testing.TB, mode auth.Mode, stateless bool) *benchTarget {
	srv := server.New(&mcp.Implementation{Name: "bench", Version: "1.0.0"},
		server.WithLogger(slog.New(slog.DiscardHandler)),
		server.WithSecurity(security.Options{
			AuditSink: audit.NewWriterSink(io.Discard),
			// The default per-client nonce quota (32,768 per 600 s) is below
			// what a long run signs; everything else is the default.
			Nonces: memstore.NewNonces(memstore.NonceOptions{MaxEntries: 1 << 22, MaxPerClient: 1 << 22}),
		}))
	if err := srv.AddTools(server.Tool{
		Name:        benchToolName,
		Description: "a quote",
		InputSchema: benchSchema,
		Policy:      server.Policy{RateLimitPerMinute: 1 << 30},
		Call: func(context.Context, []byte) (server.Result, error) {
			return server.Result{Structured: []byte(benchOutput)}, nil
		},
	}); err != nil {
		tb.Fatal(err)
	}
	cfg := server.Config{
		Mode:     server.ModeHTTP,
		HTTPPath: benchPath,
		// The test server's address is 127.0.0.1 on a random port; the
		// direct handler's requests name localhost.
		AllowedHosts: []string{"127.0.0.1", "localhost"},
		Stateless:    stateless,
		Security: security.Config{
			ClientRateLimit: ratelimit.Rule{Limit: 1 << 30, Window: time.Minute},
		},
	}
	t := &benchTarget{name: "mcpgen-" + string(mode)}
	switch mode {
	case auth.ModeHMAC:
		key := auth.Key{ID: "bench", Secret: benchSecret}
		cfg.Security.Auth = auth.Config{Mode: auth.ModeHMAC, Keys: []auth.Key{key}}
		t.idempotent = true
		t.auth = func(tb testing.TB, url string, body []byte) http.Header {
			h, _, err := auth.SignRequestHeaders(key, auth.SignParams{
				Method: http.MethodPost, URL: url, ContentType: "application/json", Body: body,
			})
			if err != nil {
				tb.Fatal(err)
			}
			return h
		}
	case auth.ModeBearer:
		cfg.Security.Auth = auth.Config{Mode: auth.ModeBearer, Tokens: []auth.Token{{ID: "bench", Token: benchToken}}}
		h := http.Header{"Authorization": {"Bearer " + benchToken}}
		t.auth = func(testing.TB, string, []byte) http.Header { return h }
	}
	h, err := srv.HTTPHandler(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	t.handler = h
	return t
}

// benchBare is the go-sdk alone: the same tool as a raw handler, nothing
// checked.
func benchBare(stateless bool) *benchTarget {
	s := mcp.NewServer(&mcp.Implementation{Name: "bench", Version: "1.0.0"}, &mcp.ServerOptions{
		Logger: slog.New(slog.DiscardHandler),
	})
	s.AddTool(&mcp.Tool{Name: benchToolName, Description: "a quote", InputSchema: benchSchema},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{
				StructuredContent: json.RawMessage(benchOutput),
				Content:           []mcp.Content{&mcp.TextContent{Text: benchOutput}},
			}, nil
		})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, &mcp.StreamableHTTPOptions{
		Stateless:                  stateless,
		DisableLocalhostProtection: true,
		Logger:                     slog.New(slog.DiscardHandler),
	})
	mux := http.NewServeMux()
	mux.Handle(benchPath, h)
	return &benchTarget{name: "sdk-bare", handler: mux}
}

// benchRequest is one prepared request: its headers, signed if need be.
type benchRequest struct {
	body   []byte
	header http.Header
}

// prepare builds n requests with body to url, each with its own signature
// and Idempotency-Key where the target uses them.
func (t *benchTarget) prepare(tb testing.TB, url string, body []byte, session string, n int) []benchRequest {
	reqs := make([]benchRequest, n)
	var shared http.Header
	for i := range reqs {
		h := shared
		if h == nil || t.idempotent {
			h = http.Header{
				"Content-Type": {"application/json"},
				"Accept":       {"application/json, text/event-stream"},
			}
			if session != "" {
				h["Mcp-Session-Id"] = []string{session}
				h["Mcp-Protocol-Version"] = []string{benchProtocol}
			}
			if t.auth != nil {
				for k, vs := range t.auth(tb, url, body) {
					h[k] = vs
				}
			}
			if !t.idempotent {
				shared = h
			}
		}
		reqs[i] = benchRequest{body: body, header: h}
	}
	return reqs
}

// benchDo sends one request: directly to the handler when client is nil,
// else over HTTP to url. It returns the status, the session ID the response
// names, and the body.
func benchDo(tb testing.TB, h http.Handler, client *http.Client, url string, req benchRequest) (int, string, []byte) {
	if client == nil {
		r := httptest.NewRequest(http.MethodPost, url, bytes.NewReader(req.body))
		r.Host = "localhost"
		r.RemoteAddr = "127.0.0.1:40000"
		r.Header = req.header
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code, w.Header().Get("Mcp-Session-Id"), w.Body.Bytes()
	}
	r, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(req.body))
	if err != nil {
		tb.Fatal(err)
	}
	r.Header = req.header
	resp, err := client.Do(r)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Mcp-Session-Id"), body
}

// benchSession opens a session (initialize, then notifications/initialized)
// and returns its ID; "" for a stateless target.
func benchSession(tb testing.TB, t *benchTarget, client *http.Client, url string, stateless bool) string {
	if stateless {
		return ""
	}
	status, session, body := benchDo(tb, t.handler, client, url, t.prepare(tb, url, benchInit, "", 1)[0])
	if status != http.StatusOK || session == "" {
		tb.Fatalf("%s: initialize: %d %s", t.name, status, body)
	}
	if status, _, body := benchDo(tb, t.handler, client, url, t.prepare(tb, url, benchInited, session, 1)[0]); status != http.StatusAccepted {
		tb.Fatalf("%s: notifications/initialized: %d %s", t.name, status, body)
	}
	return session
}

// benchCheck fails unless body is the tool's successful result.
func benchCheck(tb testing.TB, name string, status int, body []byte) {
	if status != http.StatusOK || !bytes.Contains(body, []byte(`"structuredContent":{"symbol":"EURUSD"`)) || bytes.Contains(body, []byte(`"isError":true`)) {
		tb.Fatalf("%s: tools/call: %d %s", name, status, body)
	}
}

// BenchmarkHTTPToolsCall measures one tools/call over Streamable HTTP for
// every target; see the comment at the top of the file.
func BenchmarkHTTPToolsCall(b *testing.B) {
	for _, stateless := range []bool{false, true} {
		kind := "stateful"
		if stateless {
			kind = "stateless"
		}
		targets := benchTargets(b, stateless)
		b.Run(kind+"/handler", func(b *testing.B) {
			for _, t := range targets {
				url := "http://localhost" + benchPath
				sessions := []string{benchSession(b, t, nil, url, stateless)}
				b.Run(t.name, func(b *testing.B) {
					benchRun(b, t, nil, url, sessions)
				})
			}
		})
		if stateless {
			continue // the loopback curve is for sessions, the default
		}
		for _, c := range []int{1, 8, 32} {
			b.Run(fmt.Sprintf("%s/loopback-c%d", kind, c), func(b *testing.B) {
				for _, t := range targets {
					ts := httptest.NewServer(t.handler)
					tr := &http.Transport{MaxIdleConnsPerHost: c, MaxConnsPerHost: c, DisableCompression: true}
					client := &http.Client{Transport: tr}
					url := ts.URL + benchPath
					sessions := make([]string, c)
					for i := range sessions {
						sessions[i] = benchSession(b, t, client, url, stateless)
					}
					b.Run(t.name, func(b *testing.B) {
						benchRun(b, t, client, url, sessions)
					})
					tr.CloseIdleConnections()
					ts.Close()
				}
			})
		}
	}
}

// benchRound is how many calls each client makes between two pauses of
// the timer, in which the next round's requests are signed: signing them
// all ahead would keep b.N signed requests alive, a heap the garbage
// collector would scan on the server's time.
const benchRound = 64

// benchRun makes b.N tools/call requests to t, from one client per session
// concurrently: directly to the handler when client is nil, else over HTTP.
// It reports the median and 99th-percentile latency of a call, and the
// process's CPU time per call (cpu-µs/op: server, clients and garbage
// collector together; unlike wall time, not inflated by other processes).
func benchRun(b *testing.B, t *benchTarget, client *http.Client, url string, sessions []string) {
	c := len(sessions)
	status, body := benchDoQuiet(t.handler, client, url, t.prepare(b, url, benchCall, sessions[0], 1)[0])
	benchCheck(b, t.name, status, body)
	lat := make([][]time.Duration, c)
	reqs := make([][]benchRequest, c)
	var failed atomic.Value
	var cpu time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		b.StopTimer()
		for i := range c {
			n := min(benchRound, (b.N-done+c-1-i)/c)
			reqs[i] = t.prepare(b, url, benchCall, sessions[i], n)
			done += n
		}
		cpu -= processCPU()
		b.StartTimer()
		var wg sync.WaitGroup
		for i := range c {
			wg.Go(func() {
				for _, req := range reqs[i] {
					start := time.Now()
					status, body := benchDoQuiet(t.handler, client, url, req)
					lat[i] = append(lat[i], time.Since(start))
					if status != http.StatusOK {
						failed.CompareAndSwap(nil, fmt.Sprintf("%d %s", status, body))
						return
					}
				}
			})
		}
		wg.Wait()
		cpu += processCPU()
		if f := failed.Load(); f != nil {
			b.Fatalf("%s: %s", t.name, f)
		}
	}
	b.StopTimer()
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1e3, "cpu-µs/op")
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)/2])/1e3, "p50-µs")
		b.ReportMetric(float64(all[len(all)*99/100])/1e3, "p99-µs")
	}
}

// benchDoQuiet sends one tools/call as benchDo does, for a worker
// goroutine, which must not call Fatal: a failure comes back as status 0.
// Over HTTP it reads the SSE stream to its end, as a client does.
func benchDoQuiet(h http.Handler, client *http.Client, url string, req benchRequest) (int, []byte) {
	if client == nil {
		r := httptest.NewRequest(http.MethodPost, url, bytes.NewReader(req.body))
		r.Host = "localhost"
		r.RemoteAddr = "127.0.0.1:40000"
		r.Header = req.header
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code == http.StatusOK && !bytes.Contains(w.Body.Bytes(), []byte(`"structuredContent"`)) {
			return 0, w.Body.Bytes()
		}
		return w.Code, w.Body.Bytes()
	}
	r, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(req.body))
	if err != nil {
		return 0, []byte(err.Error())
	}
	r.Header = req.header
	resp, err := client.Do(r)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	var last []byte
	for {
		line, err := br.ReadSlice('\n')
		if bytes.HasPrefix(line, []byte("data:")) {
			last = append(last[:0], line...)
		}
		if err != nil {
			break
		}
	}
	if resp.StatusCode == http.StatusOK && !bytes.Contains(last, []byte(`"structuredContent"`)) {
		return 0, last
	}
	return resp.StatusCode, last
}
