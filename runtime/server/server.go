package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"runtime/debug"
	"sync"
	"time"
	"unsafe"

	"github.com/mcpgen/mcpgen/runtime/internal/principal"
	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/security"
	"github.com/mcpgen/mcpgen/runtime/security/auth"
	"github.com/mcpgen/mcpgen/runtime/security/redact"
	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/memstore"
	"github.com/mcpgen/mcpgen/runtime/store/redisstore"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Server is an MCP server for Tools: it publishes them, runs their calls
// behind the argument cap, the tool gates and the deadline, turns every
// failure into an error result with a code from the table, and serves stdio
// or Streamable HTTP. It wraps an *mcp.Server from the official SDK, which
// does the protocol work.
type Server struct {
	mcp        *mcp.Server
	mcpOpts    mcp.ServerOptions
	logger     *slog.Logger
	gates      []ToolGate
	observers  []Observer
	middleware []func(http.Handler) http.Handler
	readiness  []func(context.Context) error

	mu    sync.Mutex
	tools map[string]*Tool

	// The log: baseLog is the handler WithLogger gave (nil: the security
	// stack's default); logs switches to the redacting handler once the
	// stack exists.
	baseLog slog.Handler
	logs    *switchHandler

	securityOpts security.Options
	state        store.State       // the tools' shared state (State)
	redis        *redisstore.Store // when MCP_REDIS_URL is set
	secureOnce   sync.Once
	stack        *security.Stack
	secureErr    error
}

// ToolGate decides whether a tool call may go ahead. Gates run in the order
// they were added, after the argument size check and before Tool.Call (so
// before the arguments are decoded); the per-tool rate limiter is one. A gate
// refuses a call by returning an error: an *Error reaches the client as it
// is (MCP-006 with its details, say), any other error as MCP-999.
type ToolGate func(ctx context.Context, tool *Tool) error

// Observer is told about every tool call the server ran, refused or failed,
// once its result is built; audit events come from here. It runs on the
// call's goroutine, so it should not block.
type Observer func(ctx context.Context, call CallInfo)

// CallInfo describes one finished tool call.
type CallInfo struct {
	Tool          *Tool
	CorrelationID string        // also CorrelationID(ctx)
	Err           *mcperr.Error // what the client was sent; nil when the call succeeded
	Duration      time.Duration // from receiving the call to building its result
	ArgsBytes     int           // size of the arguments as received
	OutputBytes   int           // size of the output JSON; 0 when the call failed
}

// Status returns "ok" for a successful call and the error code otherwise, the
// outcome field of an audit event.
func (c CallInfo) Status() string {
	if c.Err == nil {
		return "ok"
	}
	return string(c.Err.Code)
}

// Option configures a Server.
type Option func(*Server)

// WithLogger sets where the server's log goes: its own events (panics with
// their stacks, internal errors, refusals, start and shutdown) and the
// SDK's. Whatever the handler, every record passes redaction first (secrets
// and the tools' x-sensitive fields). The default writes JSON to stderr;
// nothing is ever logged to stdout, which belongs to the stdio transport.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.baseLog = l.Handler() } }

// WithToolGate adds a gate every tool call passes before Tool.Call.
func WithToolGate(g ToolGate) Option { return func(s *Server) { s.gates = append(s.gates, g) } }

// WithObserver adds an observer told about every tool call.
func WithObserver(o Observer) Option {
	return func(s *Server) { s.observers = append(s.observers, o) }
}

// WithHTTPMiddleware wraps the MCP endpoint that HTTPHandler serves. The
// middleware runs after the health endpoints, the body cap, the Host and
// Origin checks, the path match and the security layers (authentication,
// client rate limit, replay check, idempotency), so ClientID(r.Context())
// names the authenticated client; it runs before the strict JSON-RPC reader
// and the protocol layer. The first added is the outermost.
func WithHTTPMiddleware(mw func(http.Handler) http.Handler) Option {
	return func(s *Server) { s.middleware = append(s.middleware, mw) }
}

// WithMCPOptions sets the options of the underlying *mcp.Server, such as
// Instructions or KeepAlive. Its Logger, when nil, is the server's logger.
func WithMCPOptions(opts *mcp.ServerOptions) Option {
	return func(s *Server) {
		if opts != nil {
			s.mcpOpts = *opts
		}
	}
}

// New returns a Server that introduces itself to clients as impl (its
// name and version), configured by opts.
func New(impl *mcp.Implementation, opts ...Option) *Server {
	s := &Server{tools: make(map[string]*Tool), state: memstore.NewState(memstore.StateOptions{})}
	for _, o := range opts {
		o(s)
	}
	base := s.baseLog
	if base == nil {
		base = slog.NewJSONHandler(os.Stderr, nil)
	}
	s.logs = newSwitchHandler(redact.NewHandler(base, redact.Options{}))
	s.logger = slog.New(s.logs)
	if s.mcpOpts.Logger == nil {
		s.mcpOpts.Logger = s.logger
	}
	s.mcp = mcp.NewServer(impl, &s.mcpOpts)
	s.mcp.AddReceivingMiddleware(s.publishExtras)
	return s
}

// MCP returns the underlying SDK server, for registering resources, prompts
// or SDK middleware directly. Tools should be added with AddTools, which
// applies the runtime's policies.
func (s *Server) MCP() *mcp.Server { return s.mcp }

// toolName is the MCP specification's tool-name rule: 1 to 128 of these
// characters. (The generator warns beyond 64, where some clients cut names.)
var toolName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)

// AddTools publishes tools and routes their calls through the runtime. The
// schemas are published byte for byte (the annotations through the SDK's
// ToolAnnotations), and call arguments reach Tool.Call untouched: the SDK
// does no decoding or validation of its own. Either every tool is added or, on an error (a bad name or schema, a
// missing Call, a name already taken), none is.
func (s *Server) AddTools(tools ...Tool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	batch := make(map[string]bool, len(tools))
	regs := make([]*mcp.Tool, len(tools))
	for i := range tools {
		t := &tools[i]
		if batch[t.Name] || s.tools[t.Name] != nil {
			return fmt.Errorf("runtime: tool %q is added twice; tool names must be unique", t.Name)
		}
		batch[t.Name] = true
		reg, err := publishedTool(t)
		if err != nil {
			return fmt.Errorf("runtime: tool %q: %w", t.Name, err)
		}
		regs[i] = reg
	}
	for i, reg := range regs {
		t := tools[i] // a copy, so the caller cannot change a tool once it is served
		if err := s.addTool(reg, &t); err != nil {
			for _, added := range regs[:i] {
				s.mcp.RemoveTools(added.Name)
				delete(s.tools, added.Name)
			}
			return fmt.Errorf("runtime: tool %q: %w", t.Name, err)
		}
		s.tools[t.Name] = &t
	}
	return nil
}

// publishedTool checks t and builds the tool description the SDK publishes.
// It checks what the SDK would otherwise panic on, so a bad tool is an error.
func publishedTool(t *Tool) (*mcp.Tool, error) {
	if !toolName.MatchString(t.Name) {
		return nil, errors.New("name must be 1 to 128 characters of [A-Za-z0-9_.-]")
	}
	if t.Call == nil {
		return nil, errors.New("the Call function is nil")
	}
	var in struct {
		Type any `json:"type"`
	}
	if err := json.Unmarshal(t.InputSchema, &in); err != nil {
		return nil, fmt.Errorf("input schema must be a JSON object: %v", err)
	}
	if in.Type != "object" {
		return nil, fmt.Errorf(`input schema must have "type": "object", got %v`, in.Type)
	}
	reg := &mcp.Tool{
		Name:        t.Name,
		Title:       t.Title,
		Description: t.Description,
		InputSchema: t.InputSchema,
	}
	// Only a present schema is set: a nil json.RawMessage in the interface
	// field would be published as "outputSchema": null.
	if len(t.OutputSchema) > 0 {
		if !json.Valid(t.OutputSchema) {
			return nil, errors.New("output schema is not valid JSON")
		}
		reg.OutputSchema = t.OutputSchema
	}
	if len(t.Annotations) > 0 {
		reg.Annotations = new(mcp.ToolAnnotations)
		if err := json.Unmarshal(t.Annotations, reg.Annotations); err != nil {
			return nil, fmt.Errorf("annotations must be an MCP ToolAnnotations object: %v", err)
		}
	}
	if len(t.Icons) > 0 {
		if err := json.Unmarshal(t.Icons, &reg.Icons); err != nil {
			return nil, fmt.Errorf("icons must be a JSON array of MCP Icon objects: %v", err)
		}
	}
	if len(t.Meta) > 0 {
		if err := json.Unmarshal(t.Meta, &reg.Meta); err != nil || reg.Meta == nil {
			return nil, fmt.Errorf("_meta must be a JSON object")
		}
	}
	if len(t.Execution) > 0 {
		var exec map[string]json.RawMessage
		if err := json.Unmarshal(t.Execution, &exec); err != nil || exec == nil {
			return nil, fmt.Errorf("execution must be a JSON object")
		}
	}
	return reg, nil
}

// addTool registers one tool, turning a panic of the SDK over a case
// publishedTool does not foresee into an error.
func (s *Server) addTool(reg *mcp.Tool, t *Tool) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%v", v)
		}
	}()
	s.mcp.AddTool(reg, s.toolHandler(t))
	return nil
}

// toolHandler is the raw SDK handler of t. It never returns a Go error, which
// the SDK would send as a protocol error: every failure of the call itself is
// an error result carrying the error body.
func (s *Server) toolHandler(t *Tool) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		start := time.Now()
		ctx, c := callContext(ctx, req, s.state)
		args := []byte(req.Params.Arguments)
		if len(args) == 0 || string(args) == "null" {
			// The spec allows absent arguments for a tool without required
			// parameters; Call always gets an object.
			args = []byte("{}")
		}
		out, err := s.call(ctx, t, args)
		info := CallInfo{
			Tool:          t,
			CorrelationID: c.correlationID,
			ArgsBytes:     len(req.Params.Arguments),
		}
		if err == nil {
			err = checkResult(t, out)
		}
		var res *mcp.CallToolResult
		if err == nil {
			info.OutputBytes = len(out.Structured)
			r := &c.result // allocated with the call
			res = &r.res
			if out.Structured != nil {
				res.StructuredContent = json.RawMessage(out.Structured)
				r.text.Text = string(out.Structured)
				r.content[0] = &r.text
				res.Content = r.content[:1:1]
			}
			res.Content = append(res.Content, out.Content...)
			c.mu.Lock()
			res.Content = append(res.Content, c.content...)
			c.mu.Unlock()
			if res.Content == nil {
				res.Content = []mcp.Content{} // the spec requires the member
			}
		} else {
			info.Err = s.toolError(ctx, t, err)
			body := errorBody(info.Err, c.correlationID)
			res = &mcp.CallToolResult{
				IsError: true,
				Content: []mcp.Content{&mcp.TextContent{Text: string(body)}},
			}
			// A tool with an outputSchema carries the error body as text
			// only: clients such as the TypeScript SDK check any
			// structuredContent against the outputSchema, error or not, and
			// would turn the error into a schema failure of their own.
			if len(t.OutputSchema) == 0 {
				res.StructuredContent = json.RawMessage(body)
			}
		}
		info.Duration = time.Since(start)
		s.observe(ctx, info)
		return res, nil
	}
}

// errorBody is the JSON error body of a failed call, carrying the call's
// correlation ID so that a caller can quote it to the operator.
func errorBody(e *mcperr.Error, correlationID string) []byte {
	body := e.Body(time.Now())
	body.CorrelationID = correlationID
	b, err := json.Marshal(body)
	if err != nil { // only reachable through an unencodable Details value
		return mcperr.Errorf(mcperr.CodeInternal, "internal error").MarshalBody(time.Now())
	}
	return b
}

// checkResult refuses a result the client could not read: structured output
// that is not a JSON object, none from a tool with an outputSchema (which
// promises it), or a nil content block.
func checkResult(t *Tool, out Result) error {
	switch {
	case len(t.OutputSchema) > 0 && out.Structured == nil:
		return errors.New("the tool declares an outputSchema but returned no structured output")
	case out.Structured != nil && !isJSONObject(out.Structured):
		return errors.New("the tool returned structured output that is not a JSON object")
	}
	for _, c := range out.Content {
		if c == nil {
			return errors.New("the tool returned a nil content block")
		}
	}
	return nil
}

func isJSONObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

// callContext returns the context a tool call of req runs in, and the call
// it carries: what a handler reads through the context (the call, its
// request and correlation ID, and the client's ID).
func callContext(ctx context.Context, req *mcp.CallToolRequest, state store.State) (context.Context, *call) {
	cc := &callCtx{Context: ctx}
	c := &cc.call
	c.req, c.state = req, state
	c.correlationID = cc.newCorrelationID()
	ctx = cc
	if req.Extra != nil && req.Extra.Header != nil {
		// An HTTP call: the header set by clientIDBridge is the only source,
		// since the session's context holds the values of whichever request
		// opened the session.
		id := req.Extra.Header.Get(clientIDHeader)
		if id == "" {
			id = ClientAnonymous
		}
		ctx = auth.WithTokenInfo(ctx, req.Extra.TokenInfo) // the request's access token (oauth mode), for the scope gate
		if ClientID(ctx) == id {
			// Usually so: the session is the client's own (sessionGuard),
			// and its context holds the values of the request that opened
			// it. The same value need not be added again.
			return ctx, c
		}
		return principal.WithClientID(ctx, id), c
	}
	if ClientID(ctx) == "" {
		return principal.WithClientID(ctx, ClientStdio), c
	}
	return ctx, c
}

// callCtx is the context of a tool call: its parent with the call as the
// value of callKey, and the call, in one allocation.
type callCtx struct {
	context.Context
	call call
	id   [26]byte // the correlation ID's bytes
}

func (cc *callCtx) Value(key any) any {
	if _, ok := key.(callKey); ok {
		return &cc.call
	}
	return cc.Context.Value(key)
}

// newCorrelationID returns a random ID as crypto/rand.Text makes one (26
// characters of the base32 alphabet, 130 bits), held in cc itself.
func (cc *callCtx) newCorrelationID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	rand.Read(cc.id[:])
	for i := range cc.id {
		cc.id[i] = alphabet[cc.id[i]%32]
	}
	return unsafe.String(&cc.id[0], len(cc.id)) // cc.id is never written again
}

// call runs the checks and the tool, in the order of the request path.
func (s *Server) call(ctx context.Context, t *Tool, args []byte) (out Result, err error) {
	limit := t.Policy.MaxArgsBytes
	if limit <= 0 {
		limit = DefaultMaxArgsBytes
	}
	if len(args) > limit {
		return Result{}, &mcperr.Error{
			Code:    mcperr.CodePayloadTooLarge,
			Message: fmt.Sprintf("arguments are %d bytes, more than the %d this tool accepts", len(args), limit),
			Details: map[string]any{"limit_bytes": limit},
		}
	}
	// One recovery for the gates and the tool; what says which panicked.
	what := "tool gate"
	defer func() {
		if v := recover(); v != nil {
			s.logPanic(ctx, t, what, v)
			out, err = Result{}, errPanic
		}
	}()
	for _, gate := range s.gates {
		if err := gate(ctx, t); err != nil {
			return Result{}, err
		}
	}
	what = "tool"
	if t.Policy.Timeout <= 0 {
		return t.Call(ctx, args)
	}
	return s.callWithDeadline(ctx, t, args)
}

// callWithDeadline runs Call on its own goroutine, so the client gets MCP-004
// when the deadline passes even if Call ignores its context (such a Call
// keeps running until it returns; its result is dropped).
func (s *Server) callWithDeadline(ctx context.Context, t *Tool, args []byte) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, t.Policy.Timeout)
	defer cancel()
	type outcome struct {
		out Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		out, err := s.recovered(ctx, t, "tool", func() (Result, error) { return t.Call(ctx, args) })
		done <- outcome{out, err}
	}()
	var o outcome
	select {
	case o = <-done:
	case <-ctx.Done():
		select {
		case o = <-done: // finished at the same moment: keep its result
		default:
			o.err = ctx.Err()
		}
	}
	var e *mcperr.Error
	if o.err != nil && !errors.As(o.err, &e) && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return Result{}, &mcperr.Error{
			Code:    mcperr.CodeTimeout,
			Message: fmt.Sprintf("the tool did not finish within %s", t.Policy.Timeout),
			Details: map[string]any{"timeout": t.Policy.Timeout.String()},
		}
	}
	return o.out, o.err
}

// recovered runs f, turning a panic into MCP-999 and logging it with its
// stack; the panic's text stays in the log, never in the result.
func (s *Server) recovered(ctx context.Context, t *Tool, what string, f func() (Result, error)) (out Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			s.logPanic(ctx, t, what, v)
			out, err = Result{}, errPanic
		}
	}()
	return f()
}

// logPanic logs a recovered panic of what with its stack.
func (s *Server) logPanic(ctx context.Context, t *Tool, what string, v any) {
	s.logger.ErrorContext(ctx, what+" panicked",
		"tool", t.Name, "correlation_id", CorrelationID(ctx),
		"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
}

var errPanic = errors.New("panic") // a recovered panic, already logged

// toolError maps a failed call's error to what the client is sent, logging
// the errors whose text the client does not see.
func (s *Server) toolError(ctx context.Context, t *Tool, err error) *mcperr.Error {
	e := mcperr.AsError(err)
	if e.Code == mcperr.CodeInternal && err != errPanic && !errors.As(err, new(*mcperr.Error)) {
		level := slog.LevelError
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			level = slog.LevelInfo // the client cancelled or the session closed
		}
		s.logger.Log(ctx, level, "tool call failed", "tool", t.Name, "correlation_id", CorrelationID(ctx), "error", err.Error())
	}
	return e
}

// observe tells every observer about a call; an observer's panic is logged
// and does not reach the call.
func (s *Server) observe(ctx context.Context, info CallInfo) {
	for _, o := range s.observers {
		s.recovered(ctx, info.Tool, "observer", func() (Result, error) { o(ctx, info); return Result{}, nil })
	}
}
