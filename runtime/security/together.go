package security

import (
	"net/http"
	"time"

	"github.com/go-faster/jx"

	"github.com/mcpgen/mcpgen/runtime/internal/precheck"
	"github.com/mcpgen/mcpgen/runtime/internal/reqbody"
	"github.com/mcpgen/mcpgen/runtime/security/auth"
	"github.com/mcpgen/mcpgen/runtime/security/idempotency"
	"github.com/mcpgen/mcpgen/runtime/security/internal/idemkey"
	"github.com/mcpgen/mcpgen/runtime/security/ratelimit"
	"github.com/mcpgen/mcpgen/runtime/store"
)

// checkTogether is the layer, right behind authentication, that asks a
// store that decides the checks together (store.Checker, such as Redis)
// once for everything the layers behind it would each ask it: the client
// rate limit, the nonce of a signed request, for a tools/call of a tool
// with a limit the tool's limit, and the claim of a signed request's
// idempotency record. So a signed tools/call costs one round trip to a
// shared store for its checks instead of four (and one more to store its
// response). The layers behind still decide and answer as they always do;
// they find the store's answers in the request (precheck).
//
// A request the client limit refuses, or a replay, counts no tool call
// and claims no record, as one after another. The tool limit and the
// claim are left to their layers when the scope check (oauth mode with
// x-scopes) lies between, which may refuse the request first; the claim
// too when the signature check gave no fingerprint (bearer and none
// mode). A call refused after this layer by the envelope or session
// checks (a malformed message, an unknown session) has counted against
// its tool's limit, where on the memory stores it would not have.
func (s *Stack) checkTogether(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = precheck.Strip(r) // no client sets the tool limit's answer
		live := s.live.Load()
		req := store.CheckRequest{Client: s.clientKey(r)}
		if live.client != nil {
			req.ClientLimit = &store.Limit{Key: req.Client, Limit: live.clientRule.Limit, Window: live.clientRule.Window}
		}
		if s.noncesTogether {
			if client, nonce, ok := auth.PendingNonce(r.Context()); ok && client == req.Client {
				req.Nonce, req.NonceTTL = nonce, auth.NonceTTL
			}
		}
		if r.Method == http.MethodPost && live.anyToolLimit && !s.scopeLayer() {
			var body []byte
			var err error
			body, r, err = reqbody.Read(r)
			if err == nil { // else the layers behind answer the failure
				if l, ok := s.toolLimitOf(live, req.Client, toolCalled(body)); ok {
					req.ToolLimit = &l
				}
			}
		}
		if c, ok := s.claimOf(r, req.Client); ok {
			req.Claim = &c
		}
		if req.ClientLimit == nil && req.Nonce == "" && req.ToolLimit == nil && req.Claim == nil {
			next.ServeHTTP(w, r)
			return
		}
		res, err := s.checker.Check(r.Context(), req)
		if err == nil && res.Tool != nil {
			r = precheck.WithToolAnswer(r, *req.ToolLimit, *res.Tool)
		}
		next.ServeHTTP(w, r.WithContext(precheck.With(r.Context(), req, res, err)))
	})
}

// scopeLayer reports whether HTTP checks the scopes of tools/call (oauth
// mode with x-scopes), between checkTogether and the idempotency layer.
func (s *Stack) scopeLayer() bool { return s.metadata != nil && len(s.toolScopes) > 0 }

// claimOf returns the idempotency claim the idempotency layer will make
// for r, when checkTogether may make it in its stead: a POST with one
// valid Idempotency-Key, whose fingerprint the signature check gave, on a
// request path without a scope check.
func (s *Stack) claimOf(r *http.Request, client string) (store.Claim, bool) {
	if !s.claimsTogether || r.Method != http.MethodPost || s.scopeLayer() {
		return store.Claim{}, false
	}
	keys := r.Header.Values(idempotency.HeaderKey)
	if len(keys) != 1 || !idemkey.Valid(keys[0]) {
		return store.Claim{}, false
	}
	fp, ok := idemkey.Fingerprint(r.Context())
	if !ok {
		return store.Claim{}, false
	}
	return store.Claim{Key: store.RecordKey{Client: client, Key: keys[0]}, Fingerprint: fp, Lease: idempotency.DefaultLease}, true
}

// toolLimitOf returns the limit ToolLimit counts a call of tool by
// clientID against, as the store key and rule it asks the Limiter for:
// the tool's MCP_TOOL_RATE_LIMITS entry, or else its x-rate-limit calls a
// minute; false when the tool has no limit (or is no registered tool).
func (s *Stack) toolLimitOf(live *liveConfig, clientID, tool string) (store.Limit, bool) {
	if rule, ok := live.tools[tool]; ok {
		if rule.Limit < 0 {
			return store.Limit{}, false
		}
		return store.Limit{Key: ratelimit.ToolKey(clientID, tool, rule.Window), Limit: rule.Limit, Window: rule.Window}, true
	}
	perMinute := s.tools[tool]
	if perMinute <= 0 {
		return store.Limit{}, false
	}
	return store.Limit{Key: ratelimit.ToolKey(clientID, tool, time.Minute), Limit: perMinute, Window: time.Minute}, true
}

// toolCalled returns the name of the tool a JSON-RPC message calls, or ""
// when body is no single tools/call with a name. It is a hint, not a
// parse: the envelope check behind decides what the message is, and a
// call whose tool limit was not decided here is decided at the call.
func toolCalled(body []byte) string {
	d := jx.GetDecoder()
	defer jx.PutDecoder(d)
	d.ResetBytes(body)
	if d.Next() != jx.Object {
		return ""
	}
	name, err := toolCall(d)
	if err != nil {
		return ""
	}
	return name
}

// toolCalls returns the tool names of the tools/call requests in a
// JSON-RPC body (one message or a batch), in order; nothing for a body
// that is not JSON-RPC. Members are matched exactly, as the server's
// envelope check requires them.
func toolCalls(body []byte) []string {
	d := jx.GetDecoder()
	defer jx.PutDecoder(d)
	d.ResetBytes(body)
	var names []string
	add := func(d *jx.Decoder) error {
		if d.Next() != jx.Object {
			return d.Skip()
		}
		name, err := toolCall(d)
		if name != "" {
			names = append(names, name)
		}
		return err
	}
	var err error
	switch d.Next() {
	case jx.Object:
		err = add(d)
	case jx.Array:
		err = d.Arr(add)
	default:
		return nil
	}
	if err != nil {
		return nil
	}
	return names
}

// toolCall reads the JSON-RPC message at d, an object, and returns the
// name of the tool it calls: "" when it is no tools/call with a string
// name.
func toolCall(d *jx.Decoder) (string, error) {
	var method, name string
	err := d.ObjBytes(func(d *jx.Decoder, key []byte) error {
		var err error
		switch {
		case string(key) == "method" && d.Next() == jx.String:
			method, err = d.Str()
		case string(key) == "params" && d.Next() == jx.Object:
			err = d.ObjBytes(func(d *jx.Decoder, key []byte) error {
				if string(key) == "name" && d.Next() == jx.String {
					var err error
					name, err = d.Str()
					return err
				}
				return d.Skip()
			})
		default:
			err = d.Skip()
		}
		return err
	})
	if err != nil || method != "tools/call" {
		return "", err
	}
	return name, nil
}
