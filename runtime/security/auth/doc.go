// Package auth authenticates the HTTP requests of an MCP server: no
// authentication (local development), bearer tokens, or HMAC v1 request
// signing with replay protection (docs/hmac-v1.md), and it signs requests
// for Go clients (Signer) and for curl (SignRequestHeaders).
//
// On the request path it runs after the body cap and the Host and Origin
// checks, and before anything that writes state:
//
//	body cap → Host/Origin → authentication → client rate limit
//	  → replay check (nonce) → idempotency → JSON-RPC
//
// The nonce is recorded only after the signature verifies and the rate
// limit admits the request, and each client may hold only a share of the
// nonce store (MemoryNonceOptions.MaxPerClient), so no client can fill it
// for the others.
//
// Middleware assembles the part from authentication to idempotency, with
// the ratelimit and idempotency packages:
//
//	cfg, err := auth.ConfigFromEnv(os.Getenv)
//	...
//	mw, err := auth.Middleware(cfg)
//	...
//	srv := server.New(impl, server.WithHTTPMiddleware(mw))
//
// Authentication passes the client's ID on in the request's context
// (principal.WithClientID): an HMAC key's client or ID, a bearer token's
// client or ID, or a keyed hash of an unnamed token. Rate limits,
// idempotency records, nonces and audit events are keyed by it.
//
// Failures are HTTP responses with the runtime's JSON error body: 401 and
// MCP-002 with a WWW-Authenticate challenge for bad credentials, 429 and
// MCP-006 for a client over its rate limit or its nonce quota, 503 and
// MCP-003 when a store is down or full, 413 and MCP-017 for a body over
// the cap.
// No message ever holds a secret, a token, a signature or a body.
package auth
