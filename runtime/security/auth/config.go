package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
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

// Config is the authentication setup: the mode and its credentials.
// runtime/security reads it from the environment (AUTH_MODE, AUTH_TOKEN,
// API_KEY_HMAC_SECRET, the tokens and keys files, MCP_API_VERSIONS).
type Config struct {
	Mode   Mode
	Tokens []Token     // bearer mode: every token accepted, several during a rotation
	Keys   []Key       // hmac mode: every key accepted, several during a rotation
	OAuth  OAuthConfig // oauth mode: the authorization server and how its tokens are verified

	// APIVersions lists the X-API-Version values accepted in hmac mode
	// (DefaultAPIVersions when empty).
	APIVersions []string
	// MaxBodyBytes caps the body read to verify a signature
	// (DefaultMaxSignedBodyBytes, 2 MiB, when zero); a larger body is
	// refused with 413 and MCP-017 before the signature is checked.
	// runtime/security also caps by it the body the idempotency layer reads
	// to fingerprint a request in modes none and bearer.
	MaxBodyBytes int64
	// MaxPendingBodyBytes caps, across all requests at once, the body bytes
	// buffered in hmac mode before their signature is checked
	// (DefaultMaxPendingBodyBytes, 64 MiB, when zero). A request that would
	// go over it is refused at once with 503 and MCP-003, so no number of
	// clients that know no secret can make the server hold more; the
	// request body read deadline (MCP_HTTP_BODY_TIMEOUT) frees what slow
	// senders hold.
	MaxPendingBodyBytes int64
}

// DefaultMaxPendingBodyBytes is the default of Config.MaxPendingBodyBytes:
// 32 signed bodies of the largest size at once.
const DefaultMaxPendingBodyBytes = 32 * DefaultMaxSignedBodyBytes

// CheckSecret reports why secret cannot be an HMAC secret, or nil. The
// error's text is what to say after the variable's name: "must be at least
// 32 bytes, got 7 (...)". It never holds the secret.
func CheckSecret(secret string) error {
	if p := secretProblem(secret); p != "" {
		return errors.New(p)
	}
	return nil
}

// CheckToken reports why token cannot be a bearer token, or nil, worded as
// CheckSecret's errors are.
func CheckToken(token string) error {
	if p := tokenProblem(token); p != "" {
		return errors.New(p)
	}
	return nil
}

// CheckAPIVersion reports why v cannot be an X-API-Version value, or nil,
// worded as CheckSecret's errors are.
func CheckAPIVersion(v string) error {
	if !validVersion(v) {
		return fmt.Errorf("must be %s, got %q", versionGrammar, v)
	}
	return nil
}

// ReadKeysFile reads a JSON file of HMAC keys, {"keys":[{"id":..,
// "client":..,"secret":..}]}, strictly (no unknown fields, nothing after
// the object), and checks every key. The error joins every problem
// (errors.Join), each a *FileProblem naming the entry ("keys[1] secret
// must be ...") and its line, never a secret; none names the file, which
// the caller knows.
func ReadKeysFile(path string) ([]Key, error) {
	entries, err := readEntries(path, "keys")
	if err != nil {
		return nil, err
	}
	keys := make([]Key, len(entries))
	var problems []*FileProblem
	for i, e := range entries {
		if p := decodeEntry(e.raw, &keys[i]); p != "" {
			problems = append(problems, &FileProblem{Line: e.line, Message: p})
		}
	}
	if len(problems) == 0 {
		problems = entryProblems(checkKeys(keys), entries)
	}
	if len(problems) > 0 {
		return nil, joinFileProblems(problems)
	}
	return keys, nil
}

// ReadTokensFile reads a JSON file of bearer tokens, {"tokens":[{"id":..,
// "client":..,"token":..}]}, as ReadKeysFile reads keys.
func ReadTokensFile(path string) ([]Token, error) {
	entries, err := readEntries(path, "tokens")
	if err != nil {
		return nil, err
	}
	tokens := make([]Token, len(entries))
	var problems []*FileProblem
	for i, e := range entries {
		if p := decodeEntry(e.raw, &tokens[i]); p != "" {
			problems = append(problems, &FileProblem{Line: e.line, Message: p})
		}
	}
	if len(problems) == 0 {
		problems = entryProblems(checkTokens(tokens), entries)
	}
	if len(problems) > 0 {
		return nil, joinFileProblems(problems)
	}
	return tokens, nil
}

// FileProblem is one problem of a keys or tokens file: its message, which
// never holds a secret, and the line it is on (1-based; 0 when the problem
// is the whole file's, such as "no keys" or "cannot be read"). Error
// returns the message alone; callers add the file and line
// ("/etc/desk/keys.json:3: keys[1] secret must be ...").
type FileProblem struct {
	Line    int
	Message string
}

func (p *FileProblem) Error() string { return p.Message }

func joinFileProblems(problems []*FileProblem) error {
	if len(problems) == 1 {
		return problems[0]
	}
	errs := make([]error, len(problems))
	for i, p := range problems {
		errs[i] = p
	}
	return errors.Join(errs...)
}

// entry is one element of a credentials file's array, with the line it
// starts on.
type entry struct {
	raw  json.RawMessage
	line int
}

// readEntries reads the file at path, an object whose one member, named
// member, is an array of objects, and returns the array's elements with
// their lines. Decoder errors name positions and types, never the file's
// text.
func readEntries(path, member string) ([]entry, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, &FileProblem{Message: "cannot be read: " + strings.TrimPrefix(err.Error(), "open "+path+": ")}
	}
	lineAt := func(off int64) int { return 1 + bytes.Count(raw[:min(max(int(off), 0), len(raw))], []byte{'\n'}) }
	// start returns where the value after off begins: past spaces, a comma
	// or a colon.
	start := func(off int64) int64 {
		for off < int64(len(raw)) && strings.IndexByte(" \t\r\n,:", raw[off]) >= 0 {
			off++
		}
		return off
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	invalid := func(err error) error {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = errors.New("unexpected end of the file")
		}
		p := &FileProblem{Message: "is not valid: " + err.Error()}
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			p.Line = lineAt(syntax.Offset)
			p.Message = "is not valid: " + syntaxText(syntax)
		} else {
			p.Line = lineAt(start(dec.InputOffset()))
		}
		return p
	}
	shape := fmt.Sprintf(`{"%s":[...]}`, member)
	if tok, err := dec.Token(); err != nil {
		return nil, invalid(err)
	} else if tok != json.Delim('{') {
		return nil, &FileProblem{Line: lineAt(start(0)), Message: "is not valid: the file must be a JSON object " + shape}
	}
	var entries []entry
	seen := false
	for dec.More() {
		keyAt := start(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return nil, invalid(err)
		}
		key, _ := tok.(string)
		switch {
		case key != member:
			return nil, &FileProblem{Line: lineAt(keyAt), Message: fmt.Sprintf("is not valid: json: unknown field %q", key)}
		case seen:
			return nil, &FileProblem{Line: lineAt(keyAt), Message: fmt.Sprintf("is not valid: %q is given twice", member)}
		}
		seen = true
		valueAt := start(dec.InputOffset())
		tok, err = dec.Token()
		switch {
		case err != nil:
			return nil, invalid(err)
		case tok == nil: // null: no entries
			continue
		case tok != json.Delim('['):
			return nil, &FileProblem{Line: lineAt(valueAt), Message: fmt.Sprintf("is not valid: %q must be an array: %s", member, shape)}
		}
		for dec.More() {
			at := start(dec.InputOffset())
			var e json.RawMessage
			if err := dec.Decode(&e); err != nil {
				// The offset of a Decoder's syntax error counts only the
				// bytes its earlier Decode calls read: a fresh decoder
				// from the entry's start finds the same error, counted
				// from there.
				var syntax *json.SyntaxError
				if errors.As(json.NewDecoder(bytes.NewReader(raw[at:])).Decode(&e), &syntax) {
					return nil, &FileProblem{Line: lineAt(at + syntax.Offset - 1), Message: "is not valid: " + syntaxText(syntax)}
				}
				return nil, invalid(err)
			}
			entries = append(entries, entry{raw: e, line: lineAt(at)})
		}
		if _, err := dec.Token(); err != nil { // ]
			return nil, invalid(err)
		}
	}
	if _, err := dec.Token(); err != nil { // }
		return nil, invalid(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &FileProblem{Line: lineAt(start(dec.InputOffset())), Message: "is not valid: data after the JSON object"}
	}
	return entries, nil
}

// syntaxText is a syntax error's message, without the "key:value" that a
// redactor would take for a name and a secret.
func syntaxText(err *json.SyntaxError) string {
	return strings.ReplaceAll(err.Error(), "key:value pair", "member")
}

// decodeEntry decodes one element strictly, and returns a problem or "".
func decodeEntry(raw json.RawMessage, v any) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return "is not valid: " + err.Error()
	}
	return ""
}

// problem is what is wrong with a list of keys or tokens: its message and
// the index of the entry it is about, or -1 for the list as a whole.
type problem struct {
	entry int
	msg   string
}

func problemTexts(problems []problem) []string {
	out := make([]string, len(problems))
	for i, p := range problems {
		out[i] = p.msg
	}
	return out
}

func entryProblems(problems []problem, entries []entry) []*FileProblem {
	var out []*FileProblem
	for _, p := range problems {
		fp := &FileProblem{Message: p.msg}
		if p.entry >= 0 && p.entry < len(entries) {
			fp.Line = entries[p.entry].line
		}
		out = append(out, fp)
	}
	return out
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

func checkKeys(keys []Key) []problem {
	var problems []problem
	bad := func(i int, format string, args ...any) {
		problems = append(problems, problem{i, fmt.Sprintf(format, args...)})
	}
	if len(keys) == 0 {
		bad(-1, "no keys")
	}
	seen := make(map[string]bool)
	for i, k := range keys {
		switch {
		case !validID(k.ID):
			bad(i, "keys[%d] id must be %s, got %q", i, idGrammar, k.ID)
		case seen[k.ID]:
			bad(i, "keys[%d] id %q is used twice", i, k.ID)
		}
		seen[k.ID] = true
		if k.Client != "" && !validID(k.Client) {
			bad(i, "keys[%d] client must be %s, got %q", i, idGrammar, k.Client)
		}
		if p := secretProblem(k.Secret); p != "" {
			bad(i, "keys[%d] secret %s", i, p)
		}
	}
	return problems
}

func checkTokens(tokens []Token) []problem {
	var problems []problem
	bad := func(i int, format string, args ...any) {
		problems = append(problems, problem{i, fmt.Sprintf(format, args...)})
	}
	if len(tokens) == 0 {
		bad(-1, "no tokens")
	}
	ids, secrets := make(map[string]bool), make(map[string]bool)
	for i, t := range tokens {
		if t.ID != "" {
			switch {
			case !validID(t.ID):
				bad(i, "tokens[%d] id must be %s, got %q", i, idGrammar, t.ID)
			case ids[t.ID]:
				bad(i, "tokens[%d] id %q is used twice", i, t.ID)
			}
			ids[t.ID] = true
		}
		if t.Client != "" && !validID(t.Client) {
			bad(i, "tokens[%d] client must be %s, got %q", i, idGrammar, t.Client)
		}
		switch p := tokenProblem(t.Token); {
		case p != "":
			bad(i, "tokens[%d] token %s", i, p)
		case secrets[t.Token]:
			bad(i, "tokens[%d] token is listed twice", i)
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
	if c.MaxBodyBytes < 0 {
		problems = append(problems, fmt.Sprintf("the signed body cap must not be negative, got %d", c.MaxBodyBytes))
	}
	return problems
}

func checkBearer(c *Config) []string { return problemTexts(checkTokens(c.Tokens)) }

func checkHMAC(c *Config) []string {
	problems := problemTexts(checkKeys(c.Keys))
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
