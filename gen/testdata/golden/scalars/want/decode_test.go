package scalars

// Hand-written: runs the generated decoder and validator of
// payments.transfer on real JSON. Regeneration never touches this file.

import (
	"reflect"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/typed"
)

const (
	iban1 = `"DE89370400440532013000"`
	iban2 = `"GB29NWBK60161331926819"`
)

// minimal returns the required members followed by extra ones.
func minimal(extra string) string {
	return `{"from":` + iban1 + `,"to":` + iban2 + `,"amount":12.5,"currency":"EUR"` + extra + `}`
}

func TestDecodeValid(t *testing.T) {
	restore := typed.SetClock(func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) })
	defer restore()

	in, err := DecodePaymentsTransferInput([]byte(`{
		"from": " de89370400440532013000 ", "to": ` + iban2 + `, "amount": 1000000, "fee": "0.0001",
		"currency": " usd ", "instalments": 12, "ratio": 0.5, "urgent": true,
		"executeAt": "2026-03-31T12:00:00+00:00", "valueDate": "2026-03-02", "reference": "Invoice 2026-0042",
		"notify": "ops@example.com", "requestId": "123e4567-e89b-12d3-a456-426614174000",
		"clientIp": "192.0.2.1", "clientIpv6": "2001:db8::1", "host": "bank.example.com", "pin": "0042",
		"channel": "api"}`))
	if err != nil {
		t.Fatalf("valid input rejected: %v", err)
	}
	if in.From != "DE89370400440532013000" {
		t.Errorf("From = %q; want it trimmed and upper-cased", in.From)
	}
	if in.Currency != "USD" {
		t.Errorf("Currency = %q; want USD", in.Currency)
	}
	if in.Amount.String() != "1000000" || in.Fee.Value.String() != "0.0001" {
		t.Errorf("Amount, Fee = %s, %s; want exact decimals 1000000, 0.0001", in.Amount, in.Fee.Value)
	}
	if in.Instalments != 12 || in.Ratio.Value != 0.5 || !in.Urgent.Value {
		t.Errorf("Instalments, Ratio, Urgent = %+v, %+v, %+v", in.Instalments, in.Ratio, in.Urgent)
	}
	if want := time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC); !in.ExecuteAt.Value.Equal(want) {
		t.Errorf("ExecuteAt = %v; want %v", in.ExecuteAt.Value, want)
	}
	if in.Channel.Value != PaymentsTransferInputChannelAPI {
		t.Errorf("Channel = %q", in.Channel.Value)
	}
	if in.Callback.Set {
		t.Error("Callback is set though the input has no callback")
	}
}

func TestDecodeInvalid(t *testing.T) {
	restore := typed.SetClock(func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) })
	defer restore()

	v := func(pointer, keyword, message string) mcperr.Violation {
		return mcperr.Violation{Pointer: pointer, Keyword: keyword, Message: message}
	}
	tests := []struct {
		name  string
		input string
		code  mcperr.Code
		want  []mcperr.Violation
	}{{
		name:  "every required member missing",
		input: `{}`,
		code:  mcperr.CodeInvalidArgs,
		want: []mcperr.Violation{
			v("/from", "required", "missing required property"),
			v("/to", "required", "missing required property"),
			v("/amount", "required", "missing required property"),
			v("/currency", "required", "missing required property"),
		},
	}, {
		name:  "wrong JSON types",
		input: `{"from":1,"to":` + iban2 + `,"amount":"12.5","currency":"EUR","urgent":"yes","instalments":1.5}`,
		code:  mcperr.CodeInvalidArgs,
		want: []mcperr.Violation{
			v("/from", "type", "must be string, got number"),
			v("/amount", "type", "must be number, got string"),
			v("/urgent", "type", "must be boolean, got string"),
			v("/instalments", "type", "must be integer, got number"),
		},
	}, {
		name:  "decimal places, bounds and multipleOf checked exactly",
		input: `{"from":` + iban1 + `,"to":` + iban2 + `,"amount":1000000.005,"currency":"EUR","fee":"50.00001"}`,
		code:  mcperr.CodeInvalidArgs,
		want: []mcperr.Violation{
			v("/amount", "x-decimal", "must have at most 2 decimal places"),
			v("/amount", "maximum", "must be <= 1000000"),
			v("/amount", "multipleOf", "must be a multiple of 0.01"),
			v("/fee", "x-decimal", "must have at most 4 decimal places"),
			v("/fee", "maximum", "must be <= 50"),
		},
	}, {
		name:  "exclusive bounds",
		input: `{"from":` + iban1 + `,"to":` + iban2 + `,"amount":0,"currency":"EUR","ratio":1}`,
		code:  mcperr.CodeInvalidArgs,
		want: []mcperr.Violation{
			v("/amount", "exclusiveMinimum", "must be > 0"),
			v("/ratio", "exclusiveMaximum", "must be < 1"),
		},
	}, {
		name:  "decimal string that is not a number",
		input: minimal(`,"fee":"1,5"`),
		code:  mcperr.CodeInvalidArgs,
		want:  []mcperr.Violation{v("/fee", "x-decimal", `must be a decimal number written as a JSON number literal, such as "12.50"`)},
	}, {
		name:  "value outside the allowlist is MCP-015",
		input: `{"from":` + iban1 + `,"to":` + iban2 + `,"amount":1,"currency":"CHF"}`,
		code:  mcperr.CodeInvalidSymbol,
		want:  []mcperr.Violation{v("/currency", "x-allowlist", "must be one of the allowed currencies: EUR, GBP, JPY, USD")},
	}, {
		name:  "pattern, lengths and normalization",
		input: `{"from":"DE89","to":` + iban2 + `,"amount":1,"currency":"EUR","reference":"","pin":"12a4"}`,
		code:  mcperr.CodeInvalidArgs,
		want: []mcperr.Violation{
			v("/from", "pattern", "must match the pattern ^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$"),
			v("/reference", "minLength", "must be at least 1 character long"),
			v("/pin", "pattern", "must match the pattern ^[0-9]{4,6}$"),
		},
	}, {
		name:  "formats",
		input: minimal(`,"valueDate":"2026-02-30","notify":"not-an-email","requestId":"123","clientIp":"192.0.2","clientIpv6":"2001:db8::g","host":"-bank-"`),
		code:  mcperr.CodeInvalidArgs,
		want: []mcperr.Violation{
			v("/valueDate", "format", `must be an RFC 3339 full-date such as "2026-01-02"`),
			v("/notify", "format", "must be an email address"),
			v("/requestId", "format", `must be a UUID such as "123e4567-e89b-12d3-a456-426614174000"`),
			v("/clientIp", "format", "must be an IPv4 address in dotted-quad form"),
			v("/clientIpv6", "format", "must be an IPv6 address"),
			v("/host", "format", "must be a host name"),
		},
	}, {
		name:  "date-time window relative to the injected clock",
		input: minimal(`,"executeAt":"2026-03-01T10:59:59Z"`),
		code:  mcperr.CodeInvalidArgs,
		want:  []mcperr.Violation{v("/executeAt", "x-datetime", "must not be before 2026-03-01T11:00:00Z (now-1h0m0s)")},
	}, {
		name:  "outbound URL to a private address is MCP-016, which outranks MCP-015",
		input: `{"from":` + iban1 + `,"to":` + iban2 + `,"amount":1,"currency":"CHF","callback":"http://127.0.0.1:8080/hook"}`,
		code:  mcperr.CodeSSRFBlocked,
		want: []mcperr.Violation{
			v("/currency", "x-allowlist", "must be one of the allowed currencies: EUR, GBP, JPY, USD"),
			v("/callback", "x-outbound-url", "blocked by the outbound URL policy: address 127.0.0.1 is in blocked range 127.0.0.0/8 (loopback)"),
		},
	}, {
		name:  "unknown and duplicate members",
		input: `{"from":` + iban1 + `,"from":` + iban1 + `,"to":` + iban2 + `,"amount":1,"currency":"EUR","memo":"x"}`,
		code:  mcperr.CodeInvalidArgs,
		want: []mcperr.Violation{
			v("/from", "json", "duplicate key"),
			v("/memo", "additionalProperties", "unknown property; not allowed by the schema"),
		},
	}, {
		name:  "trailing data",
		input: minimal(``) + `{}`,
		code:  mcperr.CodeInvalidArgs,
		want:  []mcperr.Violation{v("", "json", "unexpected data after the JSON value")},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodePaymentsTransferInput([]byte(tt.input))
			if err == nil {
				t.Fatal("invalid input accepted")
			}
			e := mcperr.AsError(err)
			if e.Code != tt.code {
				t.Errorf("code %s; want %s (%v)", e.Code, tt.code, err)
			}
			if !reflect.DeepEqual(e.Violations, tt.want) {
				t.Errorf("violations:\n got %+v\nwant %+v", e.Violations, tt.want)
			}
		})
	}
}

func TestOutputValidation(t *testing.T) {
	out := PaymentsTransferOutput{TransferID: "nope", Attempts: typed.Opt[int64]{Set: true, Value: 0}}
	err := out.Validate()
	want := []mcperr.Violation{
		{Pointer: "/transferId", Keyword: "format", Message: `must be a UUID such as "123e4567-e89b-12d3-a456-426614174000"`},
		{Pointer: "/attempts", Keyword: "minimum", Message: "must be >= 1"},
	}
	if e := mcperr.AsError(err); !reflect.DeepEqual(e.Violations, want) {
		t.Errorf("violations:\n got %+v\nwant %+v", e.Violations, want)
	}
}
