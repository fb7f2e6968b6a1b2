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
		if !offersReadDeadline(w) {
			next.ServeHTTP(w, r) // without asking, which costs an error
			return
		}
		d := new(deadlined)
		d.rc = *http.NewResponseController(w)
		if err := d.rc.SetReadDeadline(time.Now().Add(timeout)); err != nil {
			next.ServeHTTP(w, r)
			return
		}
		d.req = *r
		d.body = deadlineBody{ReadCloser: r.Body, rc: &d.rc}
		d.req.Body = &d.body
		next.ServeHTTP(w, &d.req)
	})
}

// deadlined is a request whose body lifts the read deadline, with its body
// and controller, in one allocation.
type deadlined struct {
	req  http.Request
	body deadlineBody
	rc   http.ResponseController
}

// offersReadDeadline reports whether w, or a writer it unwraps to, has
// SetReadDeadline, as http.ResponseController looks for it.
func offersReadDeadline(w http.ResponseWriter) bool {
	for {
		switch t := w.(type) {
		case interface{ SetReadDeadline(time.Time) error }:
			return true
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return false
		}
	}
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
