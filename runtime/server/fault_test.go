package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/security"
	"github.com/mcpgen/mcpgen/runtime/server"
	"github.com/mcpgen/mcpgen/runtime/store"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Faults, scripted and bounded: every test here runs on loopback, with a
// fixed number of requests and a deadline, and stops by itself.

// connectTo opens an SDK client session to the MCP endpoint at addr.
func connectTo(t *testing.T, addr string) *mcp.ClientSession {
	t.Helper()
	cs, err := newClient().Connect(testContext(t), &mcp.StreamableClientTransport{Endpoint: "http://" + addr + "/mcp"}, nil)
	require.NoError(t, err)
	t.Cleanup(func() { cs.Close() })
	return cs
}

// faultServer serves tools, and echo, over real HTTP (the http.Server of
// Run) on a free loopback port; logs go to log.
func faultServer(t *testing.T, cfg server.Config, log io.Writer, tools ...server.Tool) (string, *server.Server) {
	t.Helper()
	if log == nil {
		log = io.Discard
	}
	srv := server.New(&mcp.Implementation{Name: "fault", Version: "v0"},
		server.WithLogger(slog.New(slog.NewJSONHandler(log, nil))),
		server.WithSecurity(security.Options{Stderr: log})) // audit events too
	tools = append(tools, server.Tool{Name: "echo", InputSchema: objectSchema, Call: echo})
	require.NoError(t, srv.AddTools(tools...))
	addr, _ := serve(t, srv, cfg)
	return addr, srv
}

// requireServes checks that a normal call still succeeds on a new session.
func requireServes(t *testing.T, addr string) {
	t.Helper()
	res := callTool(t, connectTo(t, addr), "echo", json.RawMessage(`{"a":1}`))
	require.False(t, res.IsError, "a normal call failed")
	assert.JSONEq(t, `{"a":1}`, resultJSON(t, res))
}

func TestFaultHandlerPanics(t *testing.T) {
	log := new(syncBuffer)
	addr, _ := faultServer(t, server.Config{}, log,
		server.Tool{Name: "boom", InputSchema: objectSchema,
			Call: func(context.Context, []byte) (server.Result, error) { panic("boom: secret panic text") }},
		// With a deadline the call runs on a goroutine of its own, where a
		// panic that escaped would end the process.
		server.Tool{Name: "boom_deadline", InputSchema: objectSchema, Policy: server.Policy{Timeout: time.Second},
			Call: func(context.Context, []byte) (server.Result, error) { panic(errors.New("boom: secret error")) }},
		server.Tool{Name: "boom_nil", InputSchema: objectSchema, Policy: server.Policy{Timeout: time.Second},
			Call: func(context.Context, []byte) (server.Result, error) {
				var m map[string]int
				m["x"] = 1 // a runtime error, not a panic call
				return server.Result{}, nil
			}},
	)
	const sessions, callsEach = 4, 10
	var wg sync.WaitGroup
	for s := range sessions {
		cs := connectTo(t, addr)
		wg.Go(func() {
			for i := range callsEach {
				tool := []string{"boom", "boom_deadline", "boom_nil"}[(s+i)%3]
				res, err := cs.CallTool(testContext(t), &mcp.CallToolParams{Name: tool})
				if !assert.NoError(t, err, "%s: the panic reached the protocol", tool) {
					return
				}
				body := errorBody(t, res)
				assert.Equal(t, mcperr.CodeInternal, body.Code, tool)
				text := res.Content[0].(*mcp.TextContent).Text
				assert.NotContains(t, text, "secret", "the panic's text reached the client")
				assert.NotContains(t, text, "goroutine", "a stack reached the client")
				// The session goes on serving after its own panics.
				ok := callTool(t, cs, "echo", json.RawMessage(`{"a":2}`))
				assert.False(t, ok.IsError)
			}
		})
	}
	wg.Wait()
	requireServes(t, addr)
	assert.Equal(t, sessions*callsEach, strings.Count(log.String(), `"msg":"tool panicked"`), "every panic is logged once, with its stack")
	assert.Contains(t, log.String(), "fault_test.go", "the stack is logged")
}

func TestFaultHandlerPastItsDeadline(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var ignoredDone atomic.Int32
	sawDeadline := make(chan error, 1)
	const timeout = 100 * time.Millisecond
	addr, _ := faultServer(t, server.Config{}, nil,
		server.Tool{Name: "ignores", InputSchema: objectSchema, Policy: server.Policy{Timeout: timeout},
			Call: func(ctx context.Context, _ []byte) (server.Result, error) {
				<-release // ignores its context
				ignoredDone.Add(1)
				return server.Result{Structured: []byte(`{}`)}, nil
			}},
		server.Tool{Name: "honours", InputSchema: objectSchema, Policy: server.Policy{Timeout: timeout},
			Call: func(ctx context.Context, _ []byte) (server.Result, error) {
				<-ctx.Done()
				sawDeadline <- ctx.Err()
				return server.Result{}, ctx.Err()
			}},
		server.Tool{Name: "late_error", InputSchema: objectSchema, Policy: server.Policy{Timeout: timeout},
			Call: func(ctx context.Context, _ []byte) (server.Result, error) {
				<-ctx.Done()
				return server.Result{}, fmt.Errorf("wrapped: %w", ctx.Err())
			}},
	)
	cs := connectTo(t, addr)
	for _, tool := range []string{"ignores", "honours", "late_error"} {
		start := time.Now()
		res := callTool(t, cs, tool, nil)
		took := time.Since(start)
		body := errorBody(t, res)
		assert.Equal(t, mcperr.CodeTimeout, body.Code, tool)
		assert.Equal(t, "the tool did not finish within 100ms", body.Message, tool)
		assert.Equal(t, map[string]any{"timeout": "100ms"}, body.Details, tool)
		assert.GreaterOrEqual(t, took, timeout, tool)
		assert.Less(t, took, 5*time.Second, "%s: answered long after its deadline", tool)
		t.Logf("%s: MCP-004 after %s", tool, took.Round(time.Millisecond))
	}
	assert.ErrorIs(t, <-sawDeadline, context.DeadlineExceeded, "the handler's context ends at the deadline")
	// The handler that ignores its context is still running; the server
	// is not held up by it.
	assert.Zero(t, ignoredDone.Load())
	requireServes(t, addr)
}

// observed is a tool whose calls report when they start and why their
// context ended: context.Canceled, context.DeadlineExceeded, or nil when
// nothing ended it within observeBound.
type observed struct {
	started chan struct{}
	ended   chan error
}

const observeBound = 3 * time.Second

func newObserved() *observed {
	return &observed{started: make(chan struct{}, 16), ended: make(chan error, 16)}
}

func (o *observed) tool(name string, timeout time.Duration) server.Tool {
	return server.Tool{Name: name, InputSchema: objectSchema, Policy: server.Policy{Timeout: timeout},
		Call: func(ctx context.Context, _ []byte) (server.Result, error) {
			o.started <- struct{}{}
			select {
			case <-ctx.Done():
				o.ended <- ctx.Err()
				return server.Result{}, ctx.Err()
			case <-time.After(observeBound):
				o.ended <- nil
				return server.Result{Structured: []byte(`{}`)}, nil
			}
		}}
}

func (o *observed) wait(t *testing.T, what string) {
	t.Helper()
	select {
	case <-o.started:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: the call never started", what)
	}
}

// end returns why the handler's context ended (nil: it ran to its bound).
func (o *observed) end(t *testing.T, what string) error {
	t.Helper()
	select {
	case err := <-o.ended:
		return err
	case <-time.After(observeBound + 5*time.Second):
		t.Fatalf("%s: the handler never returned", what)
		return nil
	}
}

// rawCall writes one tools/call on a connection of its own and returns the
// connection, for the caller to drop.
func rawCall(t *testing.T, addr, session, tool string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	body := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"` + tool + `","arguments":{}}}`
	req := "POST /mcp HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\n" +
		"Accept: application/json, text/event-stream\r\nMcp-Protocol-Version: 2025-11-25\r\n"
	if session != "" {
		req += "Mcp-Session-Id: " + session + "\r\n"
	}
	req += "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	_, err = conn.Write([]byte(req))
	require.NoError(t, err)
	return conn
}

// openSession opens a session with a raw initialize and the initialized
// notification, and returns its ID.
func openSession(t *testing.T, addr string) string {
	t.Helper()
	status, session, body := rawPost(t, "http://"+addr+"/mcp", "", "", http.MethodPost, initialize)
	require.Equal(t, http.StatusOK, status, body)
	require.NotEmpty(t, session)
	status, _, body = rawPost(t, "http://"+addr+"/mcp", "", session, http.MethodPost, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	require.Equal(t, http.StatusAccepted, status, body)
	return session
}

// A client that goes away mid-call. Cancelling is explicit in MCP: the
// client sends notifications/cancelled, and the handler's context is
// cancelled at once. A dropped connection is not a cancellation: the
// Streamable HTTP transport says disconnection SHOULD NOT be interpreted as
// the client cancelling its request, and the go-sdk (v1.8.0) keeps the call
// running, also when its session is deleted and in stateless mode, where no
// client can come back for the answer. What bounds such a call is its
// x-timeout; the test checks that it does, and logs whether the context was
// cancelled before.
func TestFaultClientDisconnectsMidCall(t *testing.T) {
	t.Run("notifications/cancelled", func(t *testing.T) {
		o := newObserved()
		addr, _ := faultServer(t, server.Config{}, nil, o.tool("observe", 0))
		cs := connectTo(t, addr)
		ctx, cancel := context.WithCancel(testContext(t))
		errc := make(chan error, 1)
		go func() {
			_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "observe"})
			errc <- err
		}()
		o.wait(t, "cancel")
		start := time.Now()
		cancel() // the SDK client sends notifications/cancelled
		require.Error(t, <-errc)
		require.ErrorIs(t, o.end(t, "cancel"), context.Canceled, "the handler's context was not cancelled")
		assert.Less(t, time.Since(start), 2*time.Second)
		t.Logf("the handler's context was cancelled %s after the client cancelled", time.Since(start).Round(time.Millisecond))
		requireServes(t, addr)
	})
	for _, stateless := range []bool{false, true} {
		name := "connection dropped, stateful, then the session deleted"
		if stateless {
			name = "connection dropped, stateless"
		}
		t.Run(name, func(t *testing.T) {
			const timeout = time.Second
			o := newObserved()
			addr, _ := faultServer(t, server.Config{Stateless: stateless}, nil, o.tool("observe", timeout))
			session := ""
			if !stateless {
				session = openSession(t, addr)
			}
			conn := rawCall(t, addr, session, "observe")
			o.wait(t, name)
			start := time.Now()
			require.NoError(t, conn.Close()) // mid-call, before any answer
			if !stateless {
				select {
				case err := <-o.ended:
					t.Fatalf("the call ended (%v) when its connection dropped: a client of a resumable stream could not come back for its answer", err)
				case <-time.After(200 * time.Millisecond):
				}
				status, _, _ := rawPost(t, "http://"+addr+"/mcp", "", session, http.MethodDelete, "")
				require.Less(t, status, 300)
			}
			err := o.end(t, name)
			took := time.Since(start)
			require.True(t, errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded),
				"the call was not ended: %v", err)
			assert.Less(t, took, timeout+time.Second, "the call outlived its x-timeout")
			how := "cancelled"
			if errors.Is(err, context.DeadlineExceeded) {
				how = "not cancelled; its x-timeout ended it"
			}
			t.Logf("%s: the handler's context was %s, %s after the client went away", name, how, took.Round(time.Millisecond))
			requireServes(t, addr)
		})
	}
}

// faultServerEnv makes TestFaultServerProcess act as the server of
// TestFaultSIGTERMUnderLoad, in a process of its own.
const faultServerEnv = "MCPGEN_FAULT_SERVER_STATE_DUMP"

// faultKeys is how many keys (one per client) the SIGTERM test writes.
const faultKeys = 8

// TestFaultServerProcess is not a test: TestFaultSIGTERMUnderLoad runs the
// test binary with it as a server process (the stdio tests' TestMain trick,
// for HTTP). Its tool "put" writes a value to the server's shared state
// after a pause, so SIGTERM finds calls in flight; once Run returns, the
// process writes what the state holds to the file faultServerEnv names.
func TestFaultServerProcess(t *testing.T) {
	dump := os.Getenv(faultServerEnv)
	if dump == "" {
		t.Skip("the server of TestFaultSIGTERMUnderLoad")
	}
	os.Exit(faultServerMain(dump))
}

func faultServerMain(dump string) int {
	var state atomic.Pointer[store.State]
	srv := server.New(&mcp.Implementation{Name: "fault-server", Version: "v0"},
		server.WithLogger(slog.New(slog.NewJSONHandler(os.Stderr, nil))))
	err := srv.AddTools(server.Tool{
		Name:        "put",
		InputSchema: json.RawMessage(`{"type":"object","properties":{"key":{"type":"string"},"value":{"type":"integer"},"ifVersion":{"type":"integer"}}}`),
		Call: func(ctx context.Context, args []byte) (server.Result, error) {
			var in struct {
				Key       string `json:"key"`
				Value     int64  `json:"value"`
				IfVersion int64  `json:"ifVersion"`
			}
			if err := json.Unmarshal(args, &in); err != nil {
				return server.Result{}, mcperr.Errorf(mcperr.CodeInvalidArgs, "%v", err)
			}
			st := server.State(ctx)
			state.Store(&st)
			time.Sleep(time.Duration(50+in.Value%5*50) * time.Millisecond) // 50..250 ms
			v, err := st.Set(ctx, in.Key, json.RawMessage(strconv.FormatInt(in.Value, 10)), 0, &in.IfVersion)
			if err != nil {
				return server.Result{}, err
			}
			return server.Result{Structured: fmt.Appendf(nil, `{"version":%d}`, v)}, nil
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := srv.Run(ctx, server.Config{Mode: server.ModeHTTP, HTTPAddr: "127.0.0.1:0", ShutdownTimeout: 20 * time.Second}); err != nil {
		fmt.Fprintln(os.Stderr, "run:", err)
		return 4
	}
	out := map[string]any{}
	if st := state.Load(); st != nil {
		for i := range faultKeys {
			key := "k" + strconv.Itoa(i)
			raw, version, err := (*st).Get(context.Background(), key)
			if err != nil {
				out[key] = err.Error()
				continue
			}
			out[key] = map[string]any{"value": json.RawMessage(raw), "version": version}
		}
	}
	b, _ := json.Marshal(out)
	if err := os.WriteFile(dump, b, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 5
	}
	return 0
}

func TestFaultSIGTERMUnderLoad(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGTERM")
	}
	dump := filepath.Join(t.TempDir(), "state.json")
	cmd := exec.Command(os.Args[0], "-test.run=^TestFaultServerProcess$")
	cmd.Env = append(os.Environ(), faultServerEnv+"="+dump)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill() })
	logs := new(syncBuffer)
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.Write(append(sc.Bytes(), '\n'))
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "serving MCP over HTTP" {
				addrc <- rec.Addr
			}
		}
	}()
	var addr string
	select {
	case addr = <-addrc:
	case <-time.After(30 * time.Second):
		t.Fatalf("the server did not start:\n%s", logs.String())
	}

	// One client per key, each writing its key over and over with
	// ifVersion, so the versions count the writes that reached the store.
	type client struct {
		acked      int64 // the last version the client was told
		lastValue  int64
		afterTERM  int // answers received after SIGTERM
		failures   []string
		inFlightAt bool
	}
	clients := make([]*client, faultKeys)
	var sigtermAt atomic.Int64
	var wg sync.WaitGroup
	for i := range clients {
		c := &client{}
		clients[i] = c
		cs := connectTo(t, addr)
		wg.Go(func() {
			key := "k" + strconv.Itoa(i)
			for n := int64(1); n <= 200; n++ {
				if sigtermAt.Load() != 0 && time.Since(time.Unix(0, sigtermAt.Load())) > 2*time.Second {
					return
				}
				sent := time.Now()
				args := fmt.Sprintf(`{"key":%q,"value":%d,"ifVersion":%d}`, key, n*10+int64(i), c.acked)
				res, err := cs.CallTool(testContext(t), &mcp.CallToolParams{Name: "put", Arguments: json.RawMessage(args)})
				term := sigtermAt.Load()
				if err != nil || res.IsError {
					// Sent well before SIGTERM, it must have been answered
					// (closer to it, the request may still have been on its
					// way over a connection the shutdown closed as idle).
					if term == 0 || sent.UnixNano() < term-int64(50*time.Millisecond) {
						c.failures = append(c.failures, fmt.Sprintf("call %d sent %s before SIGTERM: %v %v", n, time.Duration(term-sent.UnixNano()), err, res))
					}
					return // the server is gone, or going
				}
				var out struct{ Version int64 }
				if !assert.NoError(t, json.Unmarshal([]byte(resultJSON(t, res)), &out)) {
					return
				}
				if term != 0 && sent.UnixNano() < term {
					c.inFlightAt = true
					c.afterTERM++
				}
				c.acked, c.lastValue = out.Version, n*10+int64(i)
			}
		})
	}
	time.Sleep(time.Second)
	sigtermAt.Store(time.Now().UnixNano())
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	wg.Wait()

	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		require.NoError(t, err, "the server did not exit cleanly:\n%s", logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("the server did not exit within 30 s of SIGTERM:\n%s", logs.String())
	}
	shutdownTook := time.Since(time.Unix(0, sigtermAt.Load()))

	b, err := os.ReadFile(dump)
	require.NoError(t, err)
	var stored map[string]struct {
		Value   int64
		Version int64
	}
	require.NoError(t, json.Unmarshal(b, &stored), "%s", b)
	inFlight, writes := 0, int64(0)
	for i, c := range clients {
		key := "k" + strconv.Itoa(i)
		assert.Empty(t, c.failures, key)
		require.Contains(t, stored, key)
		// Every write the store holds was acknowledged, and every
		// acknowledged write is there: no call finished unanswered.
		assert.Equal(t, c.acked, stored[key].Version, "%s: versions stored and acknowledged", key)
		assert.Equal(t, c.lastValue, stored[key].Value, "%s: the last value stored is the last acknowledged", key)
		if c.inFlightAt {
			inFlight++
		}
		writes += c.acked
	}
	assert.Positive(t, inFlight, "no call was in flight at SIGTERM; the test proved nothing")
	t.Logf("%d writes; SIGTERM found calls of %d of %d clients in flight, all answered; the server exited %s after SIGTERM",
		writes, inFlight, faultKeys, shutdownTook.Round(time.Millisecond))
}

func TestFaultManySessions(t *testing.T) {
	const perClient = 8
	srv := server.New(&mcp.Implementation{Name: "fault", Version: "v0"},
		server.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))), server.WithHTTPMiddleware(asClient),
		server.WithSecurity(security.Options{Stderr: io.Discard}))
	require.NoError(t, srv.AddTools(server.Tool{Name: "echo", InputSchema: objectSchema, Call: echo}))
	addr, _ := serve(t, srv, server.Config{SessionsPerClient: perClient})
	url := "http://" + addr + "/mcp"
	live := func() int {
		n := 0
		for range srv.MCP().Sessions() {
			n++
		}
		return n
	}

	// 64 initializes at once from one client: exactly its cap succeed.
	var ok, refused atomic.Int32
	var sessions sync.Map
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			status, session, body := rawPost(t, url, "mallory", "", http.MethodPost, initialize)
			switch status {
			case http.StatusOK:
				ok.Add(1)
				sessions.Store(session, true)
			case http.StatusTooManyRequests:
				refused.Add(1)
				assert.Contains(t, body, `"code":"MCP-006"`)
			default:
				t.Errorf("initialize: %d %s", status, body)
			}
		})
	}
	wg.Wait()
	// At most the cap (a request whose session is open but whose answer is
	// not finished counts twice for a moment, so a burst may get one or two
	// fewer), and one at a time afterwards fills it exactly.
	assert.LessOrEqual(t, ok.Load(), int32(perClient), "sessions opened at once beyond the cap")
	assert.Positive(t, ok.Load())
	assert.EqualValues(t, 64, ok.Load()+refused.Load())
	t.Logf("64 initializes at once: %d sessions opened, %d refused with 429", ok.Load(), refused.Load())
	for range perClient + 1 {
		status, session, _ := rawPost(t, url, "mallory", "", http.MethodPost, initialize)
		if status == http.StatusTooManyRequests {
			break
		}
		require.Equal(t, http.StatusOK, status)
		sessions.Store(session, true)
		ok.Add(1)
	}
	assert.EqualValues(t, perClient, ok.Load(), "one at a time, the client fills its cap and no more")
	assert.LessOrEqual(t, live(), perClient)

	// Another client is not locked out by mallory's sessions.
	status, _, _ := rawPost(t, url, "alice", "", http.MethodPost, initialize)
	assert.Equal(t, http.StatusOK, status, "another client cannot open a session")

	// Opening and ending 300 sessions one after the other keeps the count
	// bounded: an ended session frees its place every time.
	sessions.Range(func(k, _ any) bool {
		status, _, _ := rawPost(t, url, "mallory", k.(string), http.MethodDelete, "")
		assert.Less(t, status, 300)
		return true
	})
	for i := range 300 {
		status, session, body := rawPost(t, url, "mallory", "", http.MethodPost, initialize)
		require.Equal(t, http.StatusOK, status, "session %d: %s", i, body)
		status, _, _ = rawPost(t, url, "mallory", session, http.MethodDelete, "")
		require.Less(t, status, 300)
	}
	assert.LessOrEqual(t, live(), 2, "ended sessions are still held")
	requireServes(t, addr)
}

func TestFaultManyConnections(t *testing.T) {
	t.Parallel() // most of it is waiting for the header timeout
	addr, _ := faultServer(t, server.Config{}, nil)
	requireServes(t, addr)
	runtime.GC()
	baseline := runtime.NumGoroutine()

	// 128 connections that send nothing and 128 that stop half-way through
	// their headers, all held open (512 descriptors in this process).
	const idle, partial = 128, 128
	conns := make([]net.Conn, 0, idle+partial)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range idle + partial {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		if i >= idle {
			_, err = c.Write([]byte("POST /mcp HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\nX-Pad: "))
			require.NoError(t, err)
		}
		conns = append(conns, c)
	}
	start := time.Now()
	requireServes(t, addr)
	t.Logf("a normal call with %d stalled connections open took %s", len(conns), time.Since(start).Round(time.Millisecond))

	// The server cuts them all once its header timeout (10 s) passes.
	var cut atomic.Int32
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			c.SetReadDeadline(time.Now().Add(20 * time.Second))
			_, err := io.Copy(io.Discard, c)
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				cut.Add(1) // EOF or reset: the server closed it
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, len(conns), cut.Load(), "connections the server kept open past its header timeout")
	t.Logf("all %d stalled connections were cut %s after they opened", cut.Load(), time.Since(start).Round(time.Second))
	assert.Eventually(t, func() bool { return runtime.NumGoroutine() <= baseline+20 }, 5*time.Second, 50*time.Millisecond,
		"goroutines: %d, before the connections %d", runtime.NumGoroutine(), baseline)
	requireServes(t, addr)
}
