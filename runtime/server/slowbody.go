package server

import (
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// DefaultHTTPBodyTimeout is how long a request body may take to arrive,
// counted from the start of the request (MCP_HTTP_BODY_TIMEOUT).
const DefaultHTTPBodyTimeout = 30 * time.Second

// bodyDeadline sets a read deadline of timeout on the connection of every
// request that has a body, so that a client sending it slowly (a byte a
// second) is cut: the layer reading the body gets a timeout error, the
// strict envelope answers it with 408, and the connection is closed. Once
// the body has been read to its end the deadline is lifted (net/http's
// HTTP/1 server does so itself when it starts watching the connection; this
// does not depend on it), so that a long call, or its event stream, is not
// cut with it; requests without a body (GET streams) never get one. Where the connection offers no deadline
// (http.ResponseController says so) the request goes on without one.
func bodyDeadline(timeout time.Duration, next http.Handler) http.Handler {
	if timeout <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		if err := rc.SetReadDeadline(time.Now().Add(timeout)); err != nil {
			next.ServeHTTP(w, r)
			return
		}
		r2 := new(http.Request)
		*r2 = *r
		r2.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
		next.ServeHTTP(w, r2)
	})
}

// deadlineBody lifts the read deadline when the body has been read whole.
type deadlineBody struct {
	io.ReadCloser
	rc     *http.ResponseController
	lifted atomic.Bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && b.lifted.CompareAndSwap(false, true) {
		b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
