// Package security is the one entry point to a server's security: from a
// Config read from the environment (ConfigFromEnv) it builds a Stack that
// holds everything between a caller and a handler.
//
//	cfg, err := security.ConfigFromEnv(os.Getenv) // AUTH_MODE, AUTH_TOKEN, API_KEY_HMAC_SECRET, MCP_*
//	...
//	stack, err := security.New(cfg, security.Options{SensitiveKeys: sensitive})
//	...
//	defer stack.Close()
//	handler := stack.HTTP(mcpHandler) // behind the body cap and the Host/Origin checks
//
// The Stack puts on the HTTP request path authentication (none, bearer,
// HMAC v1 or OAuth 2.1), the per-client rate limit, the replay check of signed requests
// and idempotency, in that order (HTTP); it applies the per-tool rate
// limits over the same store as the client limit (ToolLimit); it writes
// audit events for tool calls (Record) and a security event, with its
// type, severity, client and tool where known, for every refused request
// (Refused); and it gives the server a logger that redacts secrets and the
// tools' x-sensitive fields (Logger). Ready tells whether the stores it
// uses answer.
//
// Secure by default: an unknown or incomplete configuration is MCP-011 at
// start-up, never a fallback; HTTP without authentication is refused
// beyond loopback unless MCP_ALLOW_UNAUTHENTICATED=true (CheckListenAddr);
// state lives in bounded memory stores (runtime/store/memstore) unless
// Options name shared ones. Options replace any part: the log handler, the
// audit sink, each store, the clock.
//
// Who imports it: runtime/server, which builds the request path around a
// Stack; a server's main only when it wants to replace a part. The packages
// under it (auth, ratelimit, idempotency, audit, redact, secrets, outbound)
// are the parts; each is usable alone, and none imports another except
// through small interfaces.
package security
