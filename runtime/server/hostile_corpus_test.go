package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/security"
	"github.com/mcpgen/mcpgen/runtime/security/auth"
	"github.com/mcpgen/mcpgen/runtime/security/ratelimit"
	"github.com/mcpgen/mcpgen/runtime/server"
	"github.com/mcpgen/mcpgen/runtime/typed"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"
)

// A hostileCase is one request of the corpus in testdata/hostile and the
// answer a client must see.
type hostileCase struct {
	Name string `json:"name"`
	// Transports: "http" (every HTTP target), "http-sessions" (the
	// stateful ones: none, bearer and hmac modes), "http-none" (the
	// unauthenticated ones, stateful and stateless), "stdio"; default all.
	Transports []string `json:"transports"`

	Body      *string     `json:"body"`       // the bytes, as text
	BodyB64   string      `json:"body_b64"`   // or base64
	BodyParts []bodyPart  `json:"body_parts"` // or generated
	HTTP      hostileHTTP `json:"http"`

	Expect      expectation  `json:"expect"`
	ExpectStdio *expectation `json:"expect_stdio"` // when stdio answers differently
	ExpectAuth  *expectation `json:"expect_auth"`  // when bearer and hmac modes answer differently
	ExpectHMAC  *expectation `json:"expect_hmac"`  // when hmac mode answers differently still
}

// expectation returns what the case expects on transport.
func (c *hostileCase) expectation(transport string) expectation {
	switch {
	case transport == "stdio" && c.ExpectStdio != nil:
		return *c.ExpectStdio
	case transport == "http-hmac" && c.ExpectHMAC != nil:
		return *c.ExpectHMAC
	case (transport == "http-hmac" || transport == "http-bearer") && c.ExpectAuth != nil:
		return *c.ExpectAuth
	}
	return c.Expect
}

type bodyPart struct {
	Text  string `json:"text"`
	B64   string `json:"b64"`
	Times int    `json:"times"` // default 1
}

type hostileHTTP struct {
	Method  string                     `json:"method"`  // default POST
	Path    string                     `json:"path"`    // default /mcp
	Headers map[string]json.RawMessage `json:"headers"` // a string, a list of strings, or null to remove a default
	// HeaderParts adds generated headers: count headers named
	// prefix0, prefix1, ... each with value repeated times.
	HeaderGen *struct {
		Prefix string `json:"prefix"`
		Count  int    `json:"count"`
		Value  string `json:"value"`
		Times  int    `json:"times"`
	} `json:"header_gen"`
	Chunked bool `json:"chunked"` // send without Content-Length
	// Unauthenticated sends the request without the mode's credentials;
	// Tamper changes a byte of the body after it was signed (hmac) or
	// sends a wrong token (bearer).
	Unauthenticated bool `json:"unauthenticated"`
	Tamper          bool `json:"tamper"`
}

// expectation is what the client sees. Status is the HTTP status (ignored
// on stdio); then one of: a JSON-RPC error (Code, Message, ID), a result
// (Result), a tool result (Tool "ok" with Structured, or ToolError), no
// JSON-RPC answer at all (None), a runtime error body (MCPError), or a
// plain text body from a layer that is not JSON-RPC (Text).
type expectation struct {
	Status     int             `json:"status"`
	Code       int             `json:"code"`
	Message    string          `json:"message"`
	ID         json.RawMessage `json:"id"`
	Result     json.RawMessage `json:"result"`
	Tool       string          `json:"tool"`
	Structured json.RawMessage `json:"structured"`
	ToolError  string          `json:"tool_error"`
	None       bool            `json:"none"`
	MCPError   string          `json:"mcp_error"`
	Text       string          `json:"text"`
	Batch      []expectation   `json:"batch"` // a batch answer, element by element
}

func (c *hostileCase) body(t *testing.T) []byte {
	switch {
	case c.Body != nil:
		return []byte(*c.Body)
	case c.BodyB64 != "":
		b, err := base64.StdEncoding.DecodeString(c.BodyB64)
		require.NoError(t, err, c.Name)
		return b
	}
	var out []byte
	for _, p := range c.BodyParts {
		piece := []byte(p.Text)
		if p.B64 != "" {
			var err error
			piece, err = base64.StdEncoding.DecodeString(p.B64)
			require.NoError(t, err, c.Name)
		}
		out = append(out, bytes.Repeat(piece, max(p.Times, 1))...)
	}
	return out
}

func (c *hostileCase) on(transport string) bool {
	if len(c.Transports) == 0 {
		return true
	}
	for _, tr := range c.Transports {
		switch tr {
		case transport:
			return true
		case "http":
			if strings.HasPrefix(transport, "http-") {
				return true
			}
		case "http-sessions":
			if transport != "stdio" && transport != "http-stateless" {
				return true
			}
		case "http-none":
			if transport == "http-stateful" || transport == "http-stateless" {
				return true
			}
		}
	}
	return false
}

func loadHostileCorpus(t *testing.T) []hostileCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "hostile", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var all []hostileCase
	names := make(map[string]bool)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var file struct {
			Cases []hostileCase `json:"cases"`
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(&file), f)
		for _, c := range file.Cases {
			require.False(t, names[c.Name], "two cases named %q", c.Name)
			names[c.Name] = true
			all = append(all, c)
		}
	}
	return all
}

// hostileTools are the tools the corpus calls: get and set (which a
// duplicate params.name would confuse) and quote, whose strict input is
// read with typed.ParseValue: {"symbol": ^[A-Z]{1,5}$, "qty": integer
// 1..1000000}, nothing else.
func hostileTools() []server.Tool {
	op := func(name string) server.Tool {
		return server.Tool{
			Name:         name,
			InputSchema:  json.RawMessage(`{"type":"object","additionalProperties":false}`),
			OutputSchema: objectSchema,
			Call: func(context.Context, []byte) (server.Result, error) {
				return server.Result{Structured: []byte(`{"op":"` + name + `"}`)}, nil
			},
		}
	}
	return []server.Tool{op("get"), op("set"), {
		Name:         "quote",
		InputSchema:  json.RawMessage(`{"type":"object","properties":{"symbol":{"type":"string","pattern":"^[A-Z]{1,5}$"},"qty":{"type":"integer","minimum":1,"maximum":1000000}},"required":["symbol","qty"],"additionalProperties":false}`),
		OutputSchema: objectSchema,
		Call:         quote,
	}}
}

func quote(_ context.Context, args []byte) (server.Result, error) {
	v, err := typed.ParseValue(args)
	if err != nil {
		return server.Result{}, err
	}
	var vs typed.Violations
	var root typed.Path
	if v.Kind != typed.Object {
		vs.Add(&root, "type", "must be object, got "+v.Kind.String())
		return server.Result{}, vs.Err("arguments")
	}
	for _, m := range v.Members {
		if m.Key != "symbol" && m.Key != "qty" {
			p := root.Field(m.Key)
			vs.Add(&p, "additionalProperties", "unknown property; not allowed by the schema")
		}
	}
	symbol, qty := root.Field("symbol"), root.Field("qty")
	var sym string
	var n int64
	if s, ok := v.Get("symbol"); !ok {
		vs.Add(&symbol, "required", "missing required property")
	} else if s.Kind != typed.String {
		vs.Add(&symbol, "type", "must be string, got "+s.Kind.String())
	} else if !asciiUpper(s.Text, 1, 5) {
		vs.Add(&symbol, "pattern", "must match ^[A-Z]{1,5}$")
	} else {
		sym = s.Text
	}
	if q, ok := v.Get("qty"); !ok {
		vs.Add(&qty, "required", "missing required property")
	} else if !q.IsInteger() {
		vs.Add(&qty, "type", "must be integer, got "+q.Kind.String())
	} else if i, ok := typed.ParseInt([]byte(q.Text)); !ok || i < 1 || i > 1000000 {
		vs.Add(&qty, "maximum", "must be 1..1000000")
	} else {
		n = i
	}
	if err := vs.Err("arguments"); err != nil {
		return server.Result{}, err
	}
	out, _ := json.Marshal(map[string]any{"symbol": sym, "qty": n})
	return server.Result{Structured: out}, nil
}

func asciiUpper(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newHostileServer(t *testing.T, opts ...server.Option) *server.Server {
	t.Helper()
	srv := server.New(&mcp.Implementation{Name: "hostile", Version: "v0.0.1"}, append([]server.Option{server.WithLogger(quietLogger())}, opts...)...)
	require.NoError(t, srv.AddTools(hostileTools()...))
	return srv
}

// The normal call that must succeed after every case.
const (
	probeCall   = `{"jsonrpc":"2.0","id":"probe","method":"tools/call","params":{"name":"quote","arguments":{"symbol":"SPY","qty":1}}}`
	probeResult = `{"qty":1,"symbol":"SPY"}`
)

// answer is what one request got.
type answer struct {
	status   int
	header   http.Header
	body     []byte
	messages []map[string]json.RawMessage // the JSON-RPC messages in it
}

// hostileTarget sends the corpus's requests over one transport.
type hostileTarget interface {
	send(t *testing.T, c *hostileCase, body []byte) answer
	probe(t *testing.T)
}

func TestHostileCorpus(t *testing.T) {
	cases := loadHostileCorpus(t)
	require.GreaterOrEqual(t, len(cases), 150, "the corpus holds at least 150 requests")
	targets := []struct {
		name string
		make func(t *testing.T) hostileTarget
	}{
		{"http-stateful", func(t *testing.T) hostileTarget { return newHTTPTarget(t, auth.ModeNone, false) }},
		{"http-stateless", func(t *testing.T) hostileTarget { return newHTTPTarget(t, auth.ModeNone, true) }},
		{"http-bearer", func(t *testing.T) hostileTarget { return newHTTPTarget(t, auth.ModeBearer, false) }},
		{"http-hmac", func(t *testing.T) hostileTarget { return newHTTPTarget(t, auth.ModeHMAC, false) }},
		{"stdio", func(t *testing.T) hostileTarget { return newStdioTarget(t) }},
	}
	total := 0
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			target := tg.make(t)
			var slowest time.Duration
			var slowestName string
			ran := 0
			for i := range cases {
				c := &cases[i]
				if !c.on(tg.name) {
					continue
				}
				ran++
				body := c.body(t)
				start := time.Now()
				got := target.send(t, c, body)
				elapsed := time.Since(start)
				if elapsed > slowest {
					slowest, slowestName = elapsed, c.Name
				}
				want := c.expectation(tg.name)
				if !t.Run(c.Name, func(t *testing.T) { checkAnswer(t, tg.name, want, got) }) {
					t.Logf("request: %.300q", body)
				}
				target.probe(t)
			}
			total += ran
			t.Logf("%s: %d cases, slowest answer %s (%s)", tg.name, ran, slowest.Round(time.Microsecond), slowestName)
		})
	}
	t.Logf("%d cases in the corpus, %d requests sent", len(cases), total)
}

func checkAnswer(t *testing.T, transport string, want expectation, got answer) {
	t.Helper()
	isHTTP := transport != "stdio"
	if isHTTP && want.Status != 0 {
		require.Equal(t, want.Status, got.status, "HTTP status; body %.500q", got.body)
	}
	switch {
	case want.None:
		require.Empty(t, got.messages, "no JSON-RPC answer")
		if isHTTP {
			require.Empty(t, got.body)
		}
	case want.MCPError != "":
		require.True(t, isHTTP)
		var body mcperr.Body
		require.NoError(t, json.Unmarshal(got.body, &body), "%q", got.body)
		require.Equal(t, want.MCPError, string(body.Code))
		if want.Message != "" {
			require.Equal(t, want.Message, body.Message)
		}
	case want.Text != "":
		require.True(t, isHTTP)
		require.Equal(t, want.Text, string(got.body))
	case want.Batch != nil:
		// Several answers: one JSON array, or one event or line each.
		var items []map[string]json.RawMessage
		for _, m := range got.messages {
			if raw, ok := m["batch"]; ok {
				var elems []map[string]json.RawMessage
				require.NoError(t, json.Unmarshal(raw, &elems), "%s", got.body)
				items = append(items, elems...)
			} else {
				items = append(items, m)
			}
		}
		require.Len(t, items, len(want.Batch), "answers: %s", got.body)
		used := make([]bool, len(items))
		for _, w := range want.Batch {
			found := false
			for i, m := range items {
				if !used[i] && jsonEqual(string(m["id"]), string(w.ID)) {
					used[i], found = true, true
					checkMessage(t, w, m)
					break
				}
			}
			require.True(t, found, "no answer with id %s in %s", w.ID, got.body)
		}
	default:
		require.Len(t, got.messages, 1, "one JSON-RPC answer; body %.500q", got.body)
		checkMessage(t, want, got.messages[0])
		if isHTTP && got.header.Get("Content-Type") != "text/event-stream" {
			require.Equal(t, "application/json", got.header.Get("Content-Type"))
		}
	}
}

func checkMessage(t *testing.T, want expectation, msg map[string]json.RawMessage) {
	t.Helper()
	raw, _ := json.Marshal(msg)
	require.JSONEq(t, `"2.0"`, string(msg["jsonrpc"]), "%s", raw)
	if want.ID != nil {
		require.JSONEq(t, string(want.ID), string(msg["id"]), "id; message %s", raw)
	}
	switch {
	case want.Code != 0:
		var e struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		require.NotNil(t, msg["error"], "an error; message %s", raw)
		require.NoError(t, json.Unmarshal(msg["error"], &e))
		require.Equal(t, want.Code, e.Code, "JSON-RPC code; message %s", raw)
		require.Equal(t, want.Message, e.Message, "JSON-RPC message")
	case want.Result != nil:
		require.NotNil(t, msg["result"], "a result; message %s", raw)
		require.JSONEq(t, string(want.Result), string(msg["result"]))
	case want.Tool != "" || want.ToolError != "":
		require.NotNil(t, msg["result"], "a result; message %s", raw)
		var res mcp.CallToolResult
		require.NoError(t, json.Unmarshal(msg["result"], &res))
		if want.ToolError != "" {
			require.True(t, res.IsError, "a tool error; message %s", raw)
			require.Len(t, res.Content, 1)
			var body mcperr.Body
			require.NoError(t, json.Unmarshal([]byte(res.Content[0].(*mcp.TextContent).Text), &body))
			require.Equal(t, want.ToolError, string(body.Code), "tool error code; message %s", raw)
			if want.Message != "" {
				require.Equal(t, want.Message, body.Message)
			}
			return
		}
		require.False(t, res.IsError, "a tool result; message %s", raw)
		if want.Structured != nil {
			got, _ := json.Marshal(res.StructuredContent)
			require.JSONEq(t, string(want.Structured), string(got))
		}
	default:
		t.Fatalf("the case expects nothing checkable: %+v", want)
	}
}

// httpTarget sends over real loopback HTTP to the server as Run serves it,
// in one authentication mode.
type httpTarget struct {
	url       string
	session   string
	stateless bool
	mode      auth.Mode
	plain     *http.Client // sends requests as they are
	signed    *http.Client // signs them (hmac mode)
	tampered  *http.Client // signs them, then changes the body (hmac mode)
}

// The credentials of the bearer and hmac modes.
var (
	hostileToken = strings.Repeat("t0k3n", 8)
	hostileKey   = auth.Key{ID: "k1", Client: "hostile", Secret: strings.Repeat("s3cr3t", 6)}
)

func newHTTPTarget(t *testing.T, mode auth.Mode, stateless bool) *httpTarget {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	cfg := server.Config{Mode: server.ModeHTTP, Stateless: stateless, ShutdownTimeout: 5 * time.Second}
	cfg.Security.Auth = auth.Config{Mode: mode}
	switch mode {
	case auth.ModeBearer:
		cfg.Security.Auth.Tokens = []auth.Token{{ID: "hostile", Token: hostileToken}}
	case auth.ModeHMAC:
		cfg.Security.Auth.Keys = []auth.Key{hostileKey}
	}
	cfg.Security.ClientRateLimit = ratelimit.Rule{Limit: -1} // the corpus is one client's many requests
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	srv := newHostileServer(t, server.WithSecurity(security.Options{Stderr: io.Discard}))
	go func() { done <- srv.ServeListener(ctx, ln, cfg) }()
	t.Cleanup(func() { cancel(); <-done })
	base := &http.Transport{DisableCompression: true}
	h := &httpTarget{url: "http://" + ln.Addr().String() + "/mcp", stateless: stateless, mode: mode,
		plain:    &http.Client{Timeout: 30 * time.Second, Transport: base},
		signed:   &http.Client{Timeout: 30 * time.Second, Transport: &auth.Signer{Key: hostileKey, Base: base}},
		tampered: &http.Client{Timeout: 30 * time.Second, Transport: &auth.Signer{Key: hostileKey, Base: tamper{base}}}}
	if !stateless {
		got := h.post(t, `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"hostile","version":"1"}}}`)
		require.Equal(t, http.StatusOK, got.status, "%s", got.body)
		h.session = got.header.Get("Mcp-Session-Id")
		require.NotEmpty(t, h.session)
		got = h.post(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
		require.Equal(t, http.StatusAccepted, got.status, "%s", got.body)
	}
	h.probe(t)
	return h
}

func (h *httpTarget) post(t *testing.T, body string) answer {
	return h.send(t, &hostileCase{}, []byte(body))
}

func (h *httpTarget) send(t *testing.T, c *hostileCase, body []byte) answer {
	t.Helper()
	method := c.HTTP.Method
	if method == "" {
		method = http.MethodPost
	}
	url := h.url
	if c.HTTP.Path != "" {
		url = strings.TrimSuffix(h.url, "/mcp") + c.HTTP.Path
	}
	var rd io.Reader = bytes.NewReader(body)
	if c.HTTP.Chunked {
		rd = io.MultiReader(rd) // hides the length: sent chunked
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	if h.session != "" {
		req.Header.Set("Mcp-Session-Id", h.session)
	}
	for name, v := range c.HTTP.Headers {
		if name == "Host" {
			require.NoError(t, json.Unmarshal(v, &req.Host))
			continue
		}
		req.Header.Del(name)
		var one string
		var list []string
		switch {
		case string(v) == "null":
		case json.Unmarshal(v, &one) == nil:
			req.Header[http.CanonicalHeaderKey(name)] = []string{one}
		default:
			require.NoError(t, json.Unmarshal(v, &list), "header %s", name)
			req.Header[http.CanonicalHeaderKey(name)] = list
		}
	}
	if g := c.HTTP.HeaderGen; g != nil {
		value := strings.Repeat(g.Value, max(g.Times, 1))
		for i := range g.Count {
			req.Header.Set(g.Prefix+strconv.Itoa(i), value)
		}
	}
	client := h.plain
	switch {
	case c.HTTP.Unauthenticated:
	case h.mode == auth.ModeBearer:
		token := hostileToken
		if c.HTTP.Tamper {
			token = strings.Repeat("x", len(token))
		}
		req.Header.Set("Authorization", "Bearer "+token)
	case h.mode == auth.ModeHMAC && c.HTTP.Tamper:
		client = h.tampered
	case h.mode == auth.ModeHMAC:
		client = h.signed
	}
	resp, err := client.Do(req)
	require.NoError(t, err, c.Name)
	defer resp.Body.Close()
	got := answer{status: resp.StatusCode, header: resp.Header}
	got.body, err = io.ReadAll(resp.Body)
	require.NoError(t, err)
	got.messages = parseMessages(t, resp.Header.Get("Content-Type"), got.body)
	return got
}

// tamper sends a request with the last byte of its body changed, after
// the Signer signed it.
type tamper struct{ base http.RoundTripper }

func (tp tamper) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	if len(body) > 0 {
		body[len(body)-1] ^= 0x20
	}
	changed := req.Clone(req.Context())
	changed.Body = io.NopCloser(bytes.NewReader(body))
	return tp.base.RoundTrip(changed)
}

// parseMessages returns the JSON-RPC messages of an HTTP answer: the JSON
// body, or each event of an event stream. A batch answer is one message
// {"batch": [...]}.
func parseMessages(t *testing.T, contentType string, body []byte) []map[string]json.RawMessage {
	var datas [][]byte
	switch {
	case strings.HasPrefix(contentType, "text/event-stream"):
		for _, line := range bytes.Split(body, []byte("\n")) {
			if d, ok := bytes.CutPrefix(line, []byte("data: ")); ok {
				datas = append(datas, d)
			}
		}
	case contentType == "application/json" && len(body) > 0:
		datas = append(datas, body)
	}
	var out []map[string]json.RawMessage
	for _, d := range datas {
		out = append(out, decodeMessage(t, d))
	}
	return out
}

func decodeMessage(t *testing.T, d []byte) map[string]json.RawMessage {
	d = bytes.TrimSpace(d)
	if len(d) > 0 && d[0] == '[' {
		return map[string]json.RawMessage{"batch": json.RawMessage(d)}
	}
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(d, &m), "an answer that is not JSON: %q", d)
	return m
}

func (h *httpTarget) probe(t *testing.T) {
	t.Helper()
	got := h.post(t, probeCall)
	require.Equal(t, http.StatusOK, got.status, "the normal call after the case: %s", got.body)
	require.Len(t, got.messages, 1, "%s", got.body)
	checkMessage(t, expectation{ID: json.RawMessage(`"probe"`), Tool: "ok", Structured: json.RawMessage(probeResult)}, got.messages[0])
}

// stdioTarget writes lines to the stdio transport through pipes, as a
// client that started the server would.
type stdioTarget struct {
	in       *io.PipeWriter
	messages chan []byte
	mu       sync.Mutex
	readErr  error
}

func newStdioTarget(t *testing.T) *stdioTarget {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ss, err := newHostileServer(t).ConnectStdio(context.Background(), inR, outW)
	require.NoError(t, err)
	s := &stdioTarget{in: inW, messages: make(chan []byte, 64)}
	go func() {
		br := bufio.NewReader(outR)
		for {
			line, err := br.ReadBytes('\n')
			if len(line) > 0 {
				s.messages <- line
			}
			if err != nil {
				close(s.messages)
				return
			}
		}
	}()
	t.Cleanup(func() {
		inW.Close() // end of input: the session ends
		require.NoError(t, ss.Wait())
		outW.Close()
	})
	s.write(t, []byte(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"hostile","version":"1"}}}`+"\n"))
	init := s.next(t)
	require.Contains(t, string(init), `"protocolVersion":"2025-11-25"`)
	s.write(t, []byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n"))
	s.probe(t)
	return s
}

func (s *stdioTarget) write(t *testing.T, b []byte) {
	t.Helper()
	_, err := s.in.Write(b)
	require.NoError(t, err)
}

func (s *stdioTarget) next(t *testing.T) []byte {
	t.Helper()
	select {
	case m, ok := <-s.messages:
		require.True(t, ok, "the server closed stdout")
		return m
	case <-time.After(30 * time.Second):
		t.Fatal("no answer within 30s")
		return nil
	}
}

// send writes the case as one line (its body may hold newlines of its own:
// then it is several lines) and collects what is answered before a ping
// sent after it is answered, which, as lines are read in order and errors
// written at once, includes every answer of the reader itself.
func (s *stdioTarget) send(t *testing.T, c *hostileCase, body []byte) answer {
	t.Helper()
	want := c.Expect
	if c.ExpectStdio != nil {
		want = *c.ExpectStdio
	}
	line := append(slices.Clip(body), '\n')
	s.write(t, line)
	var got answer
	// A call the SDK runs may be answered after the ping: wait for it.
	var waitFor []string
	for _, w := range append([]expectation{want}, want.Batch...) {
		if !w.None && w.ID != nil && string(w.ID) != "null" {
			waitFor = append(waitFor, string(w.ID))
		}
	}
	// And for as many answers as expected, which the SDK may send after
	// answering the ping.
	least := 1
	switch {
	case want.None:
		least = 0
	case want.Batch != nil:
		least = len(want.Batch)
	}
	s.write(t, []byte(`{"jsonrpc":"2.0","id":"fence","method":"ping"}`+"\n"))
	fenced := false
	for !fenced || len(waitFor) > 0 || len(got.messages) < least {
		m := s.next(t)
		msg := decodeMessage(t, m)
		id := string(msg["id"])
		if id == `"fence"` {
			fenced = true
			continue
		}
		waitFor = slices.DeleteFunc(waitFor, func(w string) bool { return jsonEqual(id, w) })
		got.body = append(got.body, m...)
		got.messages = append(got.messages, msg)
	}
	return got
}

func jsonEqual(a, b string) bool {
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && fmt.Sprint(x) == fmt.Sprint(y)
}

func (s *stdioTarget) probe(t *testing.T) {
	t.Helper()
	s.write(t, []byte(probeCall+"\n"))
	msg := decodeMessage(t, s.next(t))
	checkMessage(t, expectation{ID: json.RawMessage(`"probe"`), Tool: "ok", Structured: json.RawMessage(probeResult)}, msg)
}
