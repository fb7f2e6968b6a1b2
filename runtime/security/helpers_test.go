package security_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/internal/principal"

	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/security"
	"github.com/mcpgen/mcpgen/runtime/security/auth"
)

// Test credentials: long enough, and plainly not real.
var (
	keyA   = auth.Key{ID: "desk-a-2025", Client: "desk-a", Secret: "test-secret-a-0123456789abcdef0123456789"}
	keyA2  = auth.Key{ID: "desk-a-2026", Client: "desk-a", Secret: "test-secret-a2-0123456789abcdef012345678"}
	keyB   = auth.Key{ID: "desk-b", Secret: "test-secret-b-0123456789abcdef0123456789"}
	tokenA = auth.Token{ID: "ci", Token: "test-token-a-0123456789abcdef0123456789"}
)

const rpcBody = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"quote.get","arguments":{"symbol":"EURUSD"}}}`

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// newFakeClock starts on a whole minute, so rate-limit windows start on it.
func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_767_225_600, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// events is an audit sink that keeps what it is sent.
type events struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (e *events) WriteEvent(line []byte) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.buf.Write(line)
	return nil
}

func (e *events) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.buf.String()
}

// all returns the events written so far, decoded.
func (e *events) all(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(e.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

// last returns the last event written.
func (e *events) last(t *testing.T) map[string]any {
	t.Helper()
	all := e.all(t)
	require.NotEmpty(t, all, "no event was written")
	return all[len(all)-1]
}

// downstream is the handler behind the stack: it counts its runs and
// answers with the client ID it got.
type downstream struct{ runs atomic.Int64 }

func (d *downstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.runs.Add(1)
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"client": principal.ClientID(r.Context())})
}

// fixture is a stack on a fake clock, serving downstream over loopback
// HTTP, with its events and log kept.
type fixture struct {
	stack  *security.Stack
	url    string
	clock  *fakeClock
	events *events
	log    *bytes.Buffer
	d      *downstream
}

func serve(t *testing.T, cfg security.Config, opts security.Options) *fixture {
	t.Helper()
	return serveOn(t, newFakeClock(), cfg, opts)
}

// serveOn is serve on the given clock, for stores made with it.
func serveOn(t *testing.T, clock *fakeClock, cfg security.Config, opts security.Options) *fixture {
	t.Helper()
	f := &fixture{clock: clock, events: &events{}, log: &bytes.Buffer{}, d: &downstream{}}
	opts.Now, opts.AuditSink, opts.Stderr = f.clock.Now, f.events, f.log
	stack, err := security.New(cfg, opts)
	require.NoError(t, err)
	t.Cleanup(func() { stack.Close() })
	f.stack = stack
	srv := httptest.NewServer(stack.HTTP(f.d))
	t.Cleanup(srv.Close)
	f.url = srv.URL + "/mcp"
	return f
}

// signed returns a POST of body to url signed with key at the clock's
// time; edit, when set, changes the signing parameters first.
func signed(t *testing.T, key auth.Key, clock *fakeClock, url, body string, edit func(*auth.SignParams)) *http.Request {
	t.Helper()
	p := auth.SignParams{Method: http.MethodPost, URL: url, ContentType: "application/json", Body: []byte(body), Time: clock.Now()}
	if edit != nil {
		edit(&p)
	}
	h, _, err := auth.SignRequestHeaders(key, p)
	require.NoError(t, err)
	req, err := http.NewRequest(p.Method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header = h
	return req
}

// again returns a copy of req to send once more, body and headers alike.
func again(req *http.Request, body string) *http.Request {
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(strings.NewReader(body))
	return r
}

// errorBody is the runtime error body as a client reads it.
type errorBody struct {
	Error         bool           `json:"error"`
	Code          string         `json:"code"`
	Message       string         `json:"message"`
	Details       map[string]any `json:"details"`
	SecurityEvent bool           `json:"security_event"`
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) error(t *testing.T) errorBody {
	t.Helper()
	var b errorBody
	require.NoError(t, json.Unmarshal(r.body, &b), "%s", r.body)
	require.True(t, b.Error)
	return b
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{resp.StatusCode, resp.Header, body}
}

func post(t *testing.T, url, body string, header http.Header) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	for k, vs := range header {
		req.Header[k] = vs
	}
	return do(t, req)
}
