// Package memstore keeps the runtime's state in the server's memory: the
// default implementations of the runtime/store interfaces, for a server
// that runs as one process.
//
// Every store is bounded: a constant amount per rate-limit key, a fixed
// size per nonce, byte and entry caps on idempotency records and shared
// values; idle and expired entries are evicted as new ones arrive; and one
// client may hold only a share of the nonces and idempotency records, so it
// cannot push the others out. Each is safe for concurrent use and takes an
// injectable clock (Now in its options) for tests.
//
// Who imports it: runtime/security, which uses these stores when a server
// names no other; a server's main or tests that want to size them; store
// implementations' tests compare against them through runtime/store/storetest.
package memstore
