package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFingerprint(t *testing.T) {
	sum := sha256.Sum256([]byte("mcpgen-fingerprint-v1\n" + keyA.Secret))
	assert.Equal(t, hex.EncodeToString(sum[:])[:32], Fingerprint(keyA.Secret), "the documented shell pipeline gives the same")
	assert.Len(t, Fingerprint(keyA.Secret), 32)
	assert.NotEqual(t, Fingerprint(keyA.Secret), Fingerprint(keyA2.Secret))
	assert.NotContains(t, Fingerprint(keyA.Secret), keyA.Secret)
}

func TestSetKeysRotates(t *testing.T) {
	clock := newFakeClock()
	a, err := New(Config{Mode: ModeHMAC, Keys: []Key{keyA}}, Options{Now: clock.Now})
	require.NoError(t, err)
	srv, _ := serve(t, handler(a))
	call := func(k Key) int { return do(t, nil, signed(t, k, clock, srv.URL, rpcBody, nil)).status }

	assert.Equal(t, []Credential{{ID: keyA.ID, Client: "desk-a", Fingerprint: Fingerprint(keyA.Secret)}}, a.Credentials())
	assert.Equal(t, http.StatusOK, call(keyA))
	assert.Equal(t, http.StatusUnauthorized, call(keyA2))

	// Both keys during the switch, then the new one only.
	require.NoError(t, a.SetKeys([]Key{keyA, keyA2}))
	assert.Equal(t, http.StatusOK, call(keyA))
	assert.Equal(t, http.StatusOK, call(keyA2))
	require.NoError(t, a.SetKeys([]Key{keyA2}))
	assert.Equal(t, http.StatusUnauthorized, call(keyA))
	assert.Equal(t, http.StatusOK, call(keyA2))

	// A bad set changes nothing and names no secret.
	err = a.SetKeys([]Key{keyA, {ID: "short", Secret: "hunter2"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "keys[1] secret must be at least 32 bytes")
	assert.NotContains(t, err.Error(), keyA.Secret)
	assert.Equal(t, http.StatusOK, call(keyA2))
	assert.Equal(t, http.StatusUnauthorized, call(keyA))
	assert.Error(t, a.SetTokens([]Token{tokenA}), "tokens in hmac mode")
}

func TestSetTokensRotates(t *testing.T) {
	a, err := New(Config{Mode: ModeBearer, Tokens: []Token{tokenA}}, Options{})
	require.NoError(t, err)
	srv, _ := serve(t, handler(a))
	call := func(tok Token) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("{}"))
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		return do(t, nil, req).status
	}
	assert.Equal(t, http.StatusOK, call(tokenA))
	assert.Equal(t, http.StatusUnauthorized, call(tokenB))
	require.NoError(t, a.SetTokens([]Token{tokenB}))
	assert.Equal(t, http.StatusUnauthorized, call(tokenA))
	assert.Equal(t, http.StatusOK, call(tokenB))
	creds := a.Credentials()
	require.Len(t, creds, 1)
	assert.Equal(t, "", creds[0].ID)
	assert.Equal(t, Fingerprint(tokenB.Token), creds[0].Fingerprint)
	assert.Equal(t, "unnamed token (fingerprint "+Fingerprint(tokenB.Token)+")", creds[0].String())
	assert.Error(t, a.SetTokens(nil), "no tokens")
	assert.Equal(t, http.StatusOK, call(tokenB))
	assert.Error(t, a.SetKeys([]Key{keyA}), "keys in bearer mode")
}

// A rotation racing requests: every request is checked against one whole
// set, so the key both sets hold is never refused.
func TestSetKeysUnderLoad(t *testing.T) {
	clock := newFakeClock()
	a, err := New(Config{Mode: ModeHMAC, Keys: []Key{keyA, keyB}}, Options{Now: clock.Now})
	require.NoError(t, err)
	srv, _ := serve(t, handler(a))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			other := keyA2
			if i%2 == 0 {
				other = keyB
			}
			if err := a.SetKeys([]Key{keyA, other}); err != nil {
				t.Error(err)
			}
		}
	}()
	for range 200 {
		assert.Equal(t, http.StatusOK, do(t, nil, signed(t, keyA, clock, srv.URL, rpcBody, nil)).status)
	}
	close(stop)
	wg.Wait()
}

func TestCredentialString(t *testing.T) {
	assert.Equal(t, "desk-a-2025 (client desk-a, fingerprint f)", Credential{ID: "desk-a-2025", Client: "desk-a", Fingerprint: "f"}.String())
	assert.Equal(t, "desk-b (fingerprint f)", Credential{ID: "desk-b", Client: "desk-b", Fingerprint: "f"}.String())
}

func TestFileProblemsHaveLines(t *testing.T) {
	path := writeFile(t, `{
  "keys": [
    {"id": "a", "secret": "`+goodSecret+`"},
    {"id": "b",
     "secret": "short"},
    {"id": "a", "secret": "`+goodSecret+`x"}
  ]
}
`)
	_, err := ReadKeysFile(path)
	require.Error(t, err)
	assert.Equal(t, []FileProblem{
		{Line: 4, Message: "keys[1] secret must be at least 32 bytes, got 5 (generate one with: openssl rand -hex 32)"},
		{Line: 6, Message: `keys[2] id "a" is used twice`},
	}, fileProblems(err))

	tests := []struct {
		name, content string
		want          FileProblem
	}{
		{"syntax error", "{\n  \"keys\": [\n    {\"id\": \"a\",,}\n  ]\n}", FileProblem{Line: 3, Message: "is not valid: invalid character ',' looking for beginning of object key string"}},
		{"unknown member", "{\n  \"keys\": [],\n  \"kyes\": []\n}", FileProblem{Line: 3, Message: `is not valid: json: unknown field "kyes"`}},
		{"unknown entry field", "{\"keys\": [\n  {\"id\": \"a\", \"secret\": \"" + goodSecret + "\", \"secrte\": 1}\n]}", FileProblem{Line: 2, Message: `is not valid: json: unknown field "secrte"`}},
		{"not an object", "\n[]", FileProblem{Line: 2, Message: `is not valid: the file must be a JSON object {"keys":[...]}`}},
		{"not an array", "{\"keys\":\n {}}", FileProblem{Line: 2, Message: `is not valid: "keys" must be an array: {"keys":[...]}`}},
		{"twice", "{\"keys\": [],\n\"keys\": []}", FileProblem{Line: 2, Message: `is not valid: "keys" is given twice`}},
		{"trailing", "{\"keys\": []}\n\n{}", FileProblem{Line: 3, Message: "is not valid: data after the JSON object"}},
		{"truncated", "{\"keys\": [\n", FileProblem{Line: 2, Message: "is not valid: unexpected end of the file"}},
		{"empty", "{}", FileProblem{Message: "no keys"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadKeysFile(writeFile(t, tt.content))
			require.Error(t, err)
			assert.Equal(t, []FileProblem{tt.want}, fileProblems(err))
			assert.NotContains(t, err.Error(), goodSecret)
		})
	}

	_, err = ReadTokensFile(writeFile(t, "{\"tokens\": [\n  {\"token\": \"hunter2\"}\n]}"))
	assert.Equal(t, []FileProblem{{Line: 2, Message: "tokens[0] token must be at least 32 characters, got 7 (generate one with: openssl rand -hex 32)"}}, fileProblems(err))
}

func fileProblems(err error) []FileProblem {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	var out []FileProblem
	for _, e := range errs {
		var p *FileProblem
		if errors.As(e, &p) {
			out = append(out, *p)
		}
	}
	return out
}
