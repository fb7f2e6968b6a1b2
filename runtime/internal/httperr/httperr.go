// Package httperr writes the runtime's JSON error body as an HTTP response,
// for requests refused before they reach the protocol layer. The server and
// the security layers share it.
package httperr

import (
	"net/http"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
)

// Write writes e as the JSON error body with the HTTP status.
func Write(w http.ResponseWriter, status int, e *mcperr.Error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(e.MarshalBody(time.Now()))
}
