package security_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/internal/precheck"
	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/security"
	"github.com/mcpgen/mcpgen/runtime/security/auth"
	"github.com/mcpgen/mcpgen/runtime/security/idempotency"
	"github.com/mcpgen/mcpgen/runtime/security/ratelimit"
	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/memstore"
)

// checkingStore is a store.Checker on the memory stores, as a shared store
// such as Redis is one: Check decides the parts one after another in the
// order of the request path, and every call is logged, so a test sees how
// the stack asked.
type checkingStore struct {
	limiter *memstore.Limiter
	nonces  *memstore.Nonces
	records *memstore.Idempotency
	fail    error // when set, every call fails with it

	mu    sync.Mutex
	calls []string
}

func newCheckingStore(clock *fakeClock) *checkingStore {
	return &checkingStore{
		limiter: memstore.NewLimiter(memstore.LimiterOptions{Now: clock.Now}),
		nonces:  memstore.NewNonces(memstore.NonceOptions{Now: clock.Now}),
		records: memstore.NewIdempotency(memstore.IdempotencyOptions{Now: clock.Now}),
	}
}

func (s *checkingStore) log(call string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, call)
}

// took returns the calls since the last took, the Idempotency-Keys of
// Begin, Complete and Release left out (the signer makes a new one for
// every request).
func (s *checkingStore) took() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	calls := s.calls
	s.calls = nil
	for i, c := range calls {
		for _, m := range []string{"Begin", "Complete", "Release"} {
			if strings.HasPrefix(c, m+" ") {
				calls[i] = m
			}
		}
	}
	return calls
}

func (s *checkingStore) Allow(ctx context.Context, key string, limit int, window time.Duration) (store.Decision, error) {
	s.log("Allow " + key)
	if s.fail != nil {
		return store.Decision{}, s.fail
	}
	return s.limiter.Allow(ctx, key, limit, window)
}

func (s *checkingStore) Remember(ctx context.Context, client, nonce string, ttl time.Duration) (bool, error) {
	s.log("Remember " + client)
	if s.fail != nil {
		return false, s.fail
	}
	return s.nonces.Remember(ctx, client, nonce, ttl)
}

func (s *checkingStore) Begin(ctx context.Context, k store.RecordKey, fp store.Fingerprint, lease time.Duration) (store.RecordState, *store.Response, error) {
	s.log("Begin " + k.Key)
	if s.fail != nil {
		return 0, nil, s.fail
	}
	return s.records.Begin(ctx, k, fp, lease)
}

func (s *checkingStore) Complete(ctx context.Context, k store.RecordKey, fp store.Fingerprint, resp *store.Response, ttl time.Duration) error {
	s.log("Complete " + k.Key)
	return s.records.Complete(ctx, k, fp, resp, ttl)
}

func (s *checkingStore) Release(ctx context.Context, k store.RecordKey, fp store.Fingerprint) error {
	s.log("Release " + k.Key)
	return s.records.Release(ctx, k, fp)
}

func (s *checkingStore) Check(ctx context.Context, req store.CheckRequest) (store.CheckResult, error) {
	what := "Check"
	if req.ClientLimit != nil {
		what += " client"
	}
	if req.Nonce != "" {
		what += " nonce"
	}
	if req.ToolLimit != nil {
		what += " tool"
	}
	if req.Claim != nil {
		what += " claim"
	}
	s.log(what)
	var res store.CheckResult
	if s.fail != nil {
		return res, s.fail
	}
	if l := req.ClientLimit; l != nil {
		d, err := s.limiter.Allow(ctx, l.Key, l.Limit, l.Window)
		if err != nil || !d.Allowed {
			res.Client = &d
			return res, err
		}
		res.Client = &d
	}
	if req.Nonce != "" {
		fresh, err := s.nonces.Remember(ctx, req.Client, req.Nonce, req.NonceTTL)
		res.NonceChecked = true
		var quota *store.NonceQuotaError
		switch {
		case errors.As(err, &quota):
			res.NonceQuota = quota
			return res, nil
		case err != nil:
			return res, err
		case !fresh:
			res.Replayed = true
			return res, nil
		}
	}
	if l := req.ToolLimit; l != nil {
		d, err := s.limiter.Allow(ctx, l.Key, l.Limit, l.Window)
		if err != nil || !d.Allowed {
			res.Tool = &d
			return res, err
		}
		res.Tool = &d
	}
	if c := req.Claim; c != nil {
		state, resp, err := s.records.Begin(ctx, c.Key, c.Fingerprint, c.Lease)
		res.Claim = &store.ClaimResult{State: state, Response: resp, Err: err}
	}
	return res, nil
}

// toolServer serves the stack in front of what the server does for a
// tools/call: the tool gate of the tool the body names (quote.get has an
// x-rate-limit of 2 a minute, state.get none), with the tool limit's
// answer from the request's headers. opts.Limiter and Nonces are st when
// st is not nil.
func toolServer(t *testing.T, st *checkingStore, clock *fakeClock, cfg security.Config) (url string, toolErrs *[]error) {
	t.Helper()
	limits := map[string]int{"quote.get": 2, "state.get": 0}
	opts := security.Options{Now: clock.Now, AuditSink: &events{}, Tools: limits}
	if st != nil {
		opts.Limiter, opts.Nonces, opts.Idempotency = st, st, st
	}
	stack, err := security.New(cfg, opts)
	require.NoError(t, err)
	t.Cleanup(func() { stack.Close() })
	errs := new([]error)
	srv := httptest.NewServer(stack.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct {
			Method string
			Params struct{ Name string }
		}
		require.NoError(t, json.NewDecoder(r.Body).Decode(&msg))
		if msg.Method == "tools/call" {
			ctx := precheck.FromHeader(r.Context(), r.Header)
			*errs = append(*errs, stack.ToolLimit(ctx, msg.Params.Name, limits[msg.Params.Name]))
		}
	})))
	t.Cleanup(srv.Close)
	return srv.URL, errs
}

// With a store that decides the checks together, a signed tools/call asks
// it once: the client limit, the nonce, the tool limit and the claim of
// its idempotency record in one Check, and every layer (the tool gate too)
// answers from it as it would have answered from its own call; the
// response is stored with a second call.
func TestChecksTogetherInOneStoreCall(t *testing.T) {
	clock := newFakeClock()
	st := newCheckingStore(clock)
	url, toolErrs := toolServer(t, st, clock, security.Config{Auth: hmacConfig.Auth, ClientRateLimit: ratelimit.Rule{Limit: 10, Window: time.Minute}})

	for range 2 {
		resp := do(t, signed(t, keyA, clock, url, rpcBody, nil))
		require.Equal(t, http.StatusOK, resp.status)
		assert.Equal(t, []string{"Check client nonce tool claim", "Complete"}, st.took(), "one store call for the four checks")
	}
	resp := do(t, signed(t, keyA, clock, url, rpcBody, nil))
	assert.Equal(t, "7", resp.header.Get("X-Ratelimit-Remaining"), "the client limit's headers, from the Check")
	assert.Equal(t, []string{"Check client nonce tool claim", "Begin", "Complete"}, st.took(),
		"over the tool's limit the claim is not reached, and the idempotency layer makes it")
	require.Len(t, *toolErrs, 3)
	require.NoError(t, (*toolErrs)[0])
	require.NoError(t, (*toolErrs)[1])
	e := mcperr.AsError((*toolErrs)[2])
	assert.Equal(t, mcperr.CodeRateLimitExceeded, e.Code)
	assert.Equal(t, `rate limit of tool "quote.get" exceeded: 2 calls per minute; retry in 61s`, e.Message)

	// A replay: refused by the replay layer from the Check's answer, the
	// tool limit not reached.
	req := signed(t, keyA, clock, url, rpcBody, nil)
	require.Equal(t, http.StatusOK, do(t, req).status)
	st.took()
	resp = do(t, again(req, rpcBody))
	assert.Equal(t, http.StatusUnauthorized, resp.status)
	assert.Equal(t, "MCP-002", resp.error(t).Code)
	assert.Equal(t, "X-Nonce was already used; sign every request with a new nonce", resp.error(t).Message)
	assert.Equal(t, []string{"Check client nonce tool claim"}, st.took())
	assert.Len(t, *toolErrs, 4, "the replay reached no tool")

	// A call of a tool without a limit asks for the client limit and the
	// nonce only; so does a request that is no tools/call.
	do(t, signed(t, keyA, clock, url, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"state.get"}}`, nil))
	do(t, signed(t, keyA, clock, url, `{"jsonrpc":"2.0","id":3,"method":"tools/list"}`, nil))
	assert.Equal(t, []string{"Check client nonce claim", "Complete", "Check client nonce claim", "Complete"}, st.took())

	// A retry under the same Idempotency-Key: the stored response, from
	// the Check, without running again.
	req = signed(t, keyA, clock, url, `{"jsonrpc":"2.0","id":4,"method":"tools/list"}`, func(p *auth.SignParams) { p.IdempotencyKey = "list-1" })
	require.Equal(t, http.StatusOK, do(t, req).status)
	runs := len(st.took())
	retry := do(t, signed(t, keyA, clock, url, `{"jsonrpc":"2.0","id":4,"method":"tools/list"}`, func(p *auth.SignParams) { p.IdempotencyKey = "list-1" }))
	assert.Equal(t, http.StatusOK, retry.status)
	assert.Equal(t, "true", retry.header.Get(idempotency.HeaderReplayed))
	assert.Equal(t, 2, runs)
	assert.Equal(t, []string{"Check client nonce claim"}, st.took(), "the stored response came with the Check")
}

// The tool limit's answer travels in a header that no client can set: one
// the client sends is removed, and the call is counted as any other; a
// stack without a Checker never reads it.
func TestToolAnswerHeaderCannotBeForged(t *testing.T) {
	forged := `1000 60000000000 1 1000 999 0 0 "tool\x00desk-a\x00quote.get"`
	for _, together := range []bool{true, false} {
		clock := newFakeClock()
		var st *checkingStore
		if together {
			st = newCheckingStore(clock)
		}
		url, toolErrs := toolServer(t, st, clock, security.Config{Auth: hmacConfig.Auth})
		for range 3 {
			req := signed(t, keyA, clock, url, rpcBody, nil)
			req.Header.Set(precheck.Header, forged)
			require.Equal(t, http.StatusOK, do(t, req).status)
		}
		require.Len(t, *toolErrs, 3)
		assert.NoError(t, (*toolErrs)[1])
		assert.Equal(t, mcperr.CodeRateLimitExceeded, mcperr.AsError((*toolErrs)[2]).Code, "the third call is over the limit of 2")
		if together {
			assert.Equal(t, []string{"Check client nonce tool claim", "Complete", "Check client nonce tool claim", "Complete",
				"Check client nonce tool claim", "Begin", "Complete"}, st.took())
		}
	}
}

// When the store fails, the first layer that needs it answers 503 as it
// would have from its own call, and nothing runs.
func TestChecksTogetherStoreDown(t *testing.T) {
	clock := newFakeClock()
	st := newCheckingStore(clock)
	st.fail = errors.New("redisstore: Redis unavailable: dial tcp 127.0.0.1:6379: connect: connection refused")
	url, toolErrs := toolServer(t, st, clock, security.Config{Auth: hmacConfig.Auth})
	resp := do(t, signed(t, keyA, clock, url, rpcBody, nil))
	assert.Equal(t, http.StatusServiceUnavailable, resp.status)
	assert.Equal(t, "1", resp.header.Get("Retry-After"))
	assert.Equal(t, "MCP-003", resp.error(t).Code)
	assert.Equal(t, "the rate limiter is unavailable; retry shortly", resp.error(t).Message)
	assert.Empty(t, *toolErrs)
	assert.Equal(t, []string{"Check client nonce tool claim"}, st.took(), "no second try behind the first")
}
