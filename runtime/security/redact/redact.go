// Package redact keeps secrets and personal data out of logs.
//
// A Redactor applies two kinds of rule. Key rules replace the whole value of
// an attribute (or map entry) whose key names a secret: authorization, token,
// password, secret, api_key, cookie, signature, credential, a "key" segment,
// and the keys a server marks sensitive (the generator lists x-sensitive
// fields). Pattern rules rewrite the secrets that turn up inside text: Bearer
// and Basic credentials, JWTs, URL userinfo, name=value pairs whose name is a
// secret, well-known API-key formats, e-mail addresses and card numbers that
// pass the Luhn check. Handler applies both to every slog record.
//
// Redaction by pattern is a backstop, not a guarantee: a secret logged under
// an innocent key in free text ("the password is hunter2") is not found. Log
// secrets as Secret, or under a key the rules know, so that they never
// depend on it.
package redact

import (
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
)

// Placeholder replaces a redacted value.
const Placeholder = "[REDACTED]"

// Options configures a Redactor or Handler.
type Options struct {
	// SensitiveKeys are further keys whose values are always redacted,
	// matched like the built-in ones: without regard to case or separators
	// ("accountNumber" also matches "account_number" and "Account-Number").
	// An entry starting with "/" is a JSON pointer, as the generator lists
	// x-sensitive fields ("/account/iban"), and stands for its last segment.
	SensitiveKeys []string
}

// Redactor applies the key and pattern rules. It is safe for concurrent use.
type Redactor struct {
	extra map[string]bool // normalised SensitiveKeys

	// Decisions on keys seen so far. Log keys are nearly always constants,
	// so a few hundred entries serve a whole program; the count bounds the
	// cache when keys come from data.
	keys  sync.Map // string → bool
	count atomic.Int32
}

// maxCachedKeys bounds the key-decision cache.
const maxCachedKeys = 4096

// New returns a Redactor with the built-in rules and those of opts.
func New(opts Options) *Redactor {
	r := &Redactor{extra: make(map[string]bool, len(opts.SensitiveKeys))}
	for _, k := range opts.SensitiveKeys {
		if strings.HasPrefix(k, "/") {
			k = k[strings.LastIndexByte(k, '/')+1:]
			k = strings.ReplaceAll(strings.ReplaceAll(k, "~1", "/"), "~0", "~")
		}
		var buf [64]byte
		if n := normalize(buf[:0], k); len(n) > 0 {
			r.extra[string(n)] = true
		}
	}
	return r
}

// Secret substrings of a key, matched against its lowercase letters and
// digits with separators removed ("X-Api-Key" is "xapikey").
var secretSubstrings = []string{
	"authorization", "token", "password", "passwd", "passphrase", "secret",
	"apikey", "cookie", "signature", "credential", "privatekey", "sessionid",
}

// Secret words of a key, matched against its whole segments: "key" redacts
// "api_key" and "signingKey" but not "monkey" or "keyboard".
var secretSegments = []string{"key", "pwd", "jwt", "sig", "otp", "cvv", "cvc"}

// notSecret are keys the rules above would catch that name no secret.
var notSecret = []string{"idempotencykey", "keyid", "publickey"}

// SensitiveKey reports whether the value under key is always redacted.
func (r *Redactor) SensitiveKey(key string) bool {
	if key == "" {
		return false
	}
	if v, ok := r.keys.Load(key); ok {
		return v.(bool)
	}
	sensitive := r.sensitiveKey(key)
	if r.count.Load() < maxCachedKeys {
		if _, loaded := r.keys.LoadOrStore(key, sensitive); !loaded {
			r.count.Add(1)
		}
	}
	return sensitive
}

func (r *Redactor) sensitiveKey(key string) bool {
	var buf [64]byte
	joined := normalize(buf[:0], key)
	if r.extra[string(joined)] { // no allocation: the conversion is only a map key
		return true
	}
	for _, s := range notSecret {
		if string(joined) == s {
			return false
		}
	}
	for _, s := range secretSubstrings {
		if strings.Contains(string(joined), s) {
			return true
		}
	}
	found := false
	eachSegment(key, func(seg string) bool {
		for _, w := range secretSegments {
			if strings.EqualFold(seg, w) {
				found = true
				return false
			}
		}
		return true
	})
	return found
}

// normalize appends the lowercase ASCII letters and digits of key to dst;
// other bytes (separators, and non-ASCII) are dropped.
func normalize(dst []byte, key string) []byte {
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			dst = append(dst, c)
		case 'A' <= c && c <= 'Z':
			dst = append(dst, c+'a'-'A')
		}
	}
	return dst
}

// eachSegment calls f with each word of key, split at separators and at
// camel-case boundaries ("APIKey" gives "API" and "Key"), until f returns
// false.
func eachSegment(key string, f func(string) bool) {
	start := -1
	for i := 0; i <= len(key); i++ {
		var c byte
		if i < len(key) {
			c = key[i]
		}
		alnum := isLower(c) || isUpper(c) || isDigit(c)
		if start >= 0 && (!alnum || isUpper(c) && i > start &&
			(!isUpper(key[i-1]) || i+1 < len(key) && isLower(key[i+1]))) {
			if !f(key[start:i]) {
				return
			}
			start = -1
		}
		if alnum && start < 0 {
			start = i
		}
	}
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// Attr returns a with its value redacted: the placeholder when its key is
// sensitive, and otherwise its strings rewritten, recursing into groups,
// LogValuers, errors, maps and slices of strings and JSON documents.
func (r *Redactor) Attr(a slog.Attr) slog.Attr {
	if r.SensitiveKey(a.Key) {
		return slog.String(a.Key, Placeholder)
	}
	a.Value = r.value(a.Value)
	return a
}

func (r *Redactor) value(v slog.Value) slog.Value {
	v = v.Resolve()
	switch v.Kind() {
	case slog.KindString:
		s := v.String()
		if t := r.String(s); t != s {
			return slog.StringValue(t)
		}
		return v
	case slog.KindGroup:
		attrs := v.Group()
		out := make([]slog.Attr, len(attrs))
		for i, a := range attrs {
			out[i] = r.Attr(a)
		}
		return slog.GroupValue(out...)
	case slog.KindAny:
		return slog.AnyValue(r.Any(v.Any()))
	}
	return v
}

// Any returns v redacted: strings rewritten, errors replaced by their
// rewritten text, and maps, slices and JSON documents copied with their
// sensitive entries replaced. Values of other types are returned as they are;
// give such types a LogValue method, or use Secret, to control how they log.
func (r *Redactor) Any(v any) any {
	switch v := v.(type) {
	case string:
		return r.String(v)
	case error:
		return r.String(v.Error())
	case slog.LogValuer:
		return r.Any(slog.AnyValue(v).Resolve().Any())
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if r.SensitiveKey(k) {
				out[k] = Placeholder
			} else {
				out[k] = r.Any(e)
			}
		}
		return out
	case map[string]string:
		out := make(map[string]string, len(v))
		for k, e := range v {
			if r.SensitiveKey(k) {
				out[k] = Placeholder
			} else {
				out[k] = r.String(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = r.Any(e)
		}
		return out
	case []string:
		out := make([]string, len(v))
		for i, e := range v {
			out[i] = r.String(e)
		}
		return out
	case json.RawMessage:
		return r.json(v)
	}
	return v
}

// json redacts a JSON document; one that does not parse is redacted as text.
func (r *Redactor) json(raw json.RawMessage) any {
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil || d.More() {
		return r.String(string(raw))
	}
	out, err := json.Marshal(r.Any(doc))
	if err != nil {
		return Placeholder
	}
	return json.RawMessage(out)
}
