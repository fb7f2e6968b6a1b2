// Package auth authenticates the HTTP requests of an MCP server: no
// authentication (local development), bearer tokens, HMAC v1 request
// signing with replay protection (docs/hmac-v1.md), or OAuth 2.1 access
// tokens from an authorization server (JWTs checked against its JWKS, or
// token introspection), with per-tool scopes; and it signs requests for Go
// clients (Signer) and for curl (SignRequestHeaders). The modes are a
// closed table: an unknown mode is MCP-011, a new mode is one entry.
//
// Who imports it: runtime/security, which builds the Authenticator from
// security.Config.Auth and puts it on the request path; a client that
// signs its requests (Signer); a server's main only to name a Mode, Key or
// Token. The modes are a closed table (Modes): an unknown mode is MCP-011,
// never a silent fallback.
//
// On the request path it runs after the body cap and the Host and Origin
// checks, and before anything that writes state:
//
//	body cap → Host/Origin → Authenticate → client rate limit
//	  → Replay (nonce) → idempotency → JSON-RPC
//
// The nonce is recorded only after the signature verifies and the rate
// limit admits the request, and each client may hold only a share of the
// nonce store, so no client can fill it for the others.
//
// Authentication passes the client's ID on in the request's context
// (principal.WithClientID): an HMAC key's client or ID, a bearer token's
// client or ID, a keyed hash of an unnamed token, or an OAuth token's
// subject ("oauth/<sub>", with its client ID when that differs). Rate limits,
// idempotency records, nonces and audit events are keyed by it.
//
// Failures are HTTP responses with the runtime's JSON error body: 401 and
// MCP-002 with a WWW-Authenticate challenge for bad credentials, 429 and
// MCP-006 for a client over its nonce quota, 503 and MCP-003 when the
// nonce store is down or full, 413 and MCP-017 for a signed body over the
// cap. Each is passed to Options.OnReject with its security event.
// Secrets are compared in constant time, and no message ever holds a
// secret, a token, a signature or a body.
package auth
