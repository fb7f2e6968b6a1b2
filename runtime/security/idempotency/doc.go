// Package idempotency makes a POST that carries an Idempotency-Key take
// effect at most once: a retry of the same request gets the stored response
// without running the handler again.
//
// Records are keyed by the client and the key, and hold a fingerprint of the
// request: under HMAC v1 the signed request without its timestamp and nonce,
// so a retry signed afresh matches. A request whose key is known:
//
//   - with the same fingerprint, completed: the stored response is replayed
//     (status, the headers that matter, body, JSON or an SSE stream alike),
//     marked with Idempotent-Replayed: true. The fingerprint leaves out the
//     MCP session, so a retry after a reconnect is answered too, without
//     the first attempt's Mcp-Session-Id;
//   - with another fingerprint: refused with 422 and MCP-005, since the key
//     was used for a different request;
//   - with the same fingerprint, still running: refused with 409 and
//     MCP-005 (retry once it completes).
//
// Only 2xx responses are kept. Any other status means the request was
// refused before it took effect (a bad session, a malformed message), so
// the key is released and a corrected retry runs. Nor are MCP tool results
// that report a passing failure (isError with a code in
// Config.RetryableCodes: MCP-003, MCP-004, MCP-006, MCP-999 by default),
// found in the response body, JSON or SSE: the key is released, and a
// retry once the cause has gone runs again.
//
// The fingerprint covers the bytes of the HTTP request, including the
// JSON-RPC id: a retry must resend the same message. A new JSON-RPC request
// under an old key is a different request (422).
//
// Records live in a store.Idempotency (memstore.Idempotency unless the
// server passes another). Who imports this package: runtime/security,
// which puts Middleware on the request path after authentication, the
// client rate limit and the replay check.
package idempotency
