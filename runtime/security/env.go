package security

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/mcpgen/mcpgen/runtime/security/auth"
	"github.com/mcpgen/mcpgen/runtime/security/ratelimit"
	"github.com/mcpgen/mcpgen/runtime/security/secrets"
)

// encryptedPrefix marks the variable that holds a secret as a Fernet token
// (docs/secrets.md): ENCRYPTED_AUTH_TOKEN for AUTH_TOKEN.
const encryptedPrefix = "ENCRYPTED_"

// env lists the variables ConfigFromEnv reads, for EnvUsage.
var env = []struct{ name, usage string }{
	{"AUTH_MODE", `"none", "bearer", "hmac" or "oauth" (default: from the credentials set, else none)`},
	{"AUTH_TOKEN", "the bearer token (bearer mode); at least 32 characters (mcpgen token makes one)"},
	{"ENCRYPTED_AUTH_TOKEN", "AUTH_TOKEN as a Fernet token, decrypted with MCP_ENCRYPTION_KEY or MCP_ENCRYPTION_KEY_FILE"},
	{"MCP_AUTH_TOKENS_FILE", `JSON file {"tokens":[{"id":..,"token":..}]} of bearer tokens, for rotation`},
	{"API_KEY_HMAC_SECRET", `the HMAC secret, key ID "default" (hmac mode); at least 32 bytes`},
	{"ENCRYPTED_API_KEY_HMAC_SECRET", "API_KEY_HMAC_SECRET as a Fernet token, decrypted with MCP_ENCRYPTION_KEY or MCP_ENCRYPTION_KEY_FILE"},
	{"MCP_HMAC_KEYS_FILE", `JSON file {"keys":[{"id":..,"secret":..}]} of HMAC keys, for rotation`},
	{"MCP_API_VERSIONS", `comma-separated X-API-Version values accepted in hmac mode (default "1.0.0")`},
	{"OAUTH_ISSUER", "the authorization server's issuer identifier (oauth mode): tokens' iss, and the metadata's authorization server"},
	{"OAUTH_AUDIENCE", "this server's resource URI, the MCP endpoint's URL such as https://mcp.example.com/mcp (oauth mode): tokens' aud must hold it"},
	{"OAUTH_JWKS_URL", "the authorization server's JWKS, for JWT access tokens (RFC 9068); or OAUTH_INTROSPECTION_URL"},
	{"OAUTH_ALGORITHMS", "comma-separated JWS algorithms accepted (default every asymmetric one: RS256,RS384,RS512,PS256,PS384,PS512,ES256,ES384,ES512,EdDSA)"},
	{"OAUTH_JWT_TYPES", `comma-separated typ header values accepted (default "at+jwt"; add "JWT" for servers that do not follow RFC 9068)`},
	{"OAUTH_INTROSPECTION_URL", "the authorization server's token introspection endpoint (RFC 7662), for opaque tokens"},
	{"OAUTH_CLIENT_ID", "this server's client ID at the introspection endpoint"},
	{"OAUTH_CLIENT_SECRET", "this server's client secret at the introspection endpoint"},
	{"ENCRYPTED_OAUTH_CLIENT_SECRET", "OAUTH_CLIENT_SECRET as a Fernet token, decrypted with MCP_ENCRYPTION_KEY or MCP_ENCRYPTION_KEY_FILE"},
	{"OAUTH_FILTER_TOOLS_LIST", `"true" makes tools/list show only the tools whose x-scopes the token holds`},
	{secrets.EnvEncryptionKey, "the Fernet key of the ENCRYPTED_ variables"},
	{secrets.EnvEncryptionKeyFile, "a file (mode 0600) holding the Fernet key of the ENCRYPTED_ variables"},
	{"MCP_CLIENT_RATE_LIMIT", `per-client limit as "N/duration" like "1000/1m", or "off" (default 1000/1m); reloadable from MCP_SETTINGS_FILE`},
	{"MCP_TOOL_RATE_LIMITS", `comma-separated per-tool limits overriding x-rate-limit, "tool=N/duration" or "tool=off", like "risk.position_limits_check=100/1m"; reloadable from MCP_SETTINGS_FILE`},
	{"MCP_ALLOWLIST_FILES", `comma-separated "name=path" binding allowlists (x-allowlists) to files of values, one a line; reloadable`},
	{"MCP_SETTINGS_FILE", "file of NAME=value lines (MCP_CLIENT_RATE_LIMIT, MCP_TOOL_RATE_LIMITS, MCP_ALLOWLIST_FILES) overriding the environment, read at start and on every reload"},
	{"MCP_WATCH_INTERVAL", `how often the reloadable files (settings, tokens, keys, allowlists) are checked for changes, a Go duration of at least 100ms like "5s", or "off" (default off: reload on SIGHUP only)`},
	{"MCP_TRUSTED_PROXIES", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed"},
	{"MCP_AUDIT_LOG", "file audit and security events are appended to, created with mode 0600 (default: standard error)"},
	{"MCP_ALLOW_UNAUTHENTICATED", `"true" lets HTTP without authentication listen beyond loopback, behind a gateway that authenticates`},
}

// EnvUsage returns one line per environment variable ConfigFromEnv reads,
// "NAME: what it holds", for a server's -h output.
func EnvUsage() []string {
	out := make([]string, len(env))
	for i, v := range env {
		out[i] = v.name + ": " + v.usage
	}
	return out
}

// modeEnv says, for each authentication mode, the variables that hold its
// credentials (which also choose the mode when AUTH_MODE is unset), those
// that hold its other settings, and how they make its auth.Config. A mode
// of auth.Modes without an entry here cannot be configured from the
// environment.
var modeEnv = map[auth.Mode]struct {
	credentials, settings []string
	read                  func(e *envReader, cfg *auth.Config)
}{
	auth.ModeNone: {},
	auth.ModeBearer: {
		credentials: []string{"AUTH_TOKEN", "ENCRYPTED_AUTH_TOKEN", "MCP_AUTH_TOKENS_FILE"},
		read:        readBearer,
	},
	auth.ModeHMAC: {
		credentials: []string{"API_KEY_HMAC_SECRET", "ENCRYPTED_API_KEY_HMAC_SECRET", "MCP_HMAC_KEYS_FILE"},
		settings:    []string{"MCP_API_VERSIONS"},
		read:        readHMAC,
	},
	auth.ModeOAuth: {
		credentials: []string{"OAUTH_ISSUER", "OAUTH_JWKS_URL", "OAUTH_INTROSPECTION_URL"},
		settings: []string{"OAUTH_AUDIENCE", "OAUTH_ALGORITHMS", "OAUTH_JWT_TYPES", "OAUTH_CLIENT_ID",
			"OAUTH_CLIENT_SECRET", encryptedPrefix + "OAUTH_CLIENT_SECRET", "OAUTH_FILTER_TOOLS_LIST"},
		read: readOAuth,
	},
}

// envReader reads variables and collects what is wrong with them.
type envReader struct {
	getenv   func(string) string
	problems []string

	tokensFile, keysFile string // the credentials files read, for reloads
}

func (e *envReader) bad(format string, args ...any) {
	p := fmt.Sprintf(format, args...)
	if !slices.Contains(e.problems, p) { // a missing encryption key, say, once
		e.problems = append(e.problems, p)
	}
}

func (e *envReader) get(name string) string { return strings.TrimSpace(e.getenv(name)) }

// set reports whether the secret name is given, in the clear or encrypted.
func (e *envReader) set(name string) bool {
	return e.get(name) != "" || e.get(encryptedPrefix+name) != ""
}

// secret returns the secret name, in the clear or decrypted from its
// ENCRYPTED_ variable, and the variable it came from.
func (e *envReader) secret(name string) (value, from string) {
	plain, encrypted := e.get(name), e.get(encryptedPrefix+name)
	switch {
	case plain != "" && encrypted != "":
		e.bad("set one of %s and %s%s, not both", name, encryptedPrefix, name)
		return "", name
	case encrypted != "":
		v, err := secrets.Decrypt(e.get, encryptedPrefix+name)
		if err != nil {
			e.bad("%s", mcperr.AsError(err).Message) // names the variable, never the value
			return "", encryptedPrefix + name
		}
		return strings.TrimSpace(v), encryptedPrefix + name
	}
	return plain, name
}

// file reports the problems of a credentials file, each naming the
// variable, the file and, when known, the line.
func (e *envReader) file(name, path string, err error) {
	for _, p := range fileProblems(name, path, err) {
		e.bad("%s", p)
	}
}

// fileProblems returns the problems of a credentials file as Problems,
// each naming the variable, the file and, when known, the line.
func fileProblems(name, path string, err error) []Problem {
	errs := []error{err}
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		errs = joined.Unwrap()
	}
	out := make([]Problem, len(errs))
	for i, p := range errs {
		out[i] = Problem{Setting: name, File: path, Message: p.Error()}
		var fp *auth.FileProblem
		if errors.As(p, &fp) {
			out[i].Line = fp.Line
		}
	}
	return out
}

func readBearer(e *envReader, cfg *auth.Config) {
	file := e.get("MCP_AUTH_TOKENS_FILE")
	switch {
	case e.set("AUTH_TOKEN") && file != "":
		e.bad("set one of AUTH_TOKEN and MCP_AUTH_TOKENS_FILE, not both")
	case e.set("AUTH_TOKEN"):
		token, from := e.secret("AUTH_TOKEN")
		if token == "" {
			return // the decryption failed, and said so
		}
		cfg.Tokens = []auth.Token{{Token: token}}
		if err := auth.CheckToken(token); err != nil {
			e.bad("%s %s", from, err)
		}
	case file != "":
		e.tokensFile = file
		tokens, err := auth.ReadTokensFile(file)
		if err != nil {
			e.file("MCP_AUTH_TOKENS_FILE", file, err)
			return
		}
		cfg.Tokens = tokens
	default:
		e.bad("AUTH_MODE is bearer but no token is set: set AUTH_TOKEN (generate one with: openssl rand -hex 32) or MCP_AUTH_TOKENS_FILE")
	}
}

func readHMAC(e *envReader, cfg *auth.Config) {
	file := e.get("MCP_HMAC_KEYS_FILE")
	switch {
	case e.set("API_KEY_HMAC_SECRET") && file != "":
		e.bad("set one of API_KEY_HMAC_SECRET and MCP_HMAC_KEYS_FILE, not both")
	case e.set("API_KEY_HMAC_SECRET"):
		secret, from := e.secret("API_KEY_HMAC_SECRET")
		if secret == "" {
			return
		}
		cfg.Keys = []auth.Key{{ID: auth.DefaultKeyID, Secret: secret}}
		if err := auth.CheckSecret(secret); err != nil {
			e.bad("%s %s", from, err)
		}
	case file != "":
		e.keysFile = file
		keys, err := auth.ReadKeysFile(file)
		if err != nil {
			e.file("MCP_HMAC_KEYS_FILE", file, err)
			return
		}
		cfg.Keys = keys
	default:
		e.bad("AUTH_MODE is hmac but no key is set: set API_KEY_HMAC_SECRET (generate one with: openssl rand -hex 32) or MCP_HMAC_KEYS_FILE")
	}
	if v := e.get("MCP_API_VERSIONS"); v != "" {
		for part := range strings.SplitSeq(v, ",") {
			part = strings.TrimSpace(part)
			if err := auth.CheckAPIVersion(part); err != nil {
				e.bad("MCP_API_VERSIONS entries %s", err)
				continue
			}
			cfg.APIVersions = append(cfg.APIVersions, part)
		}
	}
}

func readOAuth(e *envReader, cfg *auth.Config) {
	o := &cfg.OAuth
	o.Issuer = e.get("OAUTH_ISSUER")
	o.Audience = e.get("OAUTH_AUDIENCE")
	o.JWKSURL = e.get("OAUTH_JWKS_URL")
	o.IntrospectionURL = e.get("OAUTH_INTROSPECTION_URL")
	o.ClientID = e.get("OAUTH_CLIENT_ID")
	o.Algorithms = e.list("OAUTH_ALGORITHMS")
	o.JWTTypes = e.list("OAUTH_JWT_TYPES")
	decrypted := true
	if e.set("OAUTH_CLIENT_SECRET") {
		o.ClientSecret, _ = e.secret("OAUTH_CLIENT_SECRET")
		decrypted = o.ClientSecret != ""
	}
	switch v := e.get("OAUTH_FILTER_TOOLS_LIST"); v {
	case "", "false":
	case "true":
		o.ListByScope = true
	default:
		e.bad(`OAUTH_FILTER_TOOLS_LIST must be "true" or "false", got %q`, v)
	}
	for _, p := range auth.CheckOAuth(*o) {
		if !decrypted && strings.Contains(p, "OAUTH_CLIENT_SECRET") {
			continue // the decryption failed, and said so
		}
		e.bad("%s", p)
	}
}

// list returns the comma-separated entries of name, trimmed, without
// empty ones.
func (e *envReader) list(name string) []string {
	var out []string
	for part := range strings.SplitSeq(e.get(name), ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// modeList is the modes as messages list them: "none", "bearer" or "hmac".
func modeList() string {
	modes := auth.Modes()
	quoted := make([]string, len(modes))
	for i, m := range modes {
		quoted[i] = strconv.Quote(string(m))
	}
	if len(quoted) == 1 {
		return quoted[0]
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + " or " + quoted[len(quoted)-1]
}

// ConfigFromEnv reads the security settings from the environment through
// getenv (os.Getenv, or a function that lets flags override it); EnvUsage
// lists the variables. It never falls back silently: a mode without its
// credentials, credentials for a mode not chosen, a short secret, a
// malformed file or a value that does not decrypt are all reported, at
// once, in one *mcperr.Error with code MCP-011. Messages name variables
// and files, never their secret contents.
//
// AUTH_TOKEN and API_KEY_HMAC_SECRET may be given encrypted instead, as
// ENCRYPTED_AUTH_TOKEN and ENCRYPTED_API_KEY_HMAC_SECRET: Fernet tokens
// decrypted with the key of MCP_ENCRYPTION_KEY or MCP_ENCRYPTION_KEY_FILE
// (docs/secrets.md).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	e := &envReader{getenv: getenv}
	var cfg Config

	var credentialsOf []auth.Mode // the modes whose credentials are set
	var given []string            // as "bearer (AUTH_TOKEN)"
	for _, m := range auth.Modes() {
		var set []string
		for _, v := range modeEnv[m].credentials {
			if e.get(v) != "" {
				set = append(set, v)
			}
		}
		if len(set) > 0 {
			credentialsOf = append(credentialsOf, m)
			given = append(given, fmt.Sprintf("%s (%s)", m, strings.Join(set, ", ")))
		}
	}
	switch v := auth.Mode(strings.ToLower(e.get("AUTH_MODE"))); {
	case v == "" && len(credentialsOf) > 1:
		e.bad("AUTH_MODE is not set, and credentials of more than one mode are: %s; set AUTH_MODE", strings.Join(given, ", "))
	case v == "" && len(credentialsOf) == 1:
		cfg.Auth.Mode = credentialsOf[0]
	case v == "":
		cfg.Auth.Mode = auth.ModeNone
	case !slices.Contains(auth.Modes(), v):
		e.bad("AUTH_MODE must be %s, got %q", modeList(), v)
	default:
		cfg.Auth.Mode = v
	}
	if cfg.Auth.Mode != "" {
		for _, m := range auth.Modes() {
			if m == cfg.Auth.Mode {
				continue
			}
			for _, v := range slices.Concat(modeEnv[m].credentials, modeEnv[m].settings) {
				if e.get(v) != "" {
					e.bad("%s is set but AUTH_MODE is %s: remove it, or set AUTH_MODE to the mode it belongs to", v, cfg.Auth.Mode)
				}
			}
		}
		if read := modeEnv[cfg.Auth.Mode].read; read != nil {
			read(e, &cfg.Auth)
		}
	}

	if v := e.get("MCP_CLIENT_RATE_LIMIT"); v != "" {
		rule, p := parseClientRateLimit(v)
		if p != "" {
			e.bad("%s", p)
		}
		cfg.ClientRateLimit = rule
	}
	if v := e.get("MCP_TOOL_RATE_LIMITS"); v != "" {
		rules, problems := parseToolRateLimits(v)
		for _, p := range problems {
			e.bad("%s", p)
		}
		cfg.ToolRateLimits = rules
	}
	if v := e.get("MCP_ALLOWLIST_FILES"); v != "" {
		files, problems := parseAllowlistFiles(v, "")
		for _, p := range problems {
			e.bad("%s", p)
		}
		cfg.AllowlistFiles = files
	}
	cfg.SettingsFile = e.get("MCP_SETTINGS_FILE")
	switch v := e.get("MCP_WATCH_INTERVAL"); v {
	case "", "off":
	default:
		d, err := time.ParseDuration(v)
		if err != nil || d < MinWatchInterval {
			e.bad(`MCP_WATCH_INTERVAL must be a Go duration of at least %s like "5s", or "off", got %q`, MinWatchInterval, v)
		}
		cfg.WatchInterval = d
	}
	if v := e.get("MCP_TRUSTED_PROXIES"); v != "" {
		p, err := ratelimit.ParsePrefixes(v)
		if err != nil {
			e.bad("MCP_TRUSTED_PROXIES must be comma-separated CIDR prefixes or addresses like 10.0.0.0/8, got %q", v)
		}
		cfg.TrustedProxies = p
	}
	cfg.AuditLog = e.get("MCP_AUDIT_LOG")
	switch v := e.get("MCP_ALLOW_UNAUTHENTICATED"); v {
	case "", "false":
	case "true":
		cfg.AllowUnauthenticated = true
	default:
		e.bad(`MCP_ALLOW_UNAUTHENTICATED must be "true" or "false", got %q`, v)
	}
	if len(e.problems) > 0 {
		return Config{}, &mcperr.Error{Code: mcperr.CodeMissingConfiguration, Message: strings.Join(e.problems, "; ")}
	}
	cfg.TokensFile, cfg.KeysFile = e.tokensFile, e.keysFile
	return cfg, nil
}

// parseClientRateLimit reads MCP_CLIENT_RATE_LIMIT: "N/duration" or "off"
// (Limit -1). It returns what is wrong, or "".
func parseClientRateLimit(v string) (ratelimit.Rule, string) {
	if v == "off" {
		return ratelimit.Rule{Limit: -1}, ""
	}
	rule, ok := parseRule(v)
	if !ok {
		return rule, fmt.Sprintf(`MCP_CLIENT_RATE_LIMIT must be "N/duration" with positive N and duration, like "1000/1m", or "off", got %q`, v)
	}
	return rule, ""
}

// maxRuleLimit bounds the N of a rule, as x-rate-limit's perMinute is.
const maxRuleLimit = 1_000_000_000

// parseRule reads "N/duration" with a positive N and duration.
func parseRule(v string) (ratelimit.Rule, bool) {
	n, d, ok := strings.Cut(strings.TrimSpace(v), "/")
	limit, err1 := strconv.Atoi(strings.TrimSpace(n))
	window, err2 := time.ParseDuration(strings.TrimSpace(d))
	rule := ratelimit.Rule{Limit: limit, Window: window}
	return rule, ok && err1 == nil && err2 == nil && limit > 0 && limit <= maxRuleLimit && window > 0
}

// validToolName reports whether s is a tool name by the MCP grammar.
func validToolName(s string) bool {
	if len(s) < 1 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// parseToolRateLimits reads MCP_TOOL_RATE_LIMITS: comma-separated
// "tool=N/duration" or "tool=off" (Limit -1), each tool once.
func parseToolRateLimits(v string) (map[string]ratelimit.Rule, []string) {
	rules := make(map[string]ratelimit.Rule)
	var problems []string
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		tool, spec, ok := strings.Cut(part, "=")
		tool, spec = strings.TrimSpace(tool), strings.TrimSpace(spec)
		var rule ratelimit.Rule
		switch {
		case !ok || !validToolName(tool):
			problems = append(problems, fmt.Sprintf(`MCP_TOOL_RATE_LIMITS entries must be "tool=N/duration" or "tool=off" with a tool name of 1 to 128 characters of A-Z a-z 0-9 _ . -, got %q`, part))
			continue
		case spec == "off":
			rule = ratelimit.Rule{Limit: -1}
		default:
			var good bool
			if rule, good = parseRule(spec); !good {
				problems = append(problems, fmt.Sprintf(`MCP_TOOL_RATE_LIMITS entry for %s must be "N/duration" with positive N and duration, like "100/1m", or "off", got %q`, tool, spec))
				continue
			}
		}
		if _, dup := rules[tool]; dup {
			problems = append(problems, fmt.Sprintf("MCP_TOOL_RATE_LIMITS names %s twice", tool))
			continue
		}
		rules[tool] = rule
	}
	return rules, problems
}

// parseAllowlistFiles reads MCP_ALLOWLIST_FILES: comma-separated
// "name=path", each name once; a relative path is taken from dir (when not
// "").
func parseAllowlistFiles(v, dir string) (map[string]string, []string) {
	files := make(map[string]string)
	var problems []string
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, path, ok := strings.Cut(part, "=")
		name, path = strings.TrimSpace(name), strings.TrimSpace(path)
		switch {
		case !ok || name == "" || path == "":
			problems = append(problems, fmt.Sprintf(`MCP_ALLOWLIST_FILES entries must be "name=path", like "symbols=/etc/desk/symbols.txt", got %q`, part))
			continue
		case files[name] != "":
			problems = append(problems, fmt.Sprintf("MCP_ALLOWLIST_FILES names the allowlist %s twice", name))
			continue
		}
		if dir != "" && !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		files[name] = path
	}
	return files, problems
}
