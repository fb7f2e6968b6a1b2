package auth

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSignerRoundTripsAgainstTheVerifier(t *testing.T) {
	url, clock, d := hmacServer(t, Config{Keys: []Key{keyA, keyA2, keyB}})
	client := &http.Client{Transport: &Signer{Key: keyA2, Now: clock.Now}}
	tests := []struct {
		method, path, contentType, body string
	}{
		{http.MethodPost, "/mcp", "application/json", rpcBody},
		{http.MethodPost, "/mcp", "application/json", rpcBody}, // the same again: a new nonce
		{http.MethodGet, "/mcp", "", ""},
		{http.MethodDelete, "/mcp", "", ""},
		{http.MethodPost, "/mcp/a%20b?z=1&a=x+y&a=%41&flag", "application/json; charset=utf-8", `{"é":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, err := http.NewRequest(tt.method, url+tt.path, body)
			require.NoError(t, err)
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp := do(t, client, req)
			require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
			assert.Equal(t, seen{Client: "desk-a", Body: tt.body}, resp.seen(t))
			assert.Empty(t, req.Header.Get("X-Signature"), "the caller's request is left as it was")
		})
	}
	assert.Equal(t, int64(len(tests)), d.runs.Load())
}

func TestSignerIdempotencyKey(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Idempotency-Key"))
	}))
	defer srv.Close()
	client := &http.Client{Transport: &Signer{Key: keyA}}
	send := func(ctx context.Context, header string) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader(`{}`))
		require.NoError(t, err)
		if header != "" {
			req.Header.Set("Idempotency-Key", header)
		}
		resp, err := client.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	send(context.Background(), "")
	send(context.Background(), "")
	send(WithIdempotencyKey(context.Background(), "order-42"), "")
	send(WithIdempotencyKey(context.Background(), "order-42"), "order-43")

	require.Len(t, got, 4)
	assert.Regexp(t, `^[0-9a-f]{32}$`, got[0], "a fresh random key")
	assert.NotEqual(t, got[0], got[1])
	assert.Equal(t, "order-42", got[2], "from the context")
	assert.Equal(t, "order-43", got[3], "the request's own header first")
}

func TestSignerErrors(t *testing.T) {
	tests := []struct {
		name   string
		signer *Signer
		ctx    context.Context
		want   string
	}{
		{"bad key ID", &Signer{Key: Key{ID: "a b", Secret: keyA.Secret}}, context.Background(),
			`auth: signing POST http://127.0.0.1:1/mcp: key ID must be 1 to 64 characters of A-Z a-z 0-9 _ . -, got "a b"`},
		{"no secret", &Signer{Key: Key{ID: "a"}}, context.Background(),
			"auth: signing POST http://127.0.0.1:1/mcp: the key has no secret"},
		{"bad idempotency key", &Signer{Key: keyA}, WithIdempotencyKey(context.Background(), "order 42"),
			"auth: signing POST http://127.0.0.1:1/mcp: Idempotency-Key must be 1 to 128 characters of A-Z a-z 0-9 _ . : -"},
		{"bad API version", &Signer{Key: keyA, APIVersion: "v 2"}, context.Background(),
			"auth: signing POST http://127.0.0.1:1/mcp: API version must be 1 to 32 characters of A-Z a-z 0-9 . -"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(tt.ctx, http.MethodPost, "http://127.0.0.1:1/mcp", strings.NewReader(`{}`))
			require.NoError(t, err)
			_, err = tt.signer.RoundTrip(req)
			assert.EqualError(t, err, tt.want)
			assert.NotContains(t, err.Error(), keyA.Secret)
		})
	}
}

func TestSignRequestHeaders(t *testing.T) {
	at := time.Unix(1_767_225_600, 0)
	h, canonical, err := SignRequestHeaders(keyB, SignParams{
		Method: "POST", URL: "https://MCP.example.com:8443/mcp?b=2&a=1", ContentType: "application/json",
		Body: []byte(`{}`), IdempotencyKey: "order-42", Nonce: "nonce-0123456789abcdef", Time: at,
	})
	require.NoError(t, err)
	assert.Equal(t, "MCP-HMAC-SHA256-V1\ndesk-b\n1767225600\nnonce-0123456789abcdef\nPOST\nmcp.example.com:8443\n/mcp\na=1&b=2\n1.0.0\norder-42\napplication/json\n"+
		"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", canonical)
	assert.Equal(t, []string{"Content-Type", "Idempotency-Key", "X-Api-Version", "X-Key-Id", "X-Nonce", "X-Signature", "X-Timestamp"}, sortedKeys(h))
	assert.Regexp(t, `^[0-9a-f]{64}$`, h.Get("X-Signature"))

	for _, tt := range []struct {
		name string
		p    SignParams
		want string
	}{
		{"relative URL", SignParams{URL: "/mcp"}, `auth: URL "/mcp" has no host: give an absolute URL like https://mcp.example.com/mcp`},
		{"bad nonce", SignParams{URL: "http://h/mcp", Nonce: "short"}, "auth: nonce must be 16 to 128 characters of A-Z a-z 0-9 _ -"},
		{"bad content type", SignParams{URL: "http://h/mcp", ContentType: "application/jsön"}, "auth: Content-Type must be printable ASCII"},
		{"bad method", SignParams{URL: "http://h/mcp", Method: "PO ST"}, `auth: method "PO ST" is not an HTTP token`},
		{"bad query", SignParams{URL: "http://h/mcp?a=%zz"}, "auth: query is not valid percent-encoding"},
		{"time before 1970", SignParams{URL: "http://h/mcp", Time: time.Unix(-5, 0)}, "auth: time must be after 1970 and before the year 33658"},
	} {
		_, _, err := SignRequestHeaders(keyB, tt.p)
		assert.EqualError(t, err, tt.want, tt.name)
	}
}

func sortedKeys(h http.Header) []string {
	var keys []string
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
