package tools

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
)

// The differential test runs the generated decoders and jsonschema/v5 (on
// the published schema, format assertion on) over the same documents and
// requires them to agree, except where mcpgen deliberately does more. Each
// deliberate difference is one of these, and a disagreement must be
// explained by one of them:
//
//   - extension keywords (x-allowlist, x-decimal scale, x-datetime window):
//     the published schema has no x- keys, so v5 accepts what mcpgen refuses;
//   - x-normalize: mcpgen trims and re-cases before checking, so it accepts
//     " eurusd " where v5's pattern refuses it;
//   - duplicate keys: v5 (through encoding/json) keeps the last one, mcpgen
//     refuses the document;
//   - integers beyond int64 and number literals longer than 100 characters:
//     valid JSON Schema, refused by mcpgen as out of range.
type differentialCase struct {
	tool string
	doc  string
	// why names the deliberate difference when the two disagree; "" means
	// they must agree.
	why string
}

var differentialCorpus = []differentialCase{
	{"risk.position_limits_check", `{"symbol":"EURUSD","side":"buy","quantity":1}`, ""},
	{"risk.position_limits_check", `{"symbol":"EURUSD","side":"sell","quantity":0.00000001,"price":0.000001}`, ""},
	{"risk.position_limits_check", `{"symbol":"EURUSD","side":"buy","quantity":1000000000000}`, ""},
	{"risk.position_limits_check", `{"symbol":"EURUSD","side":"buy","quantity":1000000000000.00000001}`, ""},
	{"risk.position_limits_check", `{"symbol":"EURUSD","side":"buy","quantity":0}`, ""},
	{"risk.position_limits_check", `{"symbol":"EURUSD","side":"buy","quantity":-0.5}`, ""},
	{"risk.position_limits_check", `{"symbol":"EURUSD","side":"buy","quantity":"1"}`, ""},
	{"risk.position_limits_check", `{"symbol":"EURUSD","side":"buy"}`, ""},
	{"risk.position_limits_check", `{"symbol":"EURUSD","side":"buy","quantity":1,"extra":true}`, ""},
	{"risk.position_limits_check", `{"symbol":"EURUSD","side":"hold","quantity":1}`, ""},
	{"risk.position_limits_check", `{"symbol":"EURUSD","side":"buy","quantity":1,"price":1000000000.000001}`, ""},
	{"risk.position_limits_check", `{"symbol":"EURUSD","side":"buy","quantity":1,"currentPosition":-1000000000000}`, ""},
	{"risk.position_limits_check", `{"symbol":"EURUSD","side":"buy","quantity":1,"currentPosition":-1000000000001}`, ""},
	{"risk.position_limits_check", `[]`, ""},
	{"risk.position_limits_check", `{"symbol":"XAUUSD","side":"buy","quantity":1}`, "x-allowlist"},
	{"risk.position_limits_check", `{"symbol":"EURUSD","side":"buy","quantity":1.123456789}`, "x-decimal"},
	{"risk.position_limits_check", `{"symbol":"EURUSD","side":"buy","quantity":1,"price":1.1234567}`, "x-decimal"},
	{"risk.position_limits_check", `{"symbol":" eurusd ","side":"BUY","quantity":1}`, "x-normalize"},
	{"risk.position_limits_check", `{"symbol":"EURUSD","symbol":"GBPUSD","side":"buy","quantity":1}`, "duplicate key"},
	{"risk.position_limits_check", `{"symbol":"EURUSD","side":"buy","quantity":1e-7}`, ""},
	{"risk.position_limits_check", `{"symbol":"EURUSD","side":"buy","quantity":1.5e3}`, ""},
	{"features.ohlcv_window", `{"symbol":"EURUSD","interval":"1h","end":"2026-10-31T00:00:00Z"}`, ""},
	{"features.ohlcv_window", `{"symbol":"EURUSD","interval":"1h","end":"2026-10-31T00:00:00Z","window":2}`, ""},
	{"features.ohlcv_window", `{"symbol":"EURUSD","interval":"1h","end":"2026-10-31T00:00:00Z","window":1}`, ""},
	{"features.ohlcv_window", `{"symbol":"EURUSD","interval":"1h","end":"2026-10-31T00:00:00Z","window":1000}`, ""},
	{"features.ohlcv_window", `{"symbol":"EURUSD","interval":"1h","end":"2026-10-31T00:00:00Z","window":1001}`, ""},
	{"features.ohlcv_window", `{"symbol":"EURUSD","interval":"1h","end":"2026-10-31T00:00:00Z","window":2.5}`, ""},
	{"features.ohlcv_window", `{"symbol":"EURUSD","interval":"1h","end":"2026-10-31T00:00:00Z","window":50.0}`, ""},
	{"features.ohlcv_window", `{"symbol":"EURUSD","interval":"2h","end":"2026-10-31T00:00:00Z"}`, ""},
	{"features.ohlcv_window", `{"symbol":"EURUSD","interval":"1h","end":"yesterday"}`, ""},
	{"features.ohlcv_window", `{"symbol":"EURUSD","interval":"1h","end":"2026-10-31"}`, ""},
	{"features.ohlcv_window", `{"symbol":"EURUSD","interval":"1h","end":"2026-10-31T00:00:00+05:30"}`, ""},
	{"features.ohlcv_window", `{"symbol":"EURUSD","interval":"1h","end":"2020-10-31T00:00:00Z"}`, "x-datetime"},
	{"features.ohlcv_window", `{"symbol":"EURUSD","interval":"1h","end":"2026-11-05T00:00:00Z"}`, "x-datetime"},
	{"features.ohlcv_window", `{"symbol":"EURUSD","interval":"1h","end":"2026-10-31T00:00:00Z","window":99999999999999999999}`, ""},
	{"storage.shared_state.set", `{"key":"a","value":1,"ifVersion":99999999999999999999}`, "int64"},
	{"storage.shared_state.set", `{"key":"a","value":null}`, ""},
	{"storage.shared_state.set", `{"key":"a.b:c-d_e","value":{"nested":[1,2,{"x":"y"}]}}`, ""},
	{"storage.shared_state.set", `{"key":"","value":1}`, ""},
	{"storage.shared_state.set", `{"key":"a b","value":1}`, ""},
	{"storage.shared_state.set", `{"key":"a","value":1,"ttlSeconds":0}`, ""},
	{"storage.shared_state.set", `{"key":"a","value":1,"ttlSeconds":2592000}`, ""},
	{"storage.shared_state.set", `{"key":"a","value":1,"ifVersion":-1}`, ""},
	{"storage.shared_state.set", `{"key":"a"}`, ""},
	{"storage.shared_state.get", `{"key":"` + strings.Repeat("k", 128) + `"}`, ""},
	{"storage.shared_state.get", `{"key":"` + strings.Repeat("k", 129) + `"}`, ""},
	{"storage.shared_state.get", `{"key":"a","key":"b"}`, "duplicate key"},
	{"execution.sim_quote", `{"symbol":"SPY","side":"buy","quantity":10,"orderType":"limit","limitPrice":450.25}`, ""},
	{"execution.sim_quote", `{"symbol":"SPY","side":"buy","quantity":10,"orderType":"iceberg"}`, ""},
	{"execution.sim_quote", `{"symbol":"SPY","side":"buy","quantity":10,"limitPrice":0}`, ""},
}

// decodeAny runs the generated decoder of any trading tool.
func decodeAny(tool string, data []byte) error {
	var err error
	switch tool {
	case "risk.position_limits_check":
		_, err = DecodeRiskPositionLimitsCheckInput(data)
	case "features.ohlcv_window":
		_, err = DecodeFeaturesOHLCVWindowInput(data)
	case "execution.sim_quote":
		_, err = DecodeExecutionSimQuoteInput(data)
	case "storage.shared_state.get":
		_, err = DecodeStorageSharedStateGetInput(data)
	case "storage.shared_state.set":
		_, err = DecodeStorageSharedStateSetInput(data)
	default:
		panic(tool)
	}
	return err
}

func TestDifferentialAgainstJSONSchemaV5(t *testing.T) {
	restore := setClock("2026-11-01T00:00:00Z")
	defer restore()
	for _, c := range differentialCorpus {
		ours := decodeAny(c.tool, []byte(c.doc))
		v5 := validateV5(t, c.tool, c.doc)
		agree := (ours == nil) == (v5 == nil)
		switch {
		case c.why == "" && !agree:
			t.Errorf("%s %s: mcpgen says %v, jsonschema/v5 says %v", c.tool, c.doc, ours, v5)
		case c.why != "" && agree:
			t.Errorf("%s %s: listed as a deliberate difference (%s) but both say valid=%v", c.tool, c.doc, c.why, ours == nil)
		case c.why != "" && ours != nil && !mentions(ours, c.why):
			t.Errorf("%s %s: mcpgen refuses it, but not for %s: %v", c.tool, c.doc, c.why, ours)
		}
	}
}

// TestDifferentialMutations derives many documents from valid ones by
// dropping, retyping and changing members, and requires agreement on every
// document whose disagreement no deliberate difference explains.
func TestDifferentialMutations(t *testing.T) {
	restore := setClock("2026-11-01T00:00:00Z")
	defer restore()
	seeds := map[string]string{
		"risk.position_limits_check": `{"symbol":"EURUSD","side":"buy","quantity":2.5,"price":1.0855,"currentPosition":100}`,
		"features.ohlcv_window":      `{"symbol":"SPY","interval":"1d","end":"2026-10-30T00:00:00Z","window":20}`,
		"execution.sim_quote":        `{"symbol":"ETH/USD","side":"sell","quantity":3,"orderType":"limit","limitPrice":2500.5}`,
		"storage.shared_state.set":   `{"key":"k1","value":[1,"a"],"ttlSeconds":60,"ifVersion":0}`,
	}
	replacements := []string{`null`, `true`, `0`, `-1`, `1.5`, `1e400`, `"x"`, `"EURUSD"`, `[]`, `{}`, `1000000000001`, `0.000000001`, `"buy"`, `"2026-10-30T00:00:00Z"`}
	rng := rand.New(rand.NewPCG(1, 2))
	checked := 0
	for tool, seed := range seeds {
		members := splitMembers(seed)
		for i := 0; i < 400; i++ {
			var parts []string
			for _, m := range members {
				switch rng.IntN(6) {
				case 0: // drop the member
				case 1:
					parts = append(parts, m[:strings.Index(m, ":")+1]+replacements[rng.IntN(len(replacements))])
				default:
					parts = append(parts, m)
				}
			}
			if rng.IntN(8) == 0 {
				parts = append(parts, `"unknown":1`)
			}
			doc := "{" + strings.Join(parts, ",") + "}"
			ours := decodeAny(tool, []byte(doc))
			v5 := validateV5(t, tool, doc)
			checked++
			if (ours == nil) == (v5 == nil) {
				continue
			}
			if ours != nil && explainedByExtension(ours) {
				continue
			}
			t.Errorf("%s %s: mcpgen says %v, jsonschema/v5 says %v", tool, doc, ours, v5)
		}
	}
	t.Logf("differential mutations: %d documents checked against jsonschema/v5", checked)
}

func validateV5(t *testing.T, tool, doc string) error {
	v, err := v5Decode([]byte(doc))
	if err != nil {
		return err
	}
	return validatorFor(t, tool).Validate(v)
}

var v5Cache = map[string]interface{ Validate(any) error }{}

func validatorFor(t *testing.T, tool string) interface{ Validate(any) error } {
	if s, ok := v5Cache[tool]; ok {
		return s
	}
	s := publishedValidator(t, tool)
	v5Cache[tool] = s
	return s
}

// explainedByExtension reports whether every violation of err comes from a
// deliberate difference: an x- keyword, or a number out of mcpgen's range.
func explainedByExtension(err error) bool {
	var e *mcperr.Error
	if !errors.As(err, &e) {
		return false
	}
	for _, v := range e.Violations {
		if !strings.HasPrefix(v.Keyword, "x-") && !strings.Contains(v.Message, "out of range") {
			return false
		}
	}
	return true
}

func mentions(err error, why string) bool {
	var e *mcperr.Error
	if !errors.As(err, &e) {
		return false
	}
	for _, v := range e.Violations {
		if v.Keyword == why || strings.Contains(v.Message, why) || why == "int64" && strings.Contains(v.Message, "out of range") {
			return true
		}
	}
	return false
}

// splitMembers splits a flat JSON object into its "key":value members.
func splitMembers(obj string) []string {
	body := obj[1 : len(obj)-1]
	var out []string
	depth, start, inString := 0, 0, false
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '"' && (i == 0 || body[i-1] != '\\'):
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
		case c == ',' && depth == 0:
			out = append(out, body[start:i])
			start = i + 1
		}
	}
	return append(out, body[start:])
}
