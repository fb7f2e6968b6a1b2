package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mcpgen/mcpgen/runtime/internal/httperr"
	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/memstore"
	"golang.org/x/sync/semaphore"
)

// Realm is the realm of the WWW-Authenticate challenges.
const Realm = "mcp"

// Timing of HMAC v1.
const (
	// Skew is how far a request's X-Timestamp may be from the server's
	// clock, either way.
	Skew = 300 * time.Second
	// NonceTTL is how long a nonce is remembered: twice Skew, since a
	// request stamped Skew in the future stays valid until Skew after that.
	NonceTTL = 2 * Skew
)

// DefaultMaxSignedBodyBytes caps, in hmac mode, the body read to verify a
// signature unless Config.MaxBodyBytes says otherwise. The body is buffered
// before the signature is known to be good, so the cap is lower than the
// server's 10 MiB: JSON-RPC messages carry tool arguments of at most 1 MiB
// by default, and 2 MiB leaves room for the envelope and escaping. Raise it
// for tools with a larger x-max-args-bytes.
const DefaultMaxSignedBodyBytes = 2 << 20

// Options are what an Authenticator uses besides its Config: its store,
// its clock and the hook that hears of refusals.
type Options struct {
	// Nonces remembers the nonces of verified requests in hmac mode (a
	// fresh memstore.Nonces when nil; share one store between replicas).
	Nonces store.Nonces
	// Now is the clock the timestamp window is checked against (time.Now
	// when nil).
	Now func() time.Time
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
	//   - "": no security event, when the nonce store failed (503), the
	//     body could not be read (400), or Replay was mounted without
	//     Authenticate in front of it (500).
	OnReject func(r *http.Request, status int, err *mcperr.Error, event string)
}

// Authenticator checks the credentials of HTTP requests, in the mode its
// Config sets.
type Authenticator struct {
	scheme   *scheme
	now      func() time.Time
	maxBody  int64
	pending  *semaphore.Weighted // body bytes read but not yet authenticated
	onReject func(r *http.Request, status int, err *mcperr.Error, event string)

	// creds are the bearer tokens or HMAC keys, swapped whole by SetTokens
	// and SetKeys: a request is checked against one set, the one current
	// when it arrived.
	creds atomic.Pointer[credentials]

	versions []string
	nonces   store.Nonces
	decoy    *macs // keyed with the random secret unknown key IDs are checked with

	oa *oauthState
}

// credentials is one version of the secrets an Authenticator accepts.
type credentials struct {
	tokens []bearerToken

	keys    map[string]*hmacKey
	onlyKey *hmacKey // the key used when X-Key-Id is absent: set when there is one key

	list []Credential // what Credentials reports, in the order configured
}

type bearerToken struct {
	digest [sha256.Size]byte
	client string
}

type hmacKey struct {
	id, client string
	secret     []byte
	macs       *macs // keyed with secret
}

// scheme is one authentication mode: what its configuration needs, what
// it keeps of it, and how it checks a request. Adding a mode is adding an
// entry to schemes.
type scheme struct {
	mode Mode
	// check returns what is wrong with cfg for this mode.
	check func(cfg *Config) []string
	// setup keeps what the mode needs of cfg in a.
	setup func(a *Authenticator, cfg *Config)
	// authenticate checks r's credentials and returns r with the client's
	// ID in its context, or the failure. Nil lets every request pass
	// untouched.
	authenticate func(a *Authenticator, r *http.Request) (*http.Request, *failure)
	// nonces is set when verified requests leave a nonce for the replay
	// layer to record.
	nonces bool
	// wrap, when set, is put between a request that authenticate let
	// through and the next handler.
	wrap func(a *Authenticator, next http.Handler) http.Handler
}

// schemes is the closed set of modes, in the order messages list them.
var schemes = []scheme{
	{mode: ModeNone},
	{mode: ModeBearer, check: checkBearer, setup: setupBearer, authenticate: (*Authenticator).bearer},
	{mode: ModeHMAC, check: checkHMAC, setup: setupHMAC, authenticate: (*Authenticator).hmac, nonces: true},
	{mode: ModeOAuth, check: checkOAuth, setup: setupOAuth, authenticate: (*Authenticator).oauth, wrap: wrapOAuth},
}

// Modes returns the authentication modes, in the order of AUTH_MODE's
// documentation.
func Modes() []Mode {
	out := make([]Mode, len(schemes))
	for i, sc := range schemes {
		out[i] = sc.mode
	}
	return out
}

func lookup(m Mode) (*scheme, bool) {
	for i := range schemes {
		if schemes[i].mode == m {
			return &schemes[i], true
		}
	}
	return nil, false
}

// modeList is the modes as a message lists them: "none", "bearer" or
// "hmac".
func modeList() string {
	var b strings.Builder
	for i, sc := range schemes {
		switch {
		case i == 0:
		case i == len(schemes)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(string(sc.mode)))
	}
	return b.String()
}

// New returns an Authenticator for cfg, or an *mcperr.Error with code
// MCP-011 listing everything wrong with it. An empty Mode is ModeNone; a
// mode outside Modes is an error.
func New(cfg Config, opts Options) (*Authenticator, error) {
	if cfg.Mode == "" {
		cfg.Mode = ModeNone
	}
	if problems := cfg.check(); len(problems) > 0 {
		return nil, &mcperr.Error{Code: mcperr.CodeMissingConfiguration, Message: "auth: " + strings.Join(problems, "; ")}
	}
	sc, _ := lookup(cfg.Mode) // check refused an unknown mode
	a := &Authenticator{scheme: sc, now: opts.Now, maxBody: cfg.MaxBodyBytes, onReject: opts.OnReject, nonces: opts.Nonces}
	if a.now == nil {
		a.now = time.Now
	}
	if a.maxBody <= 0 {
		a.maxBody = DefaultMaxSignedBodyBytes
	}
	pending := cfg.MaxPendingBodyBytes
	if pending <= 0 {
		pending = DefaultMaxPendingBodyBytes
	}
	a.pending = semaphore.NewWeighted(max(pending, a.maxBody))
	if sc.setup != nil {
		sc.setup(a, &cfg)
	}
	if a.nonces == nil {
		a.nonces = memstore.NewNonces(memstore.NonceOptions{Now: a.now})
	}
	return a, nil
}

func setupBearer(a *Authenticator, cfg *Config) { a.creds.Store(tokenCredentials(cfg.Tokens)) }

func setupHMAC(a *Authenticator, cfg *Config) {
	decoy := make([]byte, 32)
	rand.Read(decoy)
	a.decoy = newMACs(decoy)
	a.creds.Store(keyCredentials(cfg.Keys))
	a.versions = cfg.APIVersions
	if len(a.versions) == 0 {
		a.versions = DefaultAPIVersions
	}
}

func tokenCredentials(tokens []Token) *credentials {
	c := &credentials{}
	for _, t := range tokens {
		client := t.Client
		if client == "" {
			client = t.ID
		}
		if client == "" {
			client = tokenHash(t.Token)
		}
		c.tokens = append(c.tokens, bearerToken{digest: sha256.Sum256([]byte(t.Token)), client: client})
		c.list = append(c.list, Credential{ID: t.ID, Client: client, Fingerprint: Fingerprint(t.Token)})
	}
	return c
}

func keyCredentials(keys []Key) *credentials {
	c := &credentials{keys: make(map[string]*hmacKey, len(keys))}
	for _, k := range keys {
		client := k.Client
		if client == "" {
			client = k.ID
		}
		c.keys[k.ID] = &hmacKey{id: k.ID, client: client, secret: []byte(k.Secret), macs: newMACs([]byte(k.Secret))}
		if len(keys) == 1 {
			c.onlyKey = c.keys[k.ID]
		}
		c.list = append(c.list, Credential{ID: k.ID, Client: client, Fingerprint: Fingerprint(k.Secret)})
	}
	return c
}

// Credential describes one bearer token or HMAC key an Authenticator
// accepts, without its secret.
type Credential struct {
	// ID is the key's ID, or the token's ("" for a token without one).
	ID string
	// Client is the client ID of the requests it authenticates.
	Client string
	// Fingerprint names the secret without revealing it (Fingerprint).
	Fingerprint string
}

// String returns "ID (client C, fingerprint F)", the client left out when
// it is the ID.
func (c Credential) String() string {
	name := c.ID
	if name == "" {
		name = "unnamed token"
	}
	if c.Client != "" && c.Client != c.ID && c.ID != "" {
		return name + " (client " + c.Client + ", fingerprint " + c.Fingerprint + ")"
	}
	return name + " (fingerprint " + c.Fingerprint + ")"
}

// fingerprintLabel separates fingerprints from every other use of a
// secret's hash.
const fingerprintLabel = "mcpgen-fingerprint-v1\n"

// Fingerprint returns the name a secret (an HMAC secret or a bearer token)
// is given in audit records and logs: the first 32 hex digits (128 bits) of
// the SHA-256 of "mcpgen-fingerprint-v1", a line feed and the secret. It
// tells two secrets apart and lets an operator check which one a server
// holds without the secret being written anywhere:
//
//	printf 'mcpgen-fingerprint-v1\n%s' "$SECRET" | sha256sum | cut -c1-32
//
// A fingerprint is as hard to turn back into its secret as the secret is
// to guess: fine for the random secrets MinSecretBytes asks for, not for a
// passphrase.
func Fingerprint(secret string) string {
	sum := sha256.Sum256([]byte(fingerprintLabel + secret))
	return hex.EncodeToString(sum[:16])
}

// Credentials returns the bearer tokens (bearer mode) or HMAC keys (hmac
// mode) the Authenticator accepts now, in the order configured, without
// their secrets; nil in the other modes.
func (a *Authenticator) Credentials() []Credential {
	c := a.creds.Load()
	if c == nil {
		return nil
	}
	out := make([]Credential, len(c.list))
	copy(out, c.list)
	return out
}

// SetTokens replaces the bearer tokens accepted, all at once: a request
// arriving after it returns is checked against tokens only, one in flight
// finishes as it started. tokens are checked as New checks Config.Tokens;
// on an error (MCP-011, naming entries, never a token), or outside bearer
// mode, nothing changes.
func (a *Authenticator) SetTokens(tokens []Token) error {
	if a.scheme.mode != ModeBearer {
		return mcperr.Errorf(mcperr.CodeMissingConfiguration, "auth: bearer tokens cannot be set in mode %s", a.scheme.mode)
	}
	if problems := problemTexts(checkTokens(tokens)); len(problems) > 0 {
		return &mcperr.Error{Code: mcperr.CodeMissingConfiguration, Message: "auth: " + strings.Join(problems, "; ")}
	}
	a.creds.Store(tokenCredentials(tokens))
	return nil
}

// SetKeys replaces the HMAC keys accepted, all at once, as SetTokens
// replaces tokens. With one key, X-Key-Id may be left out; with several it
// is required, so clients that may see a rotation should always send it
// (Signer does).
func (a *Authenticator) SetKeys(keys []Key) error {
	if a.scheme.mode != ModeHMAC {
		return mcperr.Errorf(mcperr.CodeMissingConfiguration, "auth: HMAC keys cannot be set in mode %s", a.scheme.mode)
	}
	if problems := problemTexts(checkKeys(keys)); len(problems) > 0 {
		return &mcperr.Error{Code: mcperr.CodeMissingConfiguration, Message: "auth: " + strings.Join(problems, "; ")}
	}
	a.creds.Store(keyCredentials(keys))
	return nil
}

// Mode returns the mode requests are authenticated in.
func (a *Authenticator) Mode() Mode { return a.scheme.mode }

// Authenticate returns next behind the credentials check of the mode. A
// request that passes has its client ID in its context
// (principal.WithClientID) and, in hmac mode, the fingerprint of its signed
// fields, for the idempotency layer, and its nonce left for Replay to
// record; one that fails gets 401 and MCP-002 with a WWW-Authenticate
// challenge (or 413 and MCP-017 for a signed body over the cap), and next
// never sees it. In mode none every request passes untouched.
//
// Mount Replay behind it, with the client rate limit between the two, so a
// request the rate limit refuses uses up no room in the nonce store: a
// client flooding the server fills neither its own nonce quota nor the
// store. The price is that a replayed request, signed by the client but
// resent by someone who captured it, counts against the client's rate
// limit before it is refused as a replay.
func (a *Authenticator) Authenticate(next http.Handler) http.Handler {
	if a.scheme.authenticate == nil {
		return next
	}
	if a.scheme.wrap != nil {
		next = a.scheme.wrap(a, next)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, f := a.scheme.authenticate(a, r)
		if f != nil {
			a.reject(w, r, f)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// failure is a refused request: its status, its error, its security event
// ("" for none) and, for 401, the challenge.
type failure struct {
	status     int
	err        *mcperr.Error
	event      string
	challenge  string
	retryAfter int64 // seconds, for Retry-After; 0 for none
}

func (a *Authenticator) reject(w http.ResponseWriter, r *http.Request, f *failure) {
	if f.challenge != "" {
		w.Header().Set("WWW-Authenticate", f.challenge)
	}
	if f.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(f.retryAfter, 10))
	}
	if a.onReject != nil {
		a.onReject(r, f.status, f.err, f.event)
	}
	httperr.Write(w, f.status, f.err)
}

// hashKey keys the hashes that stand for unnamed bearer tokens as client
// IDs. It is random per process, so the ID reveals nothing about the token
// even to someone who can test guesses offline.
var hashKey = func() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}()

// tokenHash returns the client ID of an unnamed token: 32 hex digits of
// HMAC-SHA256 over the whole token.
func tokenHash(token string) string {
	m := hmac.New(sha256.New, hashKey)
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))[:32]
}
