package auth

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/internal/principal"

	"github.com/stretchr/testify/require"
)

// Test credentials: long enough, and plainly not real.
var (
	keyA   = Key{ID: "desk-a-2025", Client: "desk-a", Secret: "test-secret-a-0123456789abcdef0123456789"}
	keyA2  = Key{ID: "desk-a-2026", Client: "desk-a", Secret: "test-secret-a2-0123456789abcdef012345678"}
	keyB   = Key{ID: "desk-b", Secret: "test-secret-b-0123456789abcdef0123456789"}
	tokenA = Token{ID: "ci", Token: "test-token-a-0123456789abcdef0123456789"}
	tokenB = Token{Token: "test-token-b-0123456789abcdef0123456789"}
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

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

// downstream is the trivial handler behind the layers under test: it
// counts its runs and answers with the client ID and the body it got.
type downstream struct {
	runs atomic.Int64
}

type seen struct {
	Client string `json:"client"`
	Body   string `json:"body"`
}

func (d *downstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.runs.Add(1)
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(seen{Client: principal.ClientID(r.Context()), Body: string(body)})
}

// handler is the authentication layers of a, as runtime/security mounts
// them without the rate limit between them.
func handler(a *Authenticator) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler { return a.Authenticate(a.Replay(next)) }
}

// serve runs mw(downstream) on a loopback test server.
func serve(t *testing.T, mw func(http.Handler) http.Handler) (*httptest.Server, *downstream) {
	t.Helper()
	d := &downstream{}
	srv := httptest.NewServer(mw(d))
	t.Cleanup(srv.Close)
	return srv, d
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

func (r response) seen(t *testing.T) seen {
	t.Helper()
	var s seen
	require.NoError(t, json.Unmarshal(r.body, &s), "%s", r.body)
	return s
}

func do(t *testing.T, client *http.Client, req *http.Request) response {
	t.Helper()
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{resp.StatusCode, resp.Header, body}
}
