package auth

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/internal/principal"
)

// FuzzCanonical checks the HMAC v1 canonicalizer on any path and query: it
// never panics, the canonical path is unreserved characters, "/" and %XX
// only and decodes back to the path (so two paths never share a canonical
// form), and the canonical query is free of line feeds, idempotent,
// independent of the order of the parts and holds exactly the decoded
// name=value pairs of the raw query.
//
//	go test ./runtime/security/auth -run '^$' -fuzz '^FuzzCanonical$' -fuzztime 30s
func FuzzCanonical(f *testing.F) {
	for _, s := range [][2]string{
		{"/mcp", ""},
		{"/mcp", "b=2&a=1&a=0"},
		{"/a b/ü/%2F", "q=a+b&q=a%20b&&x"},
		{"", "=&==&a=b=c"},
		{"/\n", "%0A=%0a"},
		{"/mcp", "a=%zz"},
		{"/mcp", "a0=1&a=1"},
		{"/~-._", "~=-._"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, path, query string) {
		cp := canonicalPath(path)
		for i := 0; i < len(cp); i++ {
			c := cp[i]
			if !(isAlnum(c) || strings.IndexByte("-._~/%", c) >= 0) {
				t.Fatalf("canonicalPath(%q) = %q holds %q", path, cp, c)
			}
		}
		if back, err := url.PathUnescape(cp); err != nil || (path != "" && back != path) || (path == "" && cp != "/") {
			t.Fatalf("canonicalPath(%q) = %q decodes to %q (%v)", path, cp, back, err)
		}

		cq, err := canonicalQuery(query)
		want, wantErr := decodedPairs(query)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("canonicalQuery(%q): error %v, but decoding the pairs: %v", query, err, wantErr)
		}
		if err != nil {
			return
		}
		if strings.ContainsAny(cq, "\n\r") {
			t.Fatalf("canonicalQuery(%q) = %q holds a line break", query, cq)
		}
		again, err := canonicalQuery(cq)
		if err != nil || again != cq {
			t.Fatalf("canonicalQuery is not idempotent: %q → %q → %q (%v)", query, cq, again, err)
		}
		parts := strings.Split(query, "&")
		slices.Reverse(parts)
		if rev, err := canonicalQuery(strings.Join(parts, "&")); err != nil || rev != cq {
			t.Fatalf("canonicalQuery depends on the order of the parts: %q → %q, reversed → %q (%v)", query, cq, rev, err)
		}
		got, err := decodedPairs(cq)
		if err != nil {
			t.Fatalf("canonicalQuery(%q) = %q, which does not decode: %v", query, cq, err)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("canonicalQuery(%q) = %q holds the pairs %q, want %q", query, cq, got, want)
		}
	})
}

// decodedPairs decodes a raw query as a form does, independently of
// canonicalQuery: the non-empty "&"-separated parts, each split at its
// first "=", as "name\x00value".
func decodedPairs(raw string) ([]string, error) {
	var out []string
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		n, err := url.QueryUnescape(name)
		if err != nil {
			return nil, err
		}
		v, err := url.QueryUnescape(value)
		if err != nil {
			return nil, err
		}
		out = append(out, n+"\x00"+v)
	}
	return out, nil
}

// fuzzVersions are the API versions the fuzzed verifier accepts.
var fuzzVersions = []string{"1.0.0", "1.1.0"}

// FuzzVerify signs a request built from the fuzzer's fields and checks that
// the verifier accepts it (with the signing key's client and the body
// unchanged), still accepts it when only its form changes (host case,
// order and empty parts of the query), and refuses it with 401 when any
// signed field changes: method, host, path, query, body, timestamp, nonce,
// key ID, API version, Idempotency-Key, content type, or the signature.
// Fields the signer refuses (a nonce or key outside its grammar, a
// malformed query) end the case: the signer must not sign what the
// verifier would refuse.
//
//	go test ./runtime/security/auth -run '^$' -fuzz '^FuzzVerify$' -fuzztime 30s
func FuzzVerify(f *testing.F) {
	f.Add([]byte(rpcBody), "POST", "127.0.0.1:8080", "/mcp", "", "application/json", "nonce-0123456789abcdef", "order-42", false, int16(0), uint8(0))
	f.Add([]byte{}, "GET", "MCP.Example.COM", "/a b/ü", "b=2&a=1&&a=0&q=a+b", "", "AAAAAAAAAAAAAAAA", "k", true, int16(-300), uint8(1))
	f.Add([]byte("\x00\xff"), "DELETE", "[::1]:443", "", "=", "text/plain; charset=utf-8", "__--__--__--__--", "a.b:c-d_e", false, int16(300), uint8(2))

	now := time.Unix(1_767_225_600, 0)
	keys := []Key{keyA, keyA2, keyB}
	a, err := New(Config{Mode: ModeHMAC, Keys: keys, APIVersions: fuzzVersions}, Options{Now: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, method, host, path, query, contentType, nonce, idemKey string, v2 bool, skew int16, keyIndex uint8) {
		if len(body) > 1<<16 {
			return
		}
		// Headers with a strict grammar are brought into it, so that the
		// fuzzer's work goes to the fields the canonicalizer transforms;
		// FuzzCanonical and the table tests cover the grammars themselves.
		nonce = within(nonce, 16, 128, func(c byte) bool { return isAlnum(c) || c == '_' || c == '-' })
		idemKey = within(idemKey, 1, 128, func(c byte) bool { return isAlnum(c) || strings.IndexByte("_.:-", c) >= 0 })
		host = within(host, 0, 255, func(c byte) bool { return '!' <= c && c <= '~' })
		contentType = within(contentType, 0, 255, func(c byte) bool { return c == '\t' || ' ' <= c && c <= '~' })
		if !validMethod(method) {
			method = http.MethodPost
		}
		key := keys[int(keyIndex)%len(keys)]
		version := fuzzVersions[0]
		if v2 {
			version = fuzzVersions[1]
		}
		in := signInput{
			method: method, host: host, path: path, query: query, contentType: contentType, body: body,
			apiVersion: version, idempotencyKey: idemKey, nonce: nonce,
			time: now.Add(time.Duration(int64(skew)%301) * time.Second),
		}
		header, canonicalString, err := sign(key, in)
		if err != nil {
			return // the signer refuses what it cannot sign
		}
		if in.method == "" {
			in.method = http.MethodGet // what sign signs for an empty method
		}
		if n := strings.Count(canonicalString, "\n"); n != 11 {
			t.Fatalf("canonical string has %d line feeds, want 11: %q", n, canonicalString)
		}
		base := fuzzRequest{method: in.method, host: host, path: path, query: query, contentType: contentType, body: body, header: header}

		if status, client, got := verify(a, base); status != http.StatusOK || client != key.Client && client != key.ID || !bytes.Equal(got, body) {
			t.Fatalf("a signed request does not verify: status %d, client %q (key %s), body %q of %q\ncanonical: %q",
				status, client, key.ID, got, body, canonicalString)
		}
		for name, same := range map[string]func(*fuzzRequest){
			"host in upper case": func(r *fuzzRequest) { r.host = strings.ToUpper(r.host) },
			"query parts reversed, with empty parts": func(r *fuzzRequest) {
				parts := strings.Split(r.query, "&")
				slices.Reverse(parts)
				r.query = "&" + strings.Join(parts, "&&") + "&"
			},
		} {
			r := base.clone()
			same(&r)
			if status, _, _ := verify(a, r); status != http.StatusOK {
				t.Fatalf("%s: the request no longer verifies (status %d)\ncanonical: %q", name, status, canonicalString)
			}
		}
		for name, change := range map[string]func(*fuzzRequest){
			"method": func(r *fuzzRequest) {
				if r.method == http.MethodPost {
					r.method = http.MethodPut
				} else {
					r.method = http.MethodPost
				}
			},
			"host":  func(r *fuzzRequest) { r.host = "x" + r.host },
			"path":  func(r *fuzzRequest) { r.path += "x" },
			"query": func(r *fuzzRequest) { r.query += "&mcpgen-fuzz=1" },
			"body":  func(r *fuzzRequest) { r.body = append(slices.Clone(r.body), 'x') },
			"body emptied": func(r *fuzzRequest) {
				if len(r.body) == 0 {
					r.body = []byte{0}
				} else {
					r.body = nil
				}
			},
			"timestamp": func(r *fuzzRequest) {
				ts, _ := strconv.ParseInt(r.header.Get(HeaderTimestamp), 10, 64)
				r.header.Set(HeaderTimestamp, strconv.FormatInt(ts-1, 10))
			},
			"nonce":           func(r *fuzzRequest) { r.header.Set(HeaderNonce, flip(r.header.Get(HeaderNonce))) },
			"key ID":          func(r *fuzzRequest) { r.header.Set(HeaderKeyID, otherKey(keys, r.header.Get(HeaderKeyID))) },
			"key ID removed":  func(r *fuzzRequest) { r.header.Del(HeaderKeyID) },
			"API version":     func(r *fuzzRequest) { r.header.Set(HeaderAPIVersion, otherVersion(r.header.Get(HeaderAPIVersion))) },
			"Idempotency-Key": func(r *fuzzRequest) { r.header.Set(HeaderIdempotencyKey, flip(r.header.Get(HeaderIdempotencyKey))) },
			"content type": func(r *fuzzRequest) {
				if r.contentType == "" {
					r.contentType = "application/json"
				} else {
					r.contentType += "x"
				}
			},
			"content type removed": func(r *fuzzRequest) {
				if r.contentType == "" {
					r.contentType = " "
				} else {
					r.contentType = ""
				}
			},
			"signature": func(r *fuzzRequest) { r.header.Set(HeaderSignature, flip(r.header.Get(HeaderSignature))) },
		} {
			r := base.clone()
			change(&r)
			if status, client, _ := verify(a, r); status != http.StatusUnauthorized {
				t.Fatalf("changed %s: status %d (client %q), want 401\ncanonical: %q", name, status, client, canonicalString)
			}
		}
	})
}

// fuzzRequest is a request as the verifier sees it, before it is built.
type fuzzRequest struct {
	method, host, path, query, contentType string
	body                                   []byte
	header                                 http.Header // the HMAC headers
}

func (r fuzzRequest) clone() fuzzRequest {
	r.header = r.header.Clone()
	return r
}

// verify runs r through the authentication layer alone (no replay check,
// so the same nonce can be tried with every change) and returns the status,
// the client ID the next handler saw and the body it read.
func verify(a *Authenticator, fr fuzzRequest) (status int, client string, body []byte) {
	h := fr.header.Clone()
	if fr.contentType != "" {
		h.Set("Content-Type", fr.contentType)
	}
	req := &http.Request{
		Method: fr.method, Host: fr.host,
		URL:   &url.URL{Path: fr.path, RawQuery: fr.query},
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(fr.body)), ContentLength: int64(len(fr.body)),
	}
	called := false
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called = true
		client = principal.ClientID(r.Context())
		body, _ = io.ReadAll(r.Body)
	})
	rec := httptest.NewRecorder()
	a.Authenticate(next).ServeHTTP(rec, req)
	if called != (rec.Code == http.StatusOK) {
		panic("the next handler ran for a refused request, or was skipped for an accepted one")
	}
	return rec.Code, client, body
}

// within maps the bytes of s that ok refuses to letters, and pads or cuts
// the result to min..max bytes.
func within(s string, min, max int, ok func(byte) bool) string {
	b := []byte(s)
	for i, c := range b {
		if !ok(c) {
			b[i] = 'a' + c%26
		}
	}
	for len(b) < min {
		b = append(b, 'p')
	}
	if len(b) > max {
		b = b[:max]
	}
	return string(b)
}

// flip changes the first character of s to another one of the same
// grammar class (digit, lower-case hex letter, letter, other).
func flip(s string) string {
	if s == "" {
		return "x"
	}
	var c byte
	switch b := s[0]; {
	case b == '0':
		c = '1'
	case isDigit(b):
		c = '0'
	case b == 'a':
		c = 'b'
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z':
		c = 'a'
	case b == '_':
		c = '-'
	default:
		c = '_'
	}
	return string(c) + s[1:]
}

func otherKey(keys []Key, id string) string {
	for _, k := range keys {
		if k.ID != id {
			return k.ID
		}
	}
	return id + "x"
}

func otherVersion(v string) string {
	if v == fuzzVersions[0] {
		return fuzzVersions[1]
	}
	return fuzzVersions[0]
}
