package tools

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"github.com/shopspring/decimal"
)

// The benchmark inputs: one valid and one invalid argument document per tool.
var benchInputs = []struct {
	tool    string
	valid   string
	invalid string
}{
	{
		tool:    "risk.position_limits_check",
		valid:   `{"symbol":"EURUSD","side":"buy","quantity":125000.5,"price":1.08525,"currentPosition":-2500}`,
		invalid: `{"symbol":"XAUUSD","side":"hold","quantity":-1,"price":1.123456789,"currentPosition":1e13}`,
	},
	{
		tool:    "features.ohlcv_window",
		valid:   `{"symbol":"BTC/USD","interval":"1h","end":"2026-10-31T00:00:00Z","window":50}`,
		invalid: `{"symbol":"btc-usd","interval":"2h","end":"2019-01-01T00:00:00Z","window":5000}`,
	},
}

// plainRiskInput and plainWindowInput are the same shapes as the generated
// inputs, for encoding/json without validation (the baseline the generated
// decoder must beat while also validating).
type plainRiskInput struct {
	Symbol          string           `json:"symbol"`
	Side            string           `json:"side"`
	Quantity        decimal.Decimal  `json:"quantity"`
	Price           *decimal.Decimal `json:"price"`
	CurrentPosition *decimal.Decimal `json:"currentPosition"`
}

type plainWindowInput struct {
	Symbol   string    `json:"symbol"`
	Interval string    `json:"interval"`
	End      time.Time `json:"end"`
	Window   *int64    `json:"window"`
}

// publishedValidator compiles a tool's published input schema with
// jsonschema/v5, with format assertion on as mcpgen does.
func publishedValidator(tb testing.TB, tool string) *jsonschema.Schema {
	tb.Helper()
	for _, t := range Tools(UnimplementedHandlers{}) {
		if t.Name != tool {
			continue
		}
		c := jsonschema.NewCompiler()
		c.Draft = jsonschema.Draft2020
		c.AssertFormat = true
		if err := c.AddResource("mem://"+tool, bytes.NewReader(t.InputSchema)); err != nil {
			tb.Fatal(err)
		}
		s, err := c.Compile("mem://" + tool)
		if err != nil {
			tb.Fatal(err)
		}
		return s
	}
	tb.Fatalf("no tool %q", tool)
	return nil
}

func decodeGenerated(tool string, data []byte) error {
	switch tool {
	case "risk.position_limits_check":
		_, err := DecodeRiskPositionLimitsCheckInput(data)
		return err
	case "features.ohlcv_window":
		_, err := DecodeFeaturesOHLCVWindowInput(data)
		return err
	}
	panic(tool)
}

func decodePlain(tool string, data []byte) error {
	switch tool {
	case "risk.position_limits_check":
		var v plainRiskInput
		return json.Unmarshal(data, &v)
	case "features.ohlcv_window":
		var v plainWindowInput
		return json.Unmarshal(data, &v)
	}
	panic(tool)
}

// BenchmarkDecodeValidate compares, on the same bytes: the generated strict
// decoder and validator; jsonschema/v5 decoding and validating; and
// encoding/json decoding into the same shape with no validation at all.
//
//	go test ./examples/trading/tools -run '^$' -bench DecodeValidate -benchmem
func BenchmarkDecodeValidate(b *testing.B) {
	for _, in := range benchInputs {
		v5 := publishedValidator(b, in.tool)
		for _, doc := range []struct{ name, data string }{{"valid", in.valid}, {"invalid", in.invalid}} {
			data := []byte(doc.data)
			b.Run(in.tool+"/"+doc.name+"/mcpgen", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					_ = decodeGenerated(in.tool, data)
				}
			})
			b.Run(in.tool+"/"+doc.name+"/jsonschema-v5", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					v, err := v5Decode(data)
					if err == nil {
						_ = v5.Validate(v)
					}
				}
			})
			b.Run(in.tool+"/"+doc.name+"/encoding-json-no-validation", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					_ = decodePlain(in.tool, data)
				}
			})
		}
	}
}

// TestBenchInputs keeps the benchmark honest: the valid inputs pass both
// validators and the invalid ones fail both.
func TestBenchInputs(t *testing.T) {
	restore := setClock("2026-11-01T00:00:00Z")
	defer restore()
	for _, in := range benchInputs {
		v5 := publishedValidator(t, in.tool)
		for _, doc := range []struct {
			data  string
			valid bool
		}{{in.valid, true}, {in.invalid, false}} {
			err := decodeGenerated(in.tool, []byte(doc.data))
			if (err == nil) != doc.valid {
				t.Errorf("%s: mcpgen on %s: got %v, want valid=%v", in.tool, doc.data, err, doc.valid)
			}
			v, _ := v5Decode([]byte(doc.data))
			if err := v5.Validate(v); (err == nil) != doc.valid {
				t.Errorf("%s: jsonschema/v5 on %s: got %v, want valid=%v", in.tool, doc.data, err, doc.valid)
			}
		}
	}
}

// v5Decode decodes JSON the way jsonschema/v5 expects: numbers as
// json.Number, so it can compare them without float rounding.
func v5Decode(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}
