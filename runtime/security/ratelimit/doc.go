// Package ratelimit limits how many requests a client makes: the
// per-client limit of the HTTP request path (Middleware) and the per-tool
// limits of tool calls (AllowTool), both counted by a store.Limiter, whose
// documentation states the window semantics (a sliding window estimated
// from two fixed ones, constant state per key).
//
// Who imports it: runtime/security, which builds both limits over one
// shared store.Limiter (memstore.Limiter unless a server passes another),
// so a client's HTTP requests and its tool calls are counted in one place.
// A server's main only names Rule, in security.Config.ClientRateLimit.
//
// A refused request is 429 and MCP-006 with Retry-After over HTTP, and a
// tool error MCP-006 whose details say when to retry for a tool call. A
// store that fails refuses with MCP-003 rather than let requests through
// unlimited.
package ratelimit
