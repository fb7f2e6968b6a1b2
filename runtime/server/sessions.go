package server

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/mcpgen/mcpgen/runtime/internal/httperr"
	"github.com/mcpgen/mcpgen/runtime/mcperr"
)

// sessionHeader is the Streamable HTTP session header.
const sessionHeader = "Mcp-Session-Id"

// sessionGuard bounds the stateful sessions of the HTTP endpoint: each
// session belongs to the client that opened it, another client's request
// on it (DELETE included) is answered as if it did not exist, and one client
// may hold at most perClient sessions. Idle sessions are closed by the SDK
// (StreamableHTTPOptions.SessionTimeout); the guard forgets them the next
// time it counts.
type sessionGuard struct {
	perClient int
	live      func() map[string]bool // the IDs of the sessions the SDK holds

	mu      sync.Mutex
	owners  map[string]string          // session ID → client ID
	byOwner map[string]map[string]bool // client ID → its session IDs
	opening map[string]int             // client ID → requests that may open a session, in flight
}

func newSessionGuard(perClient int, live func() map[string]bool) *sessionGuard {
	return &sessionGuard{perClient: perClient, live: live,
		owners: make(map[string]string), byOwner: make(map[string]map[string]bool), opening: make(map[string]int)}
}

func (g *sessionGuard) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client := ClientID(r.Context())
		if client == "" {
			client = ClientAnonymous
		}
		if id := r.Header.Get(sessionHeader); id != "" {
			g.mu.Lock()
			owner, known := g.owners[id]
			g.mu.Unlock()
			if known && owner != client {
				// The SDK's own answer for a session it does not hold, so
				// that a guess learns nothing about other clients' sessions.
				http.Error(w, "session not found", http.StatusNotFound)
				return
			}
			next.ServeHTTP(w, r)
			if r.Method == http.MethodDelete {
				g.forget(id)
			}
			return
		}
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		// A POST without a session may open one (an initialize request):
		// it holds a place until its answer says whether it did.
		n, ok := g.reserve(client)
		if !ok {
			httperr.Write(w, http.StatusTooManyRequests, &mcperr.Error{
				Code: mcperr.CodeRateLimitExceeded,
				Message: "this client holds " + strconv.Itoa(n) + " open sessions, the most it may (MCP_SESSIONS_PER_CLIENT); " +
					"end one with DELETE or let it expire before opening another",
				Details: map[string]any{"limit": g.perClient},
			})
			return
		}
		sw := &sessionRecorder{ResponseWriter: w, guard: g, client: client}
		defer func() {
			if !sw.opened {
				g.release(client)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// reserve counts a request that may open a session against client's cap,
// first forgetting the sessions the SDK closed (idle timeout, shutdown)
// when the cap is reached. It returns the client's sessions and whether the
// request may go ahead.
func (g *sessionGuard) reserve(client string) (int, bool) {
	g.mu.Lock()
	held := len(g.byOwner[client]) + g.opening[client]
	g.mu.Unlock()
	var live map[string]bool
	if held >= g.perClient {
		live = g.live() // outside the lock: it walks the SDK's sessions
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for id := range g.byOwner[client] {
		if live != nil && !live[id] {
			g.forgetLocked(id)
		}
	}
	held = len(g.byOwner[client]) + g.opening[client]
	if held >= g.perClient {
		return held, false
	}
	g.opening[client]++
	return held, true
}

func (g *sessionGuard) release(client string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.opening[client]--; g.opening[client] <= 0 {
		delete(g.opening, client)
	}
}

// add records a session the SDK opened, in the place its opening request
// held (one step under the lock, so the count never exceeds the cap nor
// counts the session twice).
func (g *sessionGuard) add(id, client string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.opening[client]--; g.opening[client] <= 0 {
		delete(g.opening, client)
	}
	g.owners[id] = client
	if g.byOwner[client] == nil {
		g.byOwner[client] = make(map[string]bool)
	}
	g.byOwner[client][id] = true
}

func (g *sessionGuard) forget(id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.forgetLocked(id)
}

func (g *sessionGuard) forgetLocked(id string) {
	owner, ok := g.owners[id]
	if !ok {
		return
	}
	delete(g.owners, id)
	delete(g.byOwner[owner], id)
	if len(g.byOwner[owner]) == 0 {
		delete(g.byOwner, owner)
	}
}

// sessionRecorder notes the session ID the SDK assigns in its response.
type sessionRecorder struct {
	http.ResponseWriter
	guard   *sessionGuard
	client  string
	written bool
	opened  bool // the response opened a session, which took the request's place
}

func (w *sessionRecorder) WriteHeader(status int) {
	if !w.written {
		w.written = true
		if id := w.Header().Get(sessionHeader); id != "" && status < 300 {
			w.guard.add(id, w.client)
			w.opened = true
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *sessionRecorder) Write(p []byte) (int, error) {
	if !w.written {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Flush keeps SSE streaming working through the wrapper.
func (w *sessionRecorder) Flush() { http.NewResponseController(w.ResponseWriter).Flush() }

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *sessionRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
