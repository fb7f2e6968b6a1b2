package redact_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/security/redact"
)

// logTo returns a logger that writes JSON lines without the time to buf,
// through a redacting handler.
func logTo(buf *bytes.Buffer, opts redact.Options) *slog.Logger {
	jh := slog.NewJSONHandler(buf, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey) {
				return slog.Attr{}
			}
			return a
		},
	})
	return slog.New(redact.NewHandler(jh, opts))
}

type account struct{ user, token string }

func (a account) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user", a.user), slog.String("token", a.token))
}

func TestHandler(t *testing.T) {
	tests := []struct {
		name string
		log  func(*slog.Logger)
		want string
	}{
		{"sensitive keys",
			func(l *slog.Logger) {
				l.Info("call", "password", "hunter2", "user", "ann", "Authorization", "Bearer abc",
					"X-API-Key", "k1", "apiKey", "k2", "client_secret", "s", "AUTH_TOKEN", "t",
					"Set-Cookie", "c", "X-Signature", "sig", "aws_credentials", "cr", "privateKey", "pk",
					"Mcp-Session-Id", "sid", "otp", 123456, "passwd", "p")
			},
			`{"msg":"call","password":"[REDACTED]","user":"ann","Authorization":"[REDACTED]","X-API-Key":"[REDACTED]","apiKey":"[REDACTED]","client_secret":"[REDACTED]","AUTH_TOKEN":"[REDACTED]","Set-Cookie":"[REDACTED]","X-Signature":"[REDACTED]","aws_credentials":"[REDACTED]","privateKey":"[REDACTED]","Mcp-Session-Id":"[REDACTED]","otp":"[REDACTED]","passwd":"[REDACTED]"}`},
		{"key as a whole word only",
			func(l *slog.Logger) {
				l.Info("kv", "key", "portfolio/main", "signingKey", "sk", "monkey", "banana", "keyboard", "qwerty",
					"idempotency_key", "k-1", "key_id", "v1", "publicKey", "pub")
			},
			`{"msg":"kv","key":"[REDACTED]","signingKey":"[REDACTED]","monkey":"banana","keyboard":"qwerty","idempotency_key":"k-1","key_id":"v1","publicKey":"pub"}`},
		{"keys marked sensitive",
			func(l *slog.Logger) {
				l.Info("order", "iban", "DE89370400440532013000", "SSN", "078-05-1120", "accountNumber", 12345, "qty", 3)
			},
			`{"msg":"order","iban":"[REDACTED]","SSN":"[REDACTED]","accountNumber":"[REDACTED]","qty":3}`},
		{"bearer and basic credentials in the message",
			func(l *slog.Logger) {
				l.Info("sent Authorization: Bearer abc.DEF-123= and basic dXNlcjpwYXNz to upstream")
			},
			`{"msg":"sent Authorization: [REDACTED] and basic [REDACTED] to upstream"}`},
		{"JWT",
			func(l *slog.Logger) {
				l.Info("token check", "detail", "got eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl from client")
			},
			`{"msg":"token check","detail":"got [REDACTED] from client"}`},
		{"URL userinfo",
			func(l *slog.Logger) {
				l.Info("connect", "dsn", "postgres://admin:s3cret@db.example.com:5432/app", "url", "https://user@example.com/")
			},
			`{"msg":"connect","dsn":"postgres://[REDACTED]@db.example.com:5432/app","url":"https://[REDACTED]@example.com/"}`},
		{"name=value pairs",
			func(l *slog.Logger) {
				l.Info("GET /v1/quotes?symbol=SPY&api_key=abc123&access_token=x.y", "body", `{"user": "ann", "password": "p\"w", "n": 1}`,
					"cfg", "key=0123456789abcdef secret: 'x y' mode=fast")
			},
			`{"msg":"GET /v1/quotes?symbol=SPY&api_key=[REDACTED]&access_token=[REDACTED]","body":"{\"user\": \"ann\", \"password\": \"[REDACTED]\", \"n\": 1}","cfg":"key=[REDACTED] secret: '[REDACTED]' mode=fast"}`},
		{"header and configuration text",
			func(l *slog.Logger) {
				l.Info("headers", "dump", "Authorization:Bearer xyz\nCookie: a=1; sid=2\nAccept: */*", "env", `DB_PASSWORD = "a b" PORT=5432 API_TOKEN='q'`,
					"open", `password="unterminated and more`)
			},
			`{"msg":"headers","dump":"Authorization:[REDACTED]\nCookie: [REDACTED]\nAccept: */*","env":"DB_PASSWORD = \"[REDACTED]\" PORT=5432 API_TOKEN='[REDACTED]'","open":"password=\"[REDACTED]\""}`},
		{"well-known API key formats",
			func(l *slog.Logger) {
				l.Info("keys", "aws", "id AKIAIOSFODNN7EXAMPLE ok", "gh", "ghp_"+strings.Repeat("a", 36),
					"stripe", "sk_live_"+strings.Repeat("Z", 24))
			},
			`{"msg":"keys","aws":"id [REDACTED] ok","gh":"[REDACTED]","stripe":"[REDACTED]"}`},
		{"e-mail addresses",
			func(l *slog.Logger) {
				l.Info("mail to ann.lee+mcp@example.co.uk failed", "cc", "Bob <bob@example.com>")
			},
			`{"msg":"mail to [REDACTED_EMAIL] failed","cc":"Bob <[REDACTED_EMAIL]>"}`},
		{"card numbers that pass Luhn",
			func(l *slog.Logger) {
				l.Info("pay", "visa", "card 4111 1111 1111 1111 charged", "amex", "3782-822463-10005",
					"bad_luhn", "4111 1111 1111 1112", "millis", "1700000000000", "long", "41111111111111111111111")
			},
			`{"msg":"pay","visa":"card [REDACTED_CARD] charged","amex":"[REDACTED_CARD]","bad_luhn":"4111 1111 1111 1112","millis":"1700000000000","long":"41111111111111111111111"}`},
		{"groups",
			func(l *slog.Logger) {
				l.Info("req", slog.Group("http", "method", "POST", slog.Group("headers", "Authorization", "Bearer x", "Accept", "*/*")),
					slog.Group("credentials", "user", "ann", "pin", 1234))
			},
			`{"msg":"req","http":{"method":"POST","headers":{"Authorization":"[REDACTED]","Accept":"*/*"}},"credentials":"[REDACTED]"}`},
		{"WithAttrs and WithGroup",
			func(l *slog.Logger) {
				l.With("token", "t0", "svc", "quotes").WithGroup("secrets").Info("loaded", "db", "pw", "count", 2)
			},
			`{"msg":"loaded","token":"[REDACTED]","svc":"quotes","secrets":{"db":"[REDACTED]","count":"[REDACTED]"}}`},
		{"Secret under an innocent key",
			func(l *slog.Logger) {
				l.Info("x", "value", redact.Secret("hunter2"), "list", []any{redact.Secret("hunter2")})
			},
			`{"msg":"x","value":"[REDACTED]","list":["[REDACTED]"]}`},
		{"LogValuer",
			func(l *slog.Logger) { l.Info("acct", "who", account{"ann", "t0"}) },
			`{"msg":"acct","who":{"user":"ann","token":"[REDACTED]"}}`},
		{"errors",
			func(l *slog.Logger) {
				l.Error("fetch failed", "err", errors.New(`Get "https://svc:pw@api.example.com/": dial tcp: timeout`))
			},
			`{"msg":"fetch failed","err":"Get \"https://[REDACTED]@api.example.com/\": dial tcp: timeout"}`},
		{"maps and JSON documents",
			func(l *slog.Logger) {
				l.Info("args",
					"m", map[string]any{"password": "x", "nested": map[string]any{"token": "y", "ok": "z"}, "n": 1},
					"h", map[string]string{"Cookie": "c", "Accept": "json"},
					"raw", json.RawMessage(`{"user":"ann","iban":"DE89","items":[{"secret":"s"}]}`),
					"bad", json.RawMessage(`{"token": "x"`))
			},
			`{"msg":"args","m":{"n":1,"nested":{"ok":"z","token":"[REDACTED]"},"password":"[REDACTED]"},"h":{"Accept":"json","Cookie":"[REDACTED]"},"raw":{"iban":"[REDACTED]","items":[{"secret":"[REDACTED]"}],"user":"ann"},"bad":"{\"token\": \"[REDACTED]\""}`},
		{"other kinds pass through",
			func(l *slog.Logger) { l.Info("ok", "n", 42, "f", 1.5, "b", true, "d", 1500000000, "s", "plain text") },
			`{"msg":"ok","n":42,"f":1.5,"b":true,"d":1500000000,"s":"plain text"}`},
	}
	opts := redact.Options{SensitiveKeys: []string{"/account/iban", "ssn", "account_number"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.log(logTo(&buf, opts))
			if got := strings.TrimSuffix(buf.String(), "\n"); got != tt.want {
				t.Errorf("\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestSensitiveKey(t *testing.T) {
	r := redact.New(redact.Options{SensitiveKeys: []string{"/payment/card~1number", "Tax-ID"}})
	tests := []struct {
		key  string
		want bool
	}{
		{"password", true}, {"PASSWORD", true}, {"db_password", true}, {"passphrase", true},
		{"token", true}, {"accessToken", true}, {"refresh-token", true}, {"max_tokens", true},
		{"authorization", true}, {"Proxy-Authorization", true},
		{"secret", true}, {"clientSecret", true},
		{"api_key", true}, {"apikey", true}, {"APIKey", true}, {"XAPIKey", true}, {"x-api-key", true},
		{"key", true}, {"Key", true}, {"hmac_key", true}, {"signing.key", true},
		{"cookie", true}, {"signature", true}, {"sig", true}, {"credentials", true}, {"jwt", true},
		{"pwd", true}, {"cvv", true},
		{"card/number", true}, {"taxId", true}, {"tax_id", true},
		{"monkey", false}, {"keyboard", false}, {"keys", false}, {"turkey", false},
		{"idempotency_key", false}, {"Idempotency-Key", false}, {"keyId", false}, {"public_key", false},
		{"user", false}, {"tool", false}, {"client_id", false}, {"status", false}, {"", false},
		{"author", false}, {"signal", false},
	}
	for _, tt := range tests {
		if got := r.SensitiveKey(tt.key); got != tt.want {
			t.Errorf("SensitiveKey(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := redact.Secret("hunter2")
	type config struct {
		User string
		Pass redact.Secret
	}
	j, err := json.Marshal(config{"ann", s})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, got, want string
	}{
		{"%v", fmt.Sprintf("%v", s), "[REDACTED]"},
		{"%s", fmt.Sprintf("%s", s), "[REDACTED]"},
		{"%q", fmt.Sprintf("%q", s), "[REDACTED]"},
		{"%x", fmt.Sprintf("%x", s), "[REDACTED]"},
		{"%d", fmt.Sprintf("%d", s), "[REDACTED]"},
		{"%#v", fmt.Sprintf("%#v", s), "[REDACTED]"},
		{"%+v in a struct", fmt.Sprintf("%+v", config{"ann", s}), "{User:ann Pass:[REDACTED]}"},
		{"Sprint", fmt.Sprint(s), "[REDACTED]"},
		{"String", s.String(), "[REDACTED]"},
		{"json", string(j), `{"User":"ann","Pass":"[REDACTED]"}`},
		{"string conversion", string(s), "hunter2"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "v", s)
	if strings.Contains(buf.String(), "hunter2") {
		t.Errorf("text handler printed the secret: %s", buf.String())
	}
}
