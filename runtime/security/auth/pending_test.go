package auth

import (
	"bytes"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUnauthenticatedBodiesShareOneBudget: clients that know no secret send
// well-formed headers and most of a body, then stop. Together they can hold
// no more than MaxPendingBodyBytes; the next one is refused at once with
// 503 and MCP-003, and once they are gone a signed request passes again.
func TestUnauthenticatedBodiesShareOneBudget(t *testing.T) {
	key := Key{ID: DefaultKeyID, Secret: "s3cret-0123456789abcdefghijklmnopqrstuvwxyz"}
	a, err := New(Config{Mode: ModeHMAC, Keys: []Key{key}, MaxBodyBytes: 1 << 20, MaxPendingBodyBytes: 2 << 20}, Options{})
	require.NoError(t, err)
	srv, d := serve(t, handler(a))

	// Two stalled bodies of 1 MiB each take the whole 2 MiB budget.
	const size = 1 << 20
	var stalled []net.Conn
	for range 2 {
		h, _, err := SignRequestHeaders(key, SignParams{Method: "POST", URL: srv.URL + "/mcp", ContentType: "application/json", Body: bytes.Repeat([]byte("x"), size)})
		require.NoError(t, err)
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		var head bytes.Buffer
		head.WriteString("POST /mcp HTTP/1.1\r\nHost: " + srv.Listener.Addr().String() + "\r\nContent-Length: " + strconv.Itoa(size) + "\r\n")
		for k, vs := range h {
			head.WriteString(k + ": " + vs[0] + "\r\n")
		}
		head.WriteString("\r\n")
		_, err = conn.Write(append(head.Bytes(), bytes.Repeat([]byte("x"), size/2)...)) // half, then nothing
		require.NoError(t, err)
		stalled = append(stalled, conn)
	}

	body := []byte(`{"jsonrpc":"2.0","id":1,"method":"ping"}`)
	signed := func() *http.Request {
		h, _, err := SignRequestHeaders(key, SignParams{Method: "POST", URL: srv.URL + "/mcp", ContentType: "application/json", Body: body})
		require.NoError(t, err)
		req, err := http.NewRequest("POST", srv.URL+"/mcp", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header = h
		return req
	}
	require.Eventually(t, func() bool {
		r := do(t, nil, signed())
		return r.status == http.StatusServiceUnavailable
	}, 5*time.Second, 20*time.Millisecond, "the budget fills")
	runs := d.runs.Load() // requests that got in before the stalled ones had their budget
	r := do(t, nil, signed())
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	assert.Equal(t, "1", r.header.Get("Retry-After"))
	e := r.error(t)
	assert.Equal(t, "MCP-003", e.Code)
	assert.Equal(t, "too many signed request bodies are being received at once; retry shortly", e.Message)
	assert.Equal(t, runs, d.runs.Load(), "a refused request never reaches the handler")

	for _, c := range stalled {
		c.Close()
	}
	require.Eventually(t, func() bool {
		return do(t, nil, signed()).status == http.StatusOK
	}, 5*time.Second, 20*time.Millisecond, "the budget is freed when the senders go")
}
