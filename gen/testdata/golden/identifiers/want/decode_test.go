package identifiers

import (
	"reflect"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
)

// Refs by "$id" and "$anchor" reach the shared file's definitions, and a
// relative ref into a file with an "$id" reads the same file.
func TestRefsByIdentifier(t *testing.T) {
	in, err := DecodePaymentsQuoteInput([]byte(`{"currency": "EUR", "amount": "12.50", "fee": "0.0001"}`))
	if err != nil {
		t.Fatalf("valid input rejected: %v", err)
	}
	if in.Currency != "EUR" || in.Amount.String() != "12.5" || in.Fee.Value.String() != "0.0001" {
		t.Errorf("decoded %+v", in)
	}
	_, err = DecodePaymentsQuoteInput([]byte(`{"currency": "euro", "amount": "12.505"}`))
	want := []mcperr.Violation{
		{Pointer: "/currency", Keyword: "pattern", Message: "must match the pattern ^[A-Z]{3}$"},
		{Pointer: "/amount", Keyword: "x-decimal", Message: "must have at most 2 decimal places"},
	}
	if e := mcperr.AsError(err); e == nil || !reflect.DeepEqual(e.Violations, want) {
		t.Errorf("got %v; want violations %+v", err, want)
	}
}

// The same tree schema is strict under tree.store, whose "node" anchor is
// the outermost in scope, at every depth, and open under tree.echo.
func TestDynamicRefFollowsScope(t *testing.T) {
	deep := []byte(`{"tree": {"data": 1, "children": [{"data": 2, "children": [{"daat": 3}]}]}}`)
	if _, err := DecodeTreeEchoInput(deep); err != nil {
		t.Errorf("tree.echo refused a node with an extra property: %v", err)
	}
	_, err := DecodeTreeStoreInput(deep)
	want := []mcperr.Violation{
		{Pointer: "/tree/children/0/children/0/daat", Keyword: "unevaluatedProperties", Message: "unevaluated property; not allowed by the schema"},
	}
	if e := mcperr.AsError(err); e == nil || !reflect.DeepEqual(e.Violations, want) {
		t.Errorf("got %v; want violations %+v", err, want)
	}
	if _, err := DecodeTreeStoreInput([]byte(`{"tree": {"children": [{"data": 2, "children": []}]}}`)); err != nil {
		t.Errorf("tree.store refused a strict tree: %v", err)
	}
	_, err = DecodeTreeEchoInput([]byte(`{"tree": {"children": [{"children": {}}]}}`))
	want = []mcperr.Violation{{Pointer: "/tree/children/0/children", Keyword: "type", Message: "must be array, got object"}}
	if e := mcperr.AsError(err); e == nil || !reflect.DeepEqual(e.Violations, want) {
		t.Errorf("got %v; want violations %+v", err, want)
	}
}
