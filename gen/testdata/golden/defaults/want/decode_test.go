package defaults

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/typed"
)

// The handler sees every default of a property the caller left out, as a
// plain field (not a typed.Opt), normalized as an input would be.
func TestDefaultsApplied(t *testing.T) {
	in, err := DecodeOrdersSearchInput([]byte(`{"query": "open orders", "required": "r"}`))
	if err != nil {
		t.Fatalf("valid input rejected: %v", err)
	}
	if in.Limit != 20 || in.Window != 50 || in.Ratio != 0.5 || in.IncludeClosed {
		t.Errorf("Limit, Window, Ratio, IncludeClosed = %d, %d, %v, %v; want 20, 50, 0.5, false", in.Limit, in.Window, in.Ratio, in.IncludeClosed)
	}
	if in.Currency != "USD" {
		t.Errorf("Currency = %q; want the default normalized, USD", in.Currency)
	}
	if in.Sort != OrdersSearchInputSortNewest {
		t.Errorf("Sort = %q; want newest (the default NEWEST, lower-cased)", in.Sort)
	}
	if in.MinPrice.String() != "0.25" || in.Fee.String() != "0.0001" {
		t.Errorf("MinPrice, Fee = %s, %s; want exact decimals 0.25, 0.0001", in.MinPrice, in.Fee)
	}
	if want := time.Date(2026, 1, 2, 1, 4, 5, 0, time.UTC); !in.Since.Equal(want) {
		t.Errorf("Since = %v; want %v", in.Since, want)
	}
	if !in.Note.Null {
		t.Errorf("Note = %+v; want null, its default", in.Note)
	}
	if want := []OrdersSearchInputStatusesItem{OrdersSearchInputStatusesItemOpen, OrdersSearchInputStatusesItemFilled}; !reflect.DeepEqual(in.Statuses, want) {
		t.Errorf("Statuses = %v; want %v", in.Statuses, want)
	}
	// The default object, with the defaults of the properties it leaves out.
	if want := (OrdersSearchInputPage{Size: 25, Cursor: typed.Some("start"), Order: OrdersSearchInputPageOrderDesc}); in.Page != want {
		t.Errorf("Page = %+v; want %+v", in.Page, want)
	}
	if in.Filter.Kind != typed.Number || in.Filter.Text != "7" {
		t.Errorf("Filter = %+v; want the number 7", in.Filter)
	}
}

// A property the caller sends keeps the caller's value, and an object the
// caller sends gets the defaults of the properties it leaves out.
func TestDefaultsYieldToInput(t *testing.T) {
	in, err := DecodeOrdersSearchInput([]byte(`{"query": "q", "required": "r", "limit": 5, "includeClosed": true,
		"note": "n", "statuses": [], "page": {"size": 3}, "currency": "eur", "filter": "x"}`))
	if err != nil {
		t.Fatalf("valid input rejected: %v", err)
	}
	if in.Limit != 5 || !in.IncludeClosed || in.Note.Null || in.Note.Value != "n" || len(in.Statuses) != 0 || in.Currency != "EUR" {
		t.Errorf("decoded %+v", in)
	}
	if want := (OrdersSearchInputPage{Size: 3, Order: OrdersSearchInputPageOrderDesc}); in.Page != want {
		t.Errorf("Page = %+v; want %+v", in.Page, want)
	}
	if in.Filter.Kind != typed.String || in.Filter.Text != "x" {
		t.Errorf("Filter = %+v; want the string x", in.Filter)
	}
}

// Sent values are still validated; defaults never hide a bad input.
func TestDefaultedPropertiesValidated(t *testing.T) {
	_, err := DecodeOrdersSearchInput([]byte(`{"query": "q", "required": "r", "limit": 500, "page": {"size": 0}}`))
	want := []mcperr.Violation{
		{Pointer: "/limit", Keyword: "maximum", Message: "must be <= 100"},
		{Pointer: "/page/size", Keyword: "minimum", Message: "must be >= 1"},
	}
	if e := mcperr.AsError(err); e == nil || !reflect.DeepEqual(e.Violations, want) {
		t.Fatalf("got %v; want violations %+v", err, want)
	}
}

// json.Unmarshal goes through the same decoder, defaults included.
func TestUnmarshalAppliesDefaults(t *testing.T) {
	var in OrdersSearchInput
	if err := json.Unmarshal([]byte(`{"query": "q", "required": "r"}`), &in); err != nil {
		t.Fatal(err)
	}
	if in.Limit != 20 || in.Page.Size != 25 {
		t.Errorf("Limit, Page.Size = %d, %d; want 20, 25", in.Limit, in.Page.Size)
	}
}

// Outputs are made by handlers: a default there documents what a client
// may assume, and the field stays a typed.Opt.
func TestOutputDefaultsStayOptional(t *testing.T) {
	out := OrdersSearchOutput{Count: 2}
	if got := string(out.AppendJSON(nil)); got != `{"count":2}` {
		t.Errorf("AppendJSON = %s; want {\"count\":2}", got)
	}
}
