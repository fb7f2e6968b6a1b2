package server_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/security"
	"github.com/mcpgen/mcpgen/runtime/server"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serveWithBodyTimeout serves a server with the hostile tools and a tool
// "slow" that takes wait, over real loopback HTTP, with a body timeout.
func serveWithBodyTimeout(t *testing.T, timeout, wait time.Duration, stateless bool) string {
	t.Helper()
	srv := server.New(&mcp.Implementation{Name: "slow", Version: "v0.0.1"}, server.WithLogger(quietLogger()), server.WithSecurity(security.Options{Stderr: io.Discard}))
	require.NoError(t, srv.AddTools(hostileTools()...))
	require.NoError(t, srv.AddTools(server.Tool{
		Name:         "slow",
		InputSchema:  objectSchema,
		OutputSchema: objectSchema,
		Call: func(ctx context.Context, _ []byte) (server.Result, error) {
			select {
			case <-time.After(wait):
				return server.Result{Structured: []byte(`{"done":true}`)}, nil
			case <-ctx.Done():
				return server.Result{}, ctx.Err()
			}
		},
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- srv.ServeListener(ctx, ln, server.Config{Mode: server.ModeHTTP, Stateless: stateless, HTTPBodyTimeout: timeout, ShutdownTimeout: 5 * time.Second})
	}()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

// dribble sends a POST whose body of size bytes comes a byte per interval,
// and returns the response the server gives, or the error that ended the
// connection, and how long it took.
func dribble(t *testing.T, addr string, size int, interval time.Duration, chunked bool) (*http.Response, []byte, error, time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	head := "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
	if chunked {
		head += "Transfer-Encoding: chunked\r\n\r\n"
	} else {
		head += "Content-Length: " + strconv.Itoa(size) + "\r\n\r\n"
	}
	start := time.Now()
	_, err = conn.Write([]byte(head))
	require.NoError(t, err)
	type result struct {
		resp *http.Response
		body []byte
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			got <- result{err: err}
			return
		}
		body, err := io.ReadAll(resp.Body)
		got <- result{resp, body, err}
	}()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for i := 0; i < size; i++ {
		select {
		case r := <-got:
			return r.resp, r.body, r.err, time.Since(start)
		case <-tick.C:
		}
		piece := "{"
		if chunked {
			piece = "1\r\n{\r\n"
		}
		if _, err := conn.Write([]byte(piece)); err != nil {
			break // the server closed the connection
		}
	}
	select {
	case r := <-got:
		return r.resp, r.body, r.err, time.Since(start)
	case <-time.After(30 * time.Second):
		t.Fatal("the slow body was never cut")
		return nil, nil, nil, 0
	}
}

func TestSlowBodiesAreCut(t *testing.T) {
	const timeout = 300 * time.Millisecond
	for _, chunked := range []bool{false, true} {
		name := "content-length"
		if chunked {
			name = "chunked"
		}
		t.Run(name, func(t *testing.T) {
			addr := serveWithBodyTimeout(t, timeout, 0, false)
			// 200 bytes at a byte per 50ms would take 10s.
			resp, body, err, took := dribble(t, addr, 200, 50*time.Millisecond, chunked)
			require.NoError(t, err, "the server answers before closing")
			assert.Less(t, took, 5*time.Second, "cut long before the body could arrive")
			assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			assert.True(t, resp.Close, "the connection is closed")
			assert.JSONEq(t, `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request: the body did not arrive in time (MCP_HTTP_BODY_TIMEOUT)"}}`, string(body))
		})
	}
}

// TestBodyTimeoutSparesLongCalls: the deadline covers the body only, so a
// call that runs past it, and the event streams, are not cut.
func TestBodyTimeoutSparesLongCalls(t *testing.T) {
	const timeout = 200 * time.Millisecond
	addr := serveWithBodyTimeout(t, timeout, 4*timeout, false)
	url := "http://" + addr + "/mcp"

	status, session, _ := rawPost(t, url, "", "", http.MethodPost, initialize)
	require.Equal(t, http.StatusOK, status)
	status, _, _ = rawPost(t, url, "", session, http.MethodPost, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	require.Equal(t, http.StatusAccepted, status)

	// The standalone event stream outlives the body timeout.
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Mcp-Session-Id", session)
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	stream, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer stream.Body.Close()
	require.Equal(t, http.StatusOK, stream.StatusCode)
	ended := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, stream.Body); ended <- err }()

	// A call that takes four body timeouts is answered.
	status, _, body := rawPost(t, url, "", session, http.MethodPost, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"slow","arguments":{}}}`)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `"structuredContent":{"done":true}`)
	assert.NotContains(t, body, `"isError":true`)

	select {
	case err := <-ended:
		t.Fatalf("the event stream ended after %s: %v", 4*timeout, err)
	default:
	}
	// Nor in a stateless server, where the call runs in the request's
	// context.
	slow := serveWithBodyTimeout(t, timeout, 4*timeout, true)
	status, _, body = rawPost(t, "http://"+slow+"/mcp", "", "", http.MethodPost, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"slow","arguments":{}}}`)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `"structuredContent":{"done":true}`)
	assert.NotContains(t, body, `"isError":true`)

	// And the connection a slow body was cut on does not hurt the others.
	status, _, body = rawPost(t, url, "", session, http.MethodPost, strings.Replace(probeCall, `"probe"`, `3`, 1))
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `"structuredContent":{"qty":1,"symbol":"SPY"}`)
}
