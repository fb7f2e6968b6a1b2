package keywords

// Hand-written: runs the generated validators of contains, minContains,
// maxContains, unevaluatedItems, dependentSchemas and unevaluatedProperties
// on real JSON, with the exact violations a client sees. Regeneration never
// touches this file.

import (
	"reflect"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
)

func TestNewKeywords(t *testing.T) {
	tests := []struct {
		name, args string
		want       []string // "pointer keyword: message"
	}{
		{"valid", `{"lines":[{"sku":"a","priority":true},{"sku":"b"}],"window":["2026-01-02","2026-01-09"],
			"delivery":{"mode":"ship","address":"1 Main St","giftWrap":true,"message":"hi"}}`, nil},
		{"no priority line", `{"lines":[{"sku":"a"}]}`,
			[]string{"/lines minContains: must contain at least 1 item matching the schema of contains"}},
		{"three priority lines", `{"lines":[{"sku":"a","priority":true},{"sku":"b","priority":true},{"sku":"c","priority":true}]}`,
			[]string{"/lines maxContains: must contain at most 2 items matching the schema of contains"}},
		{"unevaluated item is checked", `{"lines":[{"sku":"a","priority":true}],"window":["2026-01-02","soon"]}`,
			[]string{"/window/1 format: must be an RFC 3339 full-date such as \"2026-01-02\""}},
		{"property of the branch not taken is unevaluated", `{"lines":[{"sku":"a","priority":true}],"delivery":{"mode":"pickup","store":"S1","address":"x"}}`,
			[]string{"/delivery/address unevaluatedProperties: unevaluated property; not allowed by the schema"}},
		{"dependent schema applies when its property is there", `{"lines":[{"sku":"a","priority":true}],"delivery":{"mode":"pickup","store":"S1","message":"hi"}}`,
			[]string{"/delivery/message unevaluatedProperties: unevaluated property; not allowed by the schema"}},
		{"dependent schema checks", `{"lines":[{"sku":"a","priority":true}],"delivery":{"mode":"pickup","store":"S1","giftWrap":true,"message":"` +
			"0123456789012345678901234567890123456789x" + `"}}`,
			[]string{"/delivery/message maxLength: must be at most 40 characters long"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeInventoryReserveInput([]byte(tt.args))
			var got []string
			if err != nil {
				e := mcperr.AsError(err)
				if e == nil {
					t.Fatalf("not an *mcperr.Error: %v", err)
				}
				for _, v := range e.Violations {
					got = append(got, v.Pointer+" "+v.Keyword+": "+v.Message)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("violations:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
