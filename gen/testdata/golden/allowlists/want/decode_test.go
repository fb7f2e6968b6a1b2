package allowlists

// Hand-written: runs the generated decoder and validators of quotes.request
// on real JSON. Regeneration never touches this file.

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
)

const (
	symbols = "must be one of the allowed symbols: AUDUSD, BTC/USD, EURUSD, GBPUSD, USDJPY"
	venues  = "must be one of the 40 allowed venues (too many to list)"
)

func v(pointer, message string) mcperr.Violation {
	return mcperr.Violation{Pointer: pointer, Keyword: "x-allowlist", Message: message}
}

func TestAllowlistViolations(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []mcperr.Violation
	}{
		{"short list is named, sorted", `{"symbol":"XAUUSD"}`,
			[]mcperr.Violation{v("/symbol", symbols)}},
		{"nullable property", `{"symbol":"EURUSD","hedge":"XAUUSD"}`,
			[]mcperr.Violation{v("/hedge", symbols)}},
		{"long list is counted", `{"symbol":"EURUSD","venue":"V41"}`,
			[]mcperr.Violation{v("/venue", venues)}},
		{"through a shared schema", `{"symbol":"EURUSD","preferred":"V00"}`,
			[]mcperr.Violation{v("/preferred", venues)}},
		{"array items", `{"symbol":"EURUSD","legs":["GBPUSD","XAUUSD"]}`,
			[]mcperr.Violation{v("/legs/1", symbols)}},
		{"dynamic validator", `{"symbol":"EURUSD","pair":"XAUUSD"}`,
			[]mcperr.Violation{v("/pair", symbols)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeQuotesRequestInput([]byte(tt.input))
			e := mcperr.AsError(err)
			if e.Code != mcperr.CodeInvalidSymbol || !reflect.DeepEqual(e.Violations, tt.want) {
				t.Errorf("code %s, violations:\n got %+v\nwant %+v", e.Code, e.Violations, tt.want)
			}
		})
	}
}

func TestAllowlistValid(t *testing.T) {
	in, err := DecodeQuotesRequestInput([]byte(`{"symbol":" btc/usd ","hedge":null,"venue":"V40","preferred":"V01","legs":["AUDUSD","GBPUSD"],"either":7,"pair":"EURUSD"}`))
	if err != nil {
		t.Fatalf("valid input rejected: %v", err)
	}
	if in.Symbol != "BTC/USD" {
		t.Errorf("Symbol = %q; want it normalized", in.Symbol)
	}
	if want := []string{"AUDUSD", "GBPUSD"}; !reflect.DeepEqual(in.Legs.Value, want) {
		t.Errorf("Legs = %q; want %q (allowed items are kept)", in.Legs.Value, want)
	}
}

// TestReplacedListIsReported: the violation describes the list as it is
// now; the published schema keeps the declared values.
func TestReplacedListIsReported(t *testing.T) {
	published := string(Tools(UnimplementedHandlers{})[0].InputSchema)
	AllowlistSymbols.Replace([]string{"XAUUSD", "XAGUSD"})
	defer AllowlistSymbols.Replace([]string{"EURUSD", "GBPUSD", "USDJPY", "AUDUSD", "BTC/USD"})

	if _, err := DecodeQuotesRequestInput([]byte(`{"symbol":"XAUUSD"}`)); err != nil {
		t.Errorf("value added by Replace rejected: %v", err)
	}
	_, err := DecodeQuotesRequestInput([]byte(`{"symbol":"EURUSD","pair":"EURUSD"}`))
	want := []mcperr.Violation{
		v("/symbol", "must be one of the allowed symbols: XAGUSD, XAUUSD"),
		v("/pair", "must be one of the allowed symbols: XAGUSD, XAUUSD"),
	}
	if e := mcperr.AsError(err); e.Code != mcperr.CodeInvalidSymbol || !reflect.DeepEqual(e.Violations, want) {
		t.Errorf("code %s, violations:\n got %+v\nwant %+v", e.Code, e.Violations, want)
	}
	if now := string(Tools(UnimplementedHandlers{})[0].InputSchema); now != published {
		t.Errorf("Replace changed the published schema:\n got %s\nwant %s", now, published)
	}
}

// TestPublishedEnums checks what a client sees: the declared values, in
// their declared order, where the definition publishes them (null too for
// a nullable property), and nothing where it does not.
func TestPublishedEnums(t *testing.T) {
	tool := Tools(UnimplementedHandlers{})[0]
	var in struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Defs       map[string]json.RawMessage `json:"$defs"`
	}
	if err := json.Unmarshal(tool.InputSchema, &in); err != nil {
		t.Fatal(err)
	}
	declared := `["EURUSD","GBPUSD","USDJPY","AUDUSD","BTC/USD"]`
	for name, want := range map[string]string{
		"symbol": `{"type":"string","description":"Traded symbol.","enum":` + declared + `}`,
		"hedge":  `{"type":["string","null"],"enum":["EURUSD","GBPUSD","USDJPY","AUDUSD","BTC/USD",null]}`,
		"venue":  `{"type":"string"}`,
		"either": `{"anyOf":[{"type":"string","enum":` + declared + `},{"type":"integer","minimum":1}]}`,
		"pair":   `{"allOf":[{"type":"string"},{"maxLength":6}]}`,
	} {
		if got := compactJSON(in.Properties[name]); got != want {
			t.Errorf("published %s:\n got %s\nwant %s", name, got, want)
		}
	}
	if got, want := compactJSON(in.Defs["leg"]), `{"type":"string"}`; got != want {
		t.Errorf(`published $defs/leg ("publish": false):`+"\n got %s\nwant %s", got, want)
	}
	if shared := compactJSON(in.Defs["common.json"]); !strings.Contains(shared, `"enum":["V40","V39",`) {
		t.Errorf("the shared venue schema does not publish its list:\n%s", shared)
	}
	if out := string(tool.OutputSchema); strings.Contains(out, "enum") {
		t.Errorf("the output schema publishes an allowlist it does not ask to:\n%s", out)
	}
}

// compactJSON returns raw without the indentation of the published
// schema, as a client that re-encodes it sees it.
func compactJSON(raw []byte) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}
