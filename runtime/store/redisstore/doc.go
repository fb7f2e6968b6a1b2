// Package redisstore keeps the runtime's state in Redis, so that several
// replicas of one server share their rate-limit windows, nonces,
// idempotency records and shared values: a networked implementation of
// the runtime/store interfaces, selected by MCP_REDIS_URL.
//
// One *Store, made by New from a URL, implements store.Limiter,
// store.Nonces, store.Idempotency, store.State and store.Pinger, and hands
// the same value to every layer. The URL is one of
//
//	redis://[user:password@]host:port[/db][?options]      one server
//	rediss://[user:password@]host:port[/db][?options]     one server over TLS
//	unix://[user:password@]/path/to/redis.sock[?db=N&options]    one server on a Unix socket
//	redis+cluster://[user:password@]host:port,host:port,...[?options]   Redis Cluster
//	rediss+cluster://[user:password@]host:port,host:port,...[?options]  Redis Cluster over TLS
//
// where options are go-redis's URL options (dial_timeout, pool_size, ...).
// A Cluster URL names some of the nodes (seeds); the others are found from
// them.
//
// # Guarantees
//
// Every decision (admit or refuse a request, a fresh or replayed nonce, a
// claim of an idempotency key, a compare-and-set of a shared value) is one
// Lua script run atomically by Redis, on Redis's clock (TIME inside the
// script), never a replica's: replicas whose clocks disagree still agree on
// every decision. The semantics are those of runtime/store and of the
// memory stores (runtime/store/memstore), and runtime/store/storetest
// checks both alike.
//
// Check (store.Checker) decides a request's client limit, its nonce and
// its tool limit and claims its idempotency record in one script, so one
// round trip: with the stored response, a signed tool call costs two.
//
// # Keys
//
// Every key starts with Options.Prefix ("mcpgen:" by default). A client's
// keys carry a Redis Cluster hash tag made of its escaped principal,
// "{desk-a}", so that one client's keys share one slot (and a script can
// touch several of them); parts of keys are escaped (%, {, }, : and control
// bytes as %XX), so no two principals or keys ever share a name:
//
//	<prefix>p{<principal>}:rl:<limiter key>   a rate-limit window (hash)
//	<prefix>p{<client>}:n                     a client's nonces (sorted set of 128-bit hashes by expiry)
//	<prefix>p{<client>}:i, :if, :id           a client's idempotency records (hash; in-flight and completed, by expiry)
//	<prefix>s{state}:d, :x, :m                the shared values (hash), their expiries, the version counter and bytes used
//
// Every key of a client has a TTL, renewed while it is in use and lapsing
// once everything it holds has expired. The shared values are the
// exception that store.State asks for: a value written without a TTL is
// kept until it is overwritten, so its keys have none. The shared values
// live in one slot, since their versions and quota are store-wide.
//
// # Outages
//
// Every call waits at most Options.Timeout (1 s) for Redis and fails with
// an error wrapping ErrUnavailable when it does not answer; the security
// layers refuse the request with MCP-003 (503 and Retry-After), and the
// error also reads as MCP-003 through mcperr.AsError. Nothing is let
// through unchecked. Calls succeed again as soon as Redis answers: the
// client reconnects by itself. New fails within Options.StartTimeout (2 s)
// when Redis cannot be reached, with a message that names MCP_REDIS_URL
// and never its password.
//
// Who imports it: a server's main (or the runtime's server entry point)
// when MCP_REDIS_URL is set; nothing else depends on it.
package redisstore
