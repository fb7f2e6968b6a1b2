package nested

// Hand-written: runs the generated decoder and validators of
// orders.submit_batch on nested JSON, typed and dynamic. Regeneration never
// touches this file.

import (
	"reflect"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
)

func TestDecodeNestedValid(t *testing.T) {
	in, err := DecodeOrdersSubmitBatchInput([]byte(`{
		"account": {"id": "acc-1", "owner": {"name": "Ada", "country": "GB"}},
		"orders": [
			{"symbol": "EURUSD", "legs": [{"ratio": 1, "strike": 1.0825}, {"ratio": 2}], "tags": ["fx", "hedge"]},
			{"symbol": "SPY", "legs": []}
		],
		"matrix": [[1, 2.5], [], [-3e2]],
		"labels": {"desk": "rates", "book": "B7"},
		"point": [51.5, -0.12],
		"headers": {"X-Request-Id": "abc"},
		"shipping": {"street": "1 Main St", "city": "Springfield", "zip": "12345"}
	}`))
	if err != nil {
		t.Fatalf("valid input rejected: %v", err)
	}
	if in.Account.ID != "acc-1" || !in.Account.Owner.Set || in.Account.Owner.Value.Country.Value != "GB" {
		t.Errorf("Account = %+v", in.Account)
	}
	if len(in.Orders) != 2 || len(in.Orders[0].Legs) != 2 || in.Orders[0].Legs[0].Strike.Value.String() != "1.0825" || in.Orders[0].Legs[1].Strike.Set {
		t.Errorf("Orders = %+v", in.Orders)
	}
	if want := [][]float64{{1, 2.5}, nil, {-300}}; !reflect.DeepEqual(in.Matrix.Value, want) {
		t.Errorf("Matrix = %v; want %v", in.Matrix.Value, want)
	}
	if got := string(in.Labels.Value.AppendJSON(nil)); got != `{"desk":"rates","book":"B7"}` {
		t.Errorf("Labels = %s; want the members in input order", got)
	}
}

func TestDecodeNestedInvalid(t *testing.T) {
	v := func(pointer, keyword, message string) mcperr.Violation {
		return mcperr.Violation{Pointer: pointer, Keyword: keyword, Message: message}
	}
	tests := []struct {
		name  string
		input string
		want  []mcperr.Violation
	}{{
		name:  "missing, unknown and out-of-range members deep down",
		input: `{"account": {"id": "", "owner": {"country": "gb", "age": 40}}, "orders": [{"legs": [{"ratio": 0}, {"ratio": 1, "strike": 0.00001}]}]}`,
		want: []mcperr.Violation{
			v("/account/owner/age", "additionalProperties", "unknown property; not allowed by the schema"),
			v("/account/owner/name", "required", "missing required property"),
			v("/orders/0/symbol", "required", "missing required property"),
			v("/account/id", "minLength", "must be at least 1 character long"),
			v("/account/owner/country", "pattern", "must match the pattern ^[A-Z]{2}$"),
			v("/orders/0/legs/0/ratio", "minimum", "must be >= 1"),
			v("/orders/0/legs/1/strike", "x-decimal", "must have at most 4 decimal places"),
		},
	}, {
		name:  "array bounds and unique items",
		input: `{"account": {"id": "a"}, "orders": [{"symbol": "S", "legs": [{"ratio": 1}, {"ratio": 1}, {"ratio": 1}, {"ratio": 1}, {"ratio": 1}], "tags": ["fx", "rates", "fx"]}]}`,
		want: []mcperr.Violation{
			v("/orders/0/legs", "maxItems", "must have at most 4 items"),
			v("/orders/0/tags", "uniqueItems", "items must be unique; item 2 repeats item 0"),
		},
	}, {
		name:  "empty batch",
		input: `{"account": {"id": "a"}, "orders": []}`,
		want:  []mcperr.Violation{v("/orders", "minItems", "must have at least 1 item")},
	}, {
		name:  "wrong types in nested arrays",
		input: `{"account": {"id": "a"}, "orders": [{"symbol": "S", "legs": {}}], "matrix": [[1, "2"], 3]}`,
		want: []mcperr.Violation{
			v("/orders/0/legs", "type", "must be array, got object"),
			v("/matrix/0/1", "type", "must be number, got string"),
			v("/matrix/1", "type", "must be array, got number"),
		},
	}, {
		name:  "dynamically checked members",
		input: `{"account": {"id": "a"}, "orders": [{"symbol": "S", "legs": []}], "labels": {"desk": 7}, "point": [1, 2, 3], "headers": {"X-Ok": "1", "Cookie": "secret"}, "shipping": {"street": "1 Main St"}}`,
		want: []mcperr.Violation{
			v("/labels/desk", "type", "must be string, got number"),
			v("/point/2", "false", "no value is allowed here"),
			v("/headers/Cookie", "additionalProperties", "unknown property; not allowed by the schema"),
			v("/shipping", "dependentRequired", `property "city" is required when "street" is present`),
			v("/shipping", "dependentRequired", `property "zip" is required when "street" is present`),
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeOrdersSubmitBatchInput([]byte(tt.input))
			if err == nil {
				t.Fatal("invalid input accepted")
			}
			e := mcperr.AsError(err)
			if e.Code != mcperr.CodeInvalidArgs {
				t.Errorf("code %s; want %s", e.Code, mcperr.CodeInvalidArgs)
			}
			if !reflect.DeepEqual(e.Violations, tt.want) {
				t.Errorf("violations:\n got %+v\nwant %+v", e.Violations, tt.want)
			}
		})
	}
}

func TestOutputAppendJSON(t *testing.T) {
	out := OrdersSubmitBatchOutput{
		Accepted: []OrdersSubmitBatchOutputAcceptedItem{{Index: 0, OrderID: "o-1"}},
		Rejected: []OrdersSubmitBatchOutputRejectedItem{{Index: 1, Reasons: []string{"limit \"max\" exceeded"}}},
	}
	if err := out.Validate(); err != nil {
		t.Fatal(err)
	}
	want := `{"accepted":[{"index":0,"orderId":"o-1"}],"rejected":[{"index":1,"reasons":["limit \"max\" exceeded"]}]}`
	if got := string(out.AppendJSON(nil)); got != want {
		t.Errorf("AppendJSON:\n got %s\nwant %s", got, want)
	}
	out.Accepted[0].Index = -1
	e := mcperr.AsError(out.Validate())
	if want := []mcperr.Violation{{Pointer: "/accepted/0/index", Keyword: "minimum", Message: "must be >= 0"}}; !reflect.DeepEqual(e.Violations, want) {
		t.Errorf("violations %+v; want %+v", e.Violations, want)
	}
}
