package auth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/store"

	"github.com/mcpgen/mcpgen/runtime/security/ratelimit"
)

// Mode is how HTTP requests are authenticated.
type Mode string

// The authentication modes (AUTH_MODE).
const (
	ModeNone   Mode = "none"   // no authentication: local development only
	ModeBearer Mode = "bearer" // Authorization: Bearer <token>
	ModeHMAC   Mode = "hmac"   // every request signed with HMAC v1 (docs/hmac-v1.md)
)

// MinSecretBytes is the shortest HMAC secret or bearer token accepted: 256
// bits of entropy when generated as advised (openssl rand -hex 32).
const MinSecretBytes = 32

// DefaultKeyID is the ID of the key that API_KEY_HMAC_SECRET holds.
const DefaultKeyID = "default"

// Key is an HMAC signing key.
type Key struct {
	// ID names the key in X-Key-Id: 1 to 64 characters of A-Z a-z 0-9 _ . -.
	ID string `json:"id"`
	// Client is the client ID of requests signed with the key; the key's
	// ID when empty. Give the old and the new key of a rotation the same
	// Client, so the client keeps its rate-limit count and idempotency
	// records across the switch.
	Client string `json:"client,omitempty"`
	// Secret is the HMAC key: the bytes of the string as given, at least
	// MinSecretBytes long.
	Secret string `json:"secret"`
}

// Token is a bearer token.
type Token struct {
	// ID names the token, and is the client ID of its requests unless
	// Client is set. Without either, the client ID is a keyed hash of the
	// token, which differs between processes: give tokens IDs when several
	// replicas share rate-limit and idempotency state.
	ID     string `json:"id,omitempty"`
	Client string `json:"client,omitempty"`
	// Token is the secret, at least MinSecretBytes characters of the
	// RFC 6750 token alphabet (A-Z a-z 0-9 - . _ ~ + / and trailing =).
	Token string `json:"token"`
}

// String returns the key without its secret, so that printing a Key or a
// Config never leaks it.
func (k Key) String() string {
	return fmt.Sprintf("{ID:%s Client:%s Secret:[REDACTED]}", k.ID, k.Client)
}

// GoString is String, for %#v.
func (k Key) GoString() string { return "auth.Key" + k.String() }

// LogValue logs the key without its secret.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", k.ID), slog.String("client", k.Client))
}

// String returns the token's names without the token.
func (t Token) String() string {
	return fmt.Sprintf("{ID:%s Client:%s Token:[REDACTED]}", t.ID, t.Client)
}

// GoString is String, for %#v.
func (t Token) GoString() string { return "auth.Token" + t.String() }

// LogValue logs the token's names without the token.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", t.ID), slog.String("client", t.Client))
}

// DefaultAPIVersions are the X-API-Version values accepted when Config
// lists none.
var DefaultAPIVersions = []string{"1.0.0"}

// Config configures New and Middleware.
type Config struct {
	Mode   Mode
	Tokens []Token // bearer mode: every token accepted, several during a rotation
	Keys   []Key   // hmac mode: every key accepted, several during a rotation

	// APIVersions lists the X-API-Version values accepted in hmac mode
	// (DefaultAPIVersions when empty).
	APIVersions []string
	// Nonces remembers the nonces of verified requests (a fresh
	// memstore.Nonces when nil; share one store between replicas).
	Nonces store.Nonces
	// Now is the clock the timestamp window is checked against (time.Now
	// when nil).
	Now func() time.Time
	// MaxBodyBytes caps the body read to verify a signature
	// (DefaultMaxSignedBodyBytes, 2 MiB, when zero); a larger body is
	// refused with 413 and MCP-017 before the signature is checked. It also
	// caps the body the idempotency layer reads to fingerprint a request
	// in modes none and bearer (server.MaxBodyBytes when zero).
	MaxBodyBytes int64
	// OnReject, when set, is told about every refused request, for
	// security events. The error never holds a secret, token, signature or
	// body. event is the security event the refusal is:
	//
	//   - "auth_failure": missing, malformed or wrong credentials, an
	//     unknown key, an unsupported X-API-Version (401);
	//   - "stale_timestamp": an X-Timestamp outside the ±300 s window (401);
	//   - "replay": a nonce already used (401);
	//   - "rate_limit": a client at its quota of nonces (429);
	//   - "payload_too_large": a signed body over MaxBodyBytes (413);
	//   - "": no security event, when the nonce store failed (503) or the
	//     body could not be read (400).
	OnReject func(r *http.Request, status int, err *mcperr.Error, event string)

	// The layers Middleware adds after authentication.

	// RateLimit is the per-client limit (ratelimit.DefaultRule when zero;
	// a negative Limit turns it off).
	RateLimit ratelimit.Rule
	// RateLimiter counts requests (a fresh memstore.Limiter when nil).
	RateLimiter store.Limiter
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed when a request has no client ID (mode none).
	TrustedProxies []netip.Prefix
	// Idempotency keeps idempotency records (a fresh
	// memstore.Idempotency when nil).
	Idempotency store.Idempotency
	// IdempotencyTTL is how long records are kept
	// (idempotency.DefaultTTL when zero).
	IdempotencyTTL time.Duration
}

// configEnv lists the variables ConfigFromEnv reads, for help texts.
var configEnv = []struct{ name, usage string }{
	{"AUTH_MODE", `"none", "bearer" or "hmac" (default: from the credentials set, else none)`},
	{"AUTH_TOKEN", "the bearer token (bearer mode)"},
	{"MCP_AUTH_TOKENS_FILE", `JSON file {"tokens":[{"id":..,"token":..}]} of bearer tokens, for rotation`},
	{"API_KEY_HMAC_SECRET", `the HMAC secret, key ID "default" (hmac mode)`},
	{"MCP_HMAC_KEYS_FILE", `JSON file {"keys":[{"id":..,"secret":..}]} of HMAC keys, for rotation`},
	{"MCP_CLIENT_RATE_LIMIT", `per-client limit as "N/duration" like "1000/1m", or "off" (default 1000/1m)`},
	{"MCP_TRUSTED_PROXIES", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed"},
}

// EnvUsage returns one line per environment variable ConfigFromEnv reads,
// "NAME: what it holds", for a server's -h output.
func EnvUsage() []string {
	out := make([]string, len(configEnv))
	for i, v := range configEnv {
		out[i] = v.name + ": " + v.usage
	}
	return out
}

// ConfigFromEnv reads the authentication settings from the environment
// through getenv (os.Getenv, or a function that lets flags override it). It
// never falls back silently: a mode without its credentials, credentials
// for a mode not chosen, a short secret or a malformed file are all
// reported, at once, in one *mcperr.Error with code MCP-011. Messages name
// variables and files, never their secret contents.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }

	token, tokensFile := get("AUTH_TOKEN"), get("MCP_AUTH_TOKENS_FILE")
	secret, keysFile := get("API_KEY_HMAC_SECRET"), get("MCP_HMAC_KEYS_FILE")
	bearerSet, hmacSet := token != "" || tokensFile != "", secret != "" || keysFile != ""

	var cfg Config
	switch v := Mode(strings.ToLower(get("AUTH_MODE"))); v {
	case "":
		switch {
		case bearerSet && hmacSet:
			bad("AUTH_MODE is not set, and both bearer (AUTH_TOKEN, MCP_AUTH_TOKENS_FILE) and HMAC (API_KEY_HMAC_SECRET, MCP_HMAC_KEYS_FILE) credentials are: set AUTH_MODE")
		case bearerSet:
			cfg.Mode = ModeBearer
		case hmacSet:
			cfg.Mode = ModeHMAC
		default:
			cfg.Mode = ModeNone
		}
	default:
		if _, ok := lookup(v); !ok {
			bad("AUTH_MODE must be %s, got %q", modeList(), v)
			break
		}
		cfg.Mode = v
	}
	unused := func(names ...string) {
		for _, n := range names {
			if get(n) != "" {
				bad("%s is set but AUTH_MODE is %s: remove it, or set AUTH_MODE to the mode it belongs to", n, cfg.Mode)
			}
		}
	}
	switch cfg.Mode {
	case ModeNone:
		unused("AUTH_TOKEN", "MCP_AUTH_TOKENS_FILE", "API_KEY_HMAC_SECRET", "MCP_HMAC_KEYS_FILE")
	case ModeBearer:
		unused("API_KEY_HMAC_SECRET", "MCP_HMAC_KEYS_FILE")
		switch {
		case token != "" && tokensFile != "":
			bad("set one of AUTH_TOKEN and MCP_AUTH_TOKENS_FILE, not both")
		case token != "":
			cfg.Tokens = []Token{{Token: token}}
			if p := tokenProblem(token); p != "" {
				bad("AUTH_TOKEN %s", p)
			}
		case tokensFile != "":
			var file struct {
				Tokens []Token `json:"tokens"`
			}
			if p := readJSONFile(tokensFile, &file); p != "" {
				bad("MCP_AUTH_TOKENS_FILE %s: %s", tokensFile, p)
				break
			}
			cfg.Tokens = file.Tokens
			for _, p := range checkTokens(cfg.Tokens) {
				bad("MCP_AUTH_TOKENS_FILE %s: %s", tokensFile, p)
			}
		default:
			bad("AUTH_MODE is bearer but no token is set: set AUTH_TOKEN (generate one with: openssl rand -hex 32) or MCP_AUTH_TOKENS_FILE")
		}
	case ModeHMAC:
		unused("AUTH_TOKEN", "MCP_AUTH_TOKENS_FILE")
		switch {
		case secret != "" && keysFile != "":
			bad("set one of API_KEY_HMAC_SECRET and MCP_HMAC_KEYS_FILE, not both")
		case secret != "":
			cfg.Keys = []Key{{ID: DefaultKeyID, Secret: secret}}
			if p := secretProblem(secret); p != "" {
				bad("API_KEY_HMAC_SECRET %s", p)
			}
		case keysFile != "":
			var file struct {
				Keys []Key `json:"keys"`
			}
			if p := readJSONFile(keysFile, &file); p != "" {
				bad("MCP_HMAC_KEYS_FILE %s: %s", keysFile, p)
				break
			}
			cfg.Keys = file.Keys
			for _, p := range checkKeys(cfg.Keys) {
				bad("MCP_HMAC_KEYS_FILE %s: %s", keysFile, p)
			}
		default:
			bad("AUTH_MODE is hmac but no key is set: set API_KEY_HMAC_SECRET (generate one with: openssl rand -hex 32) or MCP_HMAC_KEYS_FILE")
		}
	}

	switch v := get("MCP_CLIENT_RATE_LIMIT"); v {
	case "":
	case "off":
		cfg.RateLimit = ratelimit.Rule{Limit: -1}
	default:
		n, d, ok := strings.Cut(v, "/")
		limit, err1 := strconv.Atoi(n)
		window, err2 := time.ParseDuration(d)
		if !ok || err1 != nil || err2 != nil || limit <= 0 || window <= 0 {
			bad(`MCP_CLIENT_RATE_LIMIT must be "N/duration" with positive N and duration, like "1000/1m", or "off", got %q`, v)
		}
		cfg.RateLimit = ratelimit.Rule{Limit: limit, Window: window}
	}
	if v := get("MCP_TRUSTED_PROXIES"); v != "" {
		p, err := ratelimit.ParsePrefixes(v)
		if err != nil {
			bad("MCP_TRUSTED_PROXIES must be comma-separated CIDR prefixes or addresses like 10.0.0.0/8, got %q", v)
		}
		cfg.TrustedProxies = p
	}
	if len(problems) > 0 {
		return Config{}, &mcperr.Error{Code: mcperr.CodeMissingConfiguration, Message: strings.Join(problems, "; ")}
	}
	return cfg, nil
}

// readJSONFile decodes a credentials file strictly, and returns a problem
// or "". Decoder errors name positions and types, never the file's text.
func readJSONFile(path string, v any) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "cannot be read: " + strings.TrimPrefix(err.Error(), "open "+path+": ")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return "is not valid: " + err.Error()
	}
	if dec.More() {
		return "is not valid: data after the JSON object"
	}
	return ""
}

// idGrammar says what key IDs, token IDs and client IDs are.
const idGrammar = "1 to 64 characters of A-Z a-z 0-9 _ . -"

// validID reports whether s matches idGrammar. Client IDs are rate-limit
// keys and log fields, so they must not hold ':' (which marks an address
// key) or anything a log would need to escape.
func validID(s string) bool {
	return len(s) >= 1 && len(s) <= 64 && allBytes(s, func(c byte) bool { return isAlnum(c) || c == '_' || c == '.' || c == '-' })
}

// validToken reports whether s is an RFC 6750 b64token.
func validToken(s string) bool {
	body := strings.TrimRight(s, "=")
	return body != "" && allBytes(body, func(c byte) bool { return isAlnum(c) || strings.IndexByte("-._~+/", c) >= 0 })
}

// secretProblem says what is wrong with an HMAC secret, or "".
func secretProblem(secret string) string {
	if len(secret) < MinSecretBytes {
		return fmt.Sprintf("must be at least %d bytes, got %d (generate one with: openssl rand -hex 32)", MinSecretBytes, len(secret))
	}
	return ""
}

// tokenProblem says what is wrong with a bearer token, or "".
func tokenProblem(token string) string {
	switch {
	case len(token) < MinSecretBytes:
		return fmt.Sprintf("must be at least %d characters, got %d (generate one with: openssl rand -hex 32)", MinSecretBytes, len(token))
	case !validToken(token):
		return "must be characters of A-Z a-z 0-9 - . _ ~ + / with optional trailing ="
	}
	return ""
}

func checkKeys(keys []Key) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if len(keys) == 0 {
		bad("no keys")
	}
	seen := make(map[string]bool)
	for i, k := range keys {
		switch {
		case !validID(k.ID):
			bad("keys[%d] id must be %s, got %q", i, idGrammar, k.ID)
		case seen[k.ID]:
			bad("keys[%d] id %q is used twice", i, k.ID)
		}
		seen[k.ID] = true
		if k.Client != "" && !validID(k.Client) {
			bad("keys[%d] client must be %s, got %q", i, idGrammar, k.Client)
		}
		if p := secretProblem(k.Secret); p != "" {
			bad("keys[%d] secret %s", i, p)
		}
	}
	return problems
}

func checkTokens(tokens []Token) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if len(tokens) == 0 {
		bad("no tokens")
	}
	ids, secrets := make(map[string]bool), make(map[string]bool)
	for i, t := range tokens {
		if t.ID != "" {
			switch {
			case !validID(t.ID):
				bad("tokens[%d] id must be %s, got %q", i, idGrammar, t.ID)
			case ids[t.ID]:
				bad("tokens[%d] id %q is used twice", i, t.ID)
			}
			ids[t.ID] = true
		}
		if t.Client != "" && !validID(t.Client) {
			bad("tokens[%d] client must be %s, got %q", i, idGrammar, t.Client)
		}
		switch p := tokenProblem(t.Token); {
		case p != "":
			bad("tokens[%d] token %s", i, p)
		case secrets[t.Token]:
			bad("tokens[%d] token is listed twice", i)
		}
		secrets[t.Token] = true
	}
	return problems
}

// check returns the problems of a Config that New would refuse.
func (c Config) check() []string {
	sc, ok := lookup(c.Mode)
	if !ok {
		return []string{fmt.Sprintf("mode must be %s, got %q", modeList(), c.Mode)}
	}
	var problems []string
	if sc.check != nil {
		problems = sc.check(&c)
	}
	if c.RateLimit.Limit >= 0 && c.RateLimit != (ratelimit.Rule{}) {
		if err := c.RateLimit.Validate(); err != nil {
			problems = append(problems, fmt.Sprintf("rate limit must have a positive limit and window, got %d per %s", c.RateLimit.Limit, c.RateLimit.Window))
		}
	}
	return problems
}

func checkBearer(c *Config) []string { return checkTokens(c.Tokens) }

func checkHMAC(c *Config) []string {
	problems := checkKeys(c.Keys)
	for _, v := range c.APIVersions {
		if !validVersion(v) {
			problems = append(problems, fmt.Sprintf("API version must be %s, got %q", versionGrammar, v))
		}
	}
	return problems
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}
