package server

import (
	"context"
	"net/http"
	"time"
)

// The health endpoints for orchestrators, served beside the MCP endpoint.
const (
	LivenessPath  = "/healthz"
	ReadinessPath = "/readyz"
)

// readinessTimeout bounds one readiness probe: a store that does not answer
// in time counts as unreachable.
const readinessTimeout = 2 * time.Second

// WithReadinessCheck adds a check that GET /readyz runs; the server is ready
// when every check returns nil. The security stack adds one for each store it
// uses.
func WithReadinessCheck(check func(context.Context) error) Option {
	return func(s *Server) { s.readiness = append(s.readiness, check) }
}

// health answers the liveness and readiness probes ahead of every other
// layer: they carry no credentials, and a probe's Host is often the pod's
// address, which the Host check would refuse. They reveal nothing but the
// status: 200 "ok" or 503 "unavailable".
func (s *Server) health(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != LivenessPath && r.URL.Path != ReadinessPath {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == ReadinessPath && !s.ready(r.Context()) {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("unavailable\n"))
			return
		}
		w.Write([]byte("ok\n"))
	})
}

func (s *Server) ready(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, readinessTimeout)
	defer cancel()
	for _, check := range s.readiness {
		if check(ctx) != nil {
			return false
		}
	}
	return true
}
