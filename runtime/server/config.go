package server

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/security"
)

// Mode is the transport a server runs on.
type Mode string

// The transports Run serves.
const (
	ModeStdio Mode = "stdio" // one client, the parent process, over stdin/stdout
	ModeHTTP  Mode = "http"  // Streamable HTTP on Config.HTTPAddr
)

// Defaults applied by LoadConfig, and by Run and HTTPHandler to a zero field.
const (
	DefaultHTTPAddr        = "127.0.0.1:8080"
	DefaultHTTPPath        = "/mcp"
	DefaultShutdownTimeout = 10 * time.Second

	// DefaultSessionIdleTimeout closes a stateful HTTP session that saw no
	// request for this long.
	DefaultSessionIdleTimeout = 30 * time.Minute
	// DefaultSessionsPerClient is how many stateful HTTP sessions one
	// client may hold open at once.
	DefaultSessionsPerClient = 100
)

// Config is how a server is run: the transport and, for HTTP, where it
// listens and which Host and Origin headers it accepts. The zero Config runs
// on stdio, and over HTTP accepts only loopback host names.
type Config struct {
	Mode     Mode   // MCP_SERVER_MODE
	HTTPAddr string // MCP_HTTP_ADDR: the listen address, host:port
	HTTPPath string // MCP_HTTP_PATH: the path the MCP endpoint is served on

	// AllowedHosts (MCP_ALLOWED_HOSTS) lists the Host header values HTTP
	// requests may carry, which is what defeats DNS rebinding: a name
	// ("localhost") accepts any port, "name:port" only that port, and "*"
	// any Host. LoadConfig sets the loopback names localhost, 127.0.0.1 and
	// ::1 for a loopback HTTPAddr; empty means those too.
	AllowedHosts []string

	// AllowedOrigins (MCP_ALLOWED_ORIGINS) lists the Origin header values
	// accepted from browsers, such as "https://app.example.com"; "*" accepts
	// any. Requests without an Origin header (non-browser clients) are never
	// refused for it. Empty means the http and https origins of the allowed
	// hosts, other than "*".
	AllowedOrigins []string

	// ShutdownTimeout (MCP_SHUTDOWN_TIMEOUT) bounds how long Run waits for
	// in-flight calls once its context is cancelled.
	ShutdownTimeout time.Duration

	// Stateless (MCP_HTTP_STATELESS) serves Streamable HTTP without
	// sessions: every request stands alone, so any replica behind a plain
	// load balancer can answer it. The server can then send the client
	// nothing outside the response to the client's own request: no
	// sampling, elicitation or roots requests, and no notifications on the
	// standalone GET stream (GET and DELETE get 405).
	Stateless bool
	// SessionIdleTimeout (MCP_SESSION_IDLE_TIMEOUT) closes a stateful
	// session that saw no request for this long.
	SessionIdleTimeout time.Duration
	// SessionsPerClient (MCP_SESSIONS_PER_CLIENT) caps the stateful
	// sessions one client holds; one more initialize gets 429 and MCP-006.
	SessionsPerClient int

	// HTTPBodyTimeout (MCP_HTTP_BODY_TIMEOUT) bounds how long a request
	// body may take to arrive, counted from the start of the request; a
	// slower one is cut (408). Default DefaultHTTPBodyTimeout.
	HTTPBodyTimeout time.Duration

	// RedisURL (MCP_REDIS_URL) names the Redis that holds the server's
	// state when several replicas serve one set of clients: rate-limit
	// windows, nonces, idempotency records and the tools' shared state
	// (redis://, rediss:// with TLS, or a Cluster; see
	// runtime/store/redisstore). Empty keeps everything in memory. It may
	// hold a password, so it is read from the environment only and never
	// printed.
	RedisURL string

	// Security is the authentication mode, its credentials, the client rate
	// limit and the audit log (AUTH_MODE, AUTH_TOKEN, API_KEY_HMAC_SECRET,
	// MCP_CLIENT_RATE_LIMIT, MCP_AUDIT_LOG, ...; see security.EnvUsage).
	// The zero value authenticates nothing, which Run allows over HTTP only
	// on loopback.
	Security security.Config
}

// configVar is one environment variable LoadConfig reads, with the flag that
// ConfigFlags registers to override it.
type configVar struct {
	env, flag, usage string
}

var configVars = []configVar{
	{"MCP_SERVER_MODE", "mode", `transport: "stdio" or "http" (default "stdio")`},
	{"MCP_HTTP_ADDR", "http-addr", "listen address in http mode (default " + DefaultHTTPAddr + ")"},
	{"MCP_HTTP_PATH", "http-path", "path of the MCP endpoint in http mode (default " + DefaultHTTPPath + ")"},
	{"MCP_ALLOWED_HOSTS", "allowed-hosts", "comma-separated Host header values accepted in http mode, or * (default: loopback names when listening on loopback)"},
	{"MCP_ALLOWED_ORIGINS", "allowed-origins", "comma-separated browser origins accepted in http mode, or * (default: the allowed hosts' origins)"},
	{"MCP_SHUTDOWN_TIMEOUT", "shutdown-timeout", "how long shutdown waits for in-flight calls, as a Go duration (default " + DefaultShutdownTimeout.String() + ")"},
	{"MCP_HTTP_STATELESS", "http-stateless", `"true" serves HTTP without sessions, for several replicas behind a load balancer (default "false")`},
	{"MCP_SESSION_IDLE_TIMEOUT", "session-idle-timeout", "how long an idle stateful HTTP session is kept, as a Go duration (default " + DefaultSessionIdleTimeout.String() + ")"},
	{"MCP_SESSIONS_PER_CLIENT", "sessions-per-client", "how many stateful HTTP sessions one client may hold (default " + strconv.Itoa(DefaultSessionsPerClient) + ")"},
	{"MCP_HTTP_BODY_TIMEOUT", "http-body-timeout", "how long a request body may take to arrive in http mode, as a Go duration (default " + DefaultHTTPBodyTimeout.String() + ")"},
}

// loopbackHosts are the names that reach a loopback listener without DNS,
// the only Host values a browser cannot be made to send there by rebinding.
var loopbackHosts = []string{"localhost", "127.0.0.1", "::1"}

// LoadConfig reads the configuration from the environment through getenv
// (os.Getenv, or the function ConfigFlags returns), the security settings
// included, and checks it. Every problem is reported in one *mcperr.Error
// with code MCP-011 that names the variable and says what is allowed, and
// never a secret.
//
// HTTP mode on a non-loopback address requires MCP_ALLOWED_HOSTS, because
// no safe default exists there: the server cannot know its public names.
func LoadConfig(getenv func(string) string) (Config, error) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }

	cfg := Config{
		Mode:            ModeStdio,
		HTTPAddr:        DefaultHTTPAddr,
		HTTPPath:        DefaultHTTPPath,
		ShutdownTimeout: DefaultShutdownTimeout,

		SessionIdleTimeout: DefaultSessionIdleTimeout,
		SessionsPerClient:  DefaultSessionsPerClient,
		HTTPBodyTimeout:    DefaultHTTPBodyTimeout,
	}
	switch v := strings.ToLower(get("MCP_SERVER_MODE")); v {
	case "":
	case string(ModeStdio), string(ModeHTTP):
		cfg.Mode = Mode(v)
	default:
		bad(`MCP_SERVER_MODE must be "stdio" or "http", got %q`, v)
	}
	if v := get("MCP_HTTP_ADDR"); v != "" {
		if err := checkListenAddr(v); err != nil {
			bad("MCP_HTTP_ADDR must be host:port with a port 0..65535 (like %s), got %q", DefaultHTTPAddr, v)
		} else {
			cfg.HTTPAddr = v
		}
	}
	if v := get("MCP_HTTP_PATH"); v != "" {
		if !strings.HasPrefix(v, "/") || strings.ContainsAny(v, "?# \t") {
			bad("MCP_HTTP_PATH must be a path starting with / (like %s), without query or spaces, got %q", DefaultHTTPPath, v)
		} else if v == LivenessPath || v == ReadinessPath {
			bad("MCP_HTTP_PATH must not be %s or %s, the health endpoints, got %q", LivenessPath, ReadinessPath, v)
		} else {
			cfg.HTTPPath = v
		}
	}
	for _, h := range splitList(get("MCP_ALLOWED_HOSTS")) {
		if _, _, ok := parseHostEntry(h); !ok || (h != "*" && strings.Contains(h, "*")) {
			bad(`MCP_ALLOWED_HOSTS entries must be a host name, host:port or *, got %q`, h)
			continue
		}
		cfg.AllowedHosts = append(cfg.AllowedHosts, h)
	}
	for _, o := range splitList(get("MCP_ALLOWED_ORIGINS")) {
		if o != "*" && !validOrigin(o) {
			bad(`MCP_ALLOWED_ORIGINS entries must be an origin like https://app.example.com or *, got %q`, o)
			continue
		}
		cfg.AllowedOrigins = append(cfg.AllowedOrigins, o)
	}
	if v := get("MCP_SHUTDOWN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			bad(`MCP_SHUTDOWN_TIMEOUT must be a positive Go duration like "10s", got %q`, v)
		} else {
			cfg.ShutdownTimeout = d
		}
	}
	switch v := strings.ToLower(get("MCP_HTTP_STATELESS")); v {
	case "", "false":
	case "true":
		cfg.Stateless = true
	default:
		bad(`MCP_HTTP_STATELESS must be "true" or "false", got %q`, v)
	}
	if v := get("MCP_SESSION_IDLE_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			bad(`MCP_SESSION_IDLE_TIMEOUT must be a positive Go duration like "30m", got %q`, v)
		} else {
			cfg.SessionIdleTimeout = d
		}
	}
	if v := get("MCP_SESSIONS_PER_CLIENT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			bad(`MCP_SESSIONS_PER_CLIENT must be an integer 1..10000, got %q`, v)
		} else {
			cfg.SessionsPerClient = n
		}
	}
	if v := get("MCP_HTTP_BODY_TIMEOUT"); v != "" {
		if d, err := time.ParseDuration(v); err != nil || d <= 0 {
			bad(`MCP_HTTP_BODY_TIMEOUT must be a positive Go duration like "30s", got %q`, v)
		} else {
			cfg.HTTPBodyTimeout = d
		}
	}
	if get("MCP_ALLOWED_HOSTS") == "" {
		switch {
		case isLoopbackListen(cfg.HTTPAddr):
			cfg.AllowedHosts = slices.Clone(loopbackHosts)
		case cfg.Mode == ModeHTTP:
			bad("MCP_ALLOWED_HOSTS must be set when MCP_HTTP_ADDR (%s) is not a loopback address: list the host names clients connect to, or * to accept any Host", cfg.HTTPAddr)
		}
	}
	cfg.RedisURL = get("MCP_REDIS_URL")
	sec, err := security.ConfigFromEnv(getenv)
	if err != nil {
		problems = append(problems, mcperr.AsError(err).Message)
	}
	cfg.Security = sec
	if len(problems) > 0 {
		return Config{}, &mcperr.Error{Code: mcperr.CodeMissingConfiguration, Message: strings.Join(problems, "; ")}
	}
	return cfg, nil
}

// ConfigFlags registers on fs one flag per variable LoadConfig reads
// (-mode, -http-addr, -http-path, -allowed-hosts, -allowed-origins,
// -shutdown-timeout) and returns a getenv for LoadConfig in which a flag set
// on the command line overrides its variable. Call LoadConfig after
// fs.Parse.
func ConfigFlags(fs *flag.FlagSet, getenv func(string) string) func(string) string {
	values := make(map[string]*string, len(configVars))
	byFlag := make(map[string]string, len(configVars))
	for _, v := range configVars {
		values[v.env] = fs.String(v.flag, "", v.usage+"; overrides $"+v.env)
		byFlag[v.flag] = v.env
	}
	return func(name string) string {
		set := false
		fs.Visit(func(f *flag.Flag) {
			if byFlag[f.Name] == name {
				set = true
			}
		})
		if set {
			return *values[name]
		}
		return getenv(name)
	}
}

// withDefaults fills the zero fields of c, so a Config built by hand works.
func (c Config) withDefaults() Config {
	if c.Mode == "" {
		c.Mode = ModeStdio
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = DefaultHTTPAddr
	}
	if c.HTTPPath == "" {
		c.HTTPPath = DefaultHTTPPath
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.SessionIdleTimeout <= 0 {
		c.SessionIdleTimeout = DefaultSessionIdleTimeout
	}
	if c.SessionsPerClient <= 0 {
		c.SessionsPerClient = DefaultSessionsPerClient
	}
	if c.HTTPBodyTimeout <= 0 {
		c.HTTPBodyTimeout = DefaultHTTPBodyTimeout
	}
	return c
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func checkListenAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("bad port %q", port)
	}
	return nil
}

// isLoopbackListen reports whether a listener on addr is reachable only from
// this machine. An empty host listens on every interface.
func isLoopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parseHostEntry splits an allowed-host entry or a Host header into a
// lower-case host name (IPv6 without brackets, no trailing dot) and a port,
// "" when absent.
func parseHostEntry(s string) (host, port string, ok bool) {
	if s == "" || strings.ContainsAny(s, "/@?# \t") {
		return "", "", false
	}
	// Without a colon there is no port, and SplitHostPort would only make
	// an error to say so.
	if h, p, err := splitHostPort(s); err == nil {
		if _, err := strconv.Atoi(p); err != nil {
			return "", "", false
		}
		host, port = h, p
	} else {
		host = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	return host, port, host != ""
}

var errNoPort = errors.New("no port")

func splitHostPort(s string) (host, port string, err error) {
	if !strings.Contains(s, ":") {
		return "", "", errNoPort
	}
	return net.SplitHostPort(s)
}

// validOrigin reports whether s is a serialized origin: http or https, a
// host, an optional port and nothing else.
func validOrigin(s string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false
	}
	return u.User == nil && u.Path == "" && u.RawQuery == "" && u.Fragment == "" && !strings.HasSuffix(s, "?")
}
