package redisstore

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/store"
)

// Setting is the environment variable that names the Redis URL; errors of
// New name it, so an operator knows what to fix.
const Setting = "MCP_REDIS_URL"

// Defaults of Options.
const (
	DefaultPrefix       = "mcpgen:"
	DefaultTimeout      = time.Second
	DefaultStartTimeout = 2 * time.Second
	// DefaultMaxNoncesPerClient is memstore's default share of one client:
	// 55 signed requests a second sustained over a 600 s nonce TTL.
	DefaultMaxNoncesPerClient = 32768
	// DefaultMaxRecordsPerClient and DefaultMaxRecordBytesPerClient are
	// memstore's default shares of one client.
	DefaultMaxRecordsPerClient     = 12500
	DefaultMaxRecordBytesPerClient = 8 << 20
	// DefaultMaxStateValueBytes and DefaultMaxStateBytes are memstore's
	// State defaults: 64 KiB per value, 16 MiB in all.
	DefaultMaxStateValueBytes = 64 << 10
	DefaultMaxStateBytes      = 16 << 20
)

// StateEntryOverhead is the bytes State charges each value on top of its
// key and value, as memstore.State does.
const StateEntryOverhead = 64

// Options configures New. The zero value is the defaults.
type Options struct {
	// Prefix starts every key ("mcpgen:" when empty), so several servers
	// or tests can share one Redis. It must not hold '{' or '}'.
	Prefix string
	// Timeout bounds every call: dialing, writing, reading and waiting for
	// a pooled connection (DefaultTimeout when zero). A call that takes
	// longer fails with ErrUnavailable.
	Timeout time.Duration
	// StartTimeout bounds New's first contact with Redis
	// (DefaultStartTimeout when zero).
	StartTimeout time.Duration
	// MaxNoncesPerClient caps the unexpired nonces of one client
	// (DefaultMaxNoncesPerClient when zero); at the cap Remember returns a
	// *store.NonceQuotaError.
	MaxNoncesPerClient int
	// MaxRecordsPerClient and MaxRecordBytesPerClient cap one client's
	// idempotency records, as memstore's per-client caps do: a client at
	// its cap makes room by dropping its own oldest completed records;
	// when all of them are in flight, Begin returns store.ErrFull. A
	// response larger than MaxRecordBytesPerClient is kept as Dropped.
	MaxRecordsPerClient     int
	MaxRecordBytesPerClient int
	// MaxStateValueBytes and MaxStateBytes are State's quotas: one value,
	// and the keys, values and StateEntryOverhead of all values together.
	MaxStateValueBytes int
	MaxStateBytes      int
	// Principal returns the principal (the client) a rate-limit key
	// belongs to, whose hash tag its Redis key carries (DefaultPrincipal
	// when nil). Check needs a request's keys to be its client's.
	Principal func(limiterKey string) string
	// TLSConfig, when set, is used for rediss:// URLs (to trust a private
	// CA, or present a client certificate). ServerName defaults to the
	// URL's host.
	TLSConfig *tls.Config
	// PoolSize is the number of connections per Redis node (go-redis's
	// default, ten per CPU, when zero).
	PoolSize int
}

// DefaultPrincipal is the principal of a rate-limit key as the runtime
// names them: a key of the form "namespace\x00principal\x00rest" (a tool
// limit, ratelimit.ToolKey) belongs to its second part; any other key (a
// client ID, "ip:203.0.113.7") is its own principal.
func DefaultPrincipal(key string) string {
	if _, rest, ok := strings.Cut(key, "\x00"); ok {
		if principal, _, ok := strings.Cut(rest, "\x00"); ok {
			return principal
		}
	}
	return key
}

// ErrUnavailable is wrapped by the errors of calls that Redis did not
// answer in time, or answered with a failure of its own (down, loading,
// a cluster without a master for the slot).
var ErrUnavailable = errors.New("redisstore: Redis unavailable")

// Store is a Redis-backed store.Limiter, store.Nonces, store.Checker,
// store.Idempotency, store.State and store.Pinger. It is safe for
// concurrent use; Close releases its connections.
type Store struct {
	client    redis.UniversalClient
	prefix    string
	timeout   time.Duration
	principal func(string) string

	maxNonces      int
	maxRecords     int
	maxRecordBytes int
	maxValueBytes  int
	maxStateBytes  int
}

// The Store implements every store interface.
var (
	_ store.Limiter     = (*Store)(nil)
	_ store.Nonces      = (*Store)(nil)
	_ store.Idempotency = (*Store)(nil)
	_ store.State       = (*Store)(nil)
	_ store.Pinger      = (*Store)(nil)
	_ store.Checker     = (*Store)(nil)
)

// New connects to the Redis that rawURL names (see the package
// documentation for the forms), checks within opts.StartTimeout that it
// answers (every master, for a Cluster) and loads the scripts. Its errors
// name MCP_REDIS_URL and show the URL without its password.
func New(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	s := &Store{
		prefix: opts.Prefix, timeout: opts.Timeout, principal: opts.Principal,
		maxNonces: opts.MaxNoncesPerClient, maxRecords: opts.MaxRecordsPerClient,
		maxRecordBytes: opts.MaxRecordBytesPerClient,
		maxValueBytes:  opts.MaxStateValueBytes, maxStateBytes: opts.MaxStateBytes,
	}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if strings.ContainsAny(s.prefix, "{}") {
		return nil, fmt.Errorf("redisstore: the key prefix %q holds '{' or '}', which would break the hash tags", s.prefix)
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	startTimeout := opts.StartTimeout
	if startTimeout <= 0 {
		startTimeout = DefaultStartTimeout
	}
	if s.principal == nil {
		s.principal = DefaultPrincipal
	}
	setDefault(&s.maxNonces, DefaultMaxNoncesPerClient)
	setDefault(&s.maxRecords, DefaultMaxRecordsPerClient)
	setDefault(&s.maxRecordBytes, DefaultMaxRecordBytesPerClient)
	setDefault(&s.maxValueBytes, DefaultMaxStateValueBytes)
	setDefault(&s.maxStateBytes, DefaultMaxStateBytes)

	shown := redactURL(rawURL)
	client, _, err := newClient(rawURL, opts, s.timeout)
	if err != nil {
		return nil, fmt.Errorf("redisstore: %s=%s: %w", Setting, shown, err)
	}
	s.client = client

	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	if err := s.loadScripts(ctx); err != nil {
		_ = client.Close()
		return nil, &startError{
			msg:   fmt.Sprintf("redisstore: cannot reach Redis at %s=%s within %s", Setting, shown, startTimeout),
			cause: scrub(err, rawURL),
		}
	}
	return s, nil
}

func setDefault(v *int, def int) {
	if *v <= 0 {
		*v = def
	}
}

// newClient makes the go-redis client rawURL names, with every timeout set
// to timeout and no retries of a command that may have run.
func newClient(rawURL string, opts Options, timeout time.Duration) (redis.UniversalClient, bool, error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, false, errors.New("not a URL: want redis://, rediss://, unix://, redis+cluster:// or rediss+cluster://")
	}
	switch scheme {
	case "redis", "rediss", "unix":
		o, err := redis.ParseURL(rawURL)
		if err != nil {
			return nil, false, parseError(err, rawURL)
		}
		if o.TLSConfig != nil && opts.TLSConfig != nil {
			o.TLSConfig = tlsConfig(opts.TLSConfig, o.TLSConfig.ServerName)
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = timeout, timeout, timeout, timeout
		o.ContextTimeoutEnabled = true
		o.MaxRetries = -1 // a script whose reply was lost may have run: never run it twice
		o.DialerRetries = 1
		o.DisableIdentity = true
		o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
		if opts.PoolSize > 0 {
			o.PoolSize = opts.PoolSize
		}
		return redis.NewClient(o), false, nil
	case "redis+cluster", "rediss+cluster":
		// redis+cluster://u:p@h1:1,h2:2/?q becomes go-redis's
		// redis://u:p@h1:1?q&addr=h2:2.
		authority, tail := rest, ""
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			authority, tail = rest[:i], rest[i:]
		}
		userinfo, hosts := "", authority
		if i := strings.LastIndex(authority, "@"); i >= 0 {
			userinfo, hosts = authority[:i+1], authority[i+1:]
		}
		addrs := strings.Split(hosts, ",")
		for _, a := range addrs {
			if a == "" {
				return nil, false, errors.New("a cluster URL lists host:port pairs separated by commas, one is empty")
			}
		}
		path, query, _ := strings.Cut(tail, "?")
		if path != "" && path != "/" {
			return nil, false, errors.New("a cluster URL has no database path (Redis Cluster has only database 0)")
		}
		q, err := url.ParseQuery(query)
		if err != nil {
			return nil, false, errors.New("the URL's query is malformed")
		}
		for _, a := range addrs[1:] {
			q.Add("addr", a)
		}
		base := strings.TrimSuffix(scheme, "+cluster") + "://" + userinfo + addrs[0]
		if len(q) > 0 {
			base += "?" + q.Encode()
		}
		o, err := redis.ParseClusterURL(base)
		if err != nil {
			return nil, false, parseError(err, base)
		}
		if o.TLSConfig != nil {
			o.TLSConfig = tlsConfig(opts.TLSConfig, o.TLSConfig.ServerName)
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = timeout, timeout, timeout, timeout
		o.ContextTimeoutEnabled = true
		o.MaxRetries = -1
		o.DialerRetries = 1
		o.DisableIdentity = true
		o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
		if opts.PoolSize > 0 {
			o.PoolSize = opts.PoolSize
		}
		return redis.NewClusterClient(o), true, nil
	}
	return nil, false, fmt.Errorf("unknown scheme %q: want redis, rediss, unix, redis+cluster or rediss+cluster", scheme)
}

// tlsConfig returns a copy of c (a TLS 1.2 minimum when nil) with
// ServerName set when c has none.
func tlsConfig(c *tls.Config, serverName string) *tls.Config {
	if c == nil {
		return &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12}
	}
	c = c.Clone()
	if c.ServerName == "" {
		c.ServerName = serverName
	}
	return c
}

// parseError words a URL the parser refused, without repeating the URL:
// url.Parse's errors quote it whole, password included.
func parseError(err error, rawURL string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return errors.New("malformed URL: " + scrub(err, rawURL).Error())
}

// scrub returns err, or an error with its text less the URL's password
// (as written and unescaped), should the text ever hold it.
func scrub(err error, rawURL string) error {
	text := err.Error()
	for _, pw := range passwords(rawURL) {
		text = strings.ReplaceAll(text, pw, "xxxxx")
	}
	if text == err.Error() {
		return err
	}
	return errors.New(text)
}

// passwords returns the password of rawURL's userinfo as written and
// unescaped, or nothing.
func passwords(rawURL string) []string {
	_, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil
	}
	// Everything up to the last '@' is the userinfo, even where a
	// password holds an unescaped '/', '?' or '#'.
	i := strings.LastIndex(rest, "@")
	if i < 0 {
		return nil
	}
	_, pw, ok := strings.Cut(rest[:i], ":")
	if !ok || pw == "" {
		return nil
	}
	out := []string{pw}
	if u, err := url.PathUnescape(pw); err == nil && u != pw && u != "" {
		out = append(out, u)
	}
	return out
}

// redactURL returns rawURL for messages: its password replaced by
// "xxxxx" and its query dropped.
func redactURL(rawURL string) string {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return "(not a URL)"
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		user, _, hasPassword := strings.Cut(rest[:i], ":")
		if hasPassword {
			user += ":xxxxx"
		}
		rest = user + "@" + rest[i+1:]
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	return scheme + "://" + rest
}

// Close closes the connections to Redis.
func (s *Store) Close() error { return s.client.Close() }

// Ping implements store.Pinger: nil when Redis answers within the timeout
// (every master, for a Cluster).
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var err error
	if c, ok := s.client.(*redis.ClusterClient); ok {
		err = c.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return c.Ping(ctx).Err() })
	} else {
		err = s.client.Ping(ctx).Err()
	}
	if err != nil {
		return s.failure(ctx, err)
	}
	return nil
}

// loadScripts puts the scripts in every master's cache, which also checks
// that Redis answers.
func (s *Store) loadScripts(ctx context.Context) error {
	load := func(ctx context.Context, c redis.Cmdable) error {
		for _, sc := range allScripts {
			if err := sc.Load(ctx, c).Err(); err != nil {
				return err
			}
		}
		return nil
	}
	if c, ok := s.client.(*redis.ClusterClient); ok {
		return c.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return load(ctx, c) })
	}
	return load(ctx, s.client)
}

// run runs a script with the per-call timeout and returns its reply, an
// array.
func (s *Store) run(ctx context.Context, sc *redis.Script, keys []string, args ...any) ([]any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	v, err := sc.Run(cctx, s.client, keys, args...).Result()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err() // the caller's own deadline or cancellation
		}
		return nil, s.failure(cctx, err)
	}
	reply, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("redisstore: unexpected script reply %T", v)
	}
	return reply, nil
}

// failure wraps an error of Redis or of the connection to it.
func (s *Store) failure(ctx context.Context, err error) error {
	if strings.HasPrefix(err.Error(), "OOM ") {
		// Redis at its maxmemory with a noeviction policy: full, as a
		// memory store at its cap.
		return &unavailableError{cause: err, full: true}
	}
	if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
		return &unavailableError{cause: fmt.Errorf("no answer within %s: %w", s.timeout, err)}
	}
	return &unavailableError{cause: err}
}

// startError is New's failure to reach Redis: ErrUnavailable, wrapping
// its cause.
type startError struct {
	msg   string
	cause error
}

func (e *startError) Error() string   { return e.msg + ": " + e.cause.Error() }
func (e *startError) Unwrap() []error { return []error{ErrUnavailable, e.cause} }

// unavailableError is a call Redis did not serve. It is ErrUnavailable
// (or store.ErrFull, for Redis out of memory), wraps its cause, and reads
// as MCP-003 through mcperr.AsError.
type unavailableError struct {
	cause error
	full  bool
}

func (e *unavailableError) Error() string {
	if e.full {
		return "redisstore: Redis is out of memory: " + e.cause.Error()
	}
	return ErrUnavailable.Error() + ": " + e.cause.Error()
}

func (e *unavailableError) Unwrap() []error {
	first := ErrUnavailable
	if e.full {
		first = store.ErrFull
	}
	return []error{first, e.cause, mcperr.Errorf(mcperr.CodeBackendUnavailable, "the shared store is unavailable; retry shortly")}
}

// SetClientLogger sends the log lines of the Redis client library (a
// failed dial, a connection dropped; one per failure while Redis is down)
// to l at level Warn, instead of the standard logger on stderr; nil drops
// them. It sets go-redis's process-wide logger, so it is for a server's
// main.
func SetClientLogger(l *slog.Logger) {
	redis.SetLogger(clientLogger{l})
}

type clientLogger struct{ l *slog.Logger }

func (c clientLogger) Printf(ctx context.Context, format string, v ...any) {
	if c.l != nil {
		c.l.WarnContext(ctx, "redis client: "+fmt.Sprintf(format, v...))
	}
}
