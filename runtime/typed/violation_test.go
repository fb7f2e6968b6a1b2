package typed

import (
	"strconv"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPathString(t *testing.T) {
	var root Path
	a := root.Field("a/b~c")
	i := a.Index(12)
	long := i.Field(strings.Repeat("é", 40)) // 80 bytes, cut at a character boundary
	empty := root.Field("")
	tests := []struct {
		name string
		path *Path
		want string
	}{
		{"root", &root, ""},
		{"nil", nil, ""},
		{"escaped member", &a, "/a~1b~0c"},
		{"index", &i, "/a~1b~0c/12"},
		{"long member is cut", &long, "/a~1b~0c/12/" + strings.Repeat("é", 32) + "…"},
		{"empty member", &empty, "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.path.String())
			var vs Violations
			vs.Add(tt.path, "k", "m")
			assert.Equal(t, tt.want, vs.List()[0].Pointer)
		})
	}
}

func TestErrMessageCountsViolations(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5, 8, 9, MaxViolations, MaxViolations + 3} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			var vs Violations
			var root Path
			for i := range n {
				q := root.Index(i)
				vs.Add(&q, "minimum", "must be >= 2")
			}
			e := mcperr.AsError(vs.Err("invalid X"))
			want := "invalid X: " + strconv.Itoa(n) + " violations"
			if n == 1 {
				want = "invalid X: 1 violation"
			}
			assert.Equal(t, want, e.Message)
			kept := min(n, MaxViolations)
			require.Len(t, e.Violations, kept)
			assert.Equal(t, kept, cap(e.Violations), "no room to append into another error's violations")
			assert.Equal(t, "/"+strconv.Itoa(kept-1), e.Violations[kept-1].Pointer)
			if n > MaxViolations {
				assert.Equal(t, map[string]any{"violations_dropped": n - MaxViolations}, e.Details)
			} else {
				assert.Nil(t, e.Details)
			}
		})
	}
}

// The text of an error is shared between violations to save allocations;
// reading more documents with the same pooled Reader must not change it.
func TestErrSurvivesReaderReuse(t *testing.T) {
	decode := func(doc string) error {
		r := GetReader([]byte(doc))
		defer PutReader(r)
		root := r.Root()
		r.Object(root, func(key []byte) { r.Unknown(root, key) })
		r.End()
		return r.Violations.Err("invalid doc")
	}
	first := mcperr.AsError(decode(`{"alpha":1,"beta":2}`))
	before := first.Error()
	for i := range 2000 {
		err := decode(`{"k` + strconv.Itoa(i) + `":1}`)
		require.Error(t, err)
	}
	assert.Equal(t, before, first.Error())
	assert.Equal(t, "/alpha", first.Violations[0].Pointer)
	assert.Equal(t, "/beta", first.Violations[1].Pointer)
	assert.Equal(t, "invalid doc: 2 violations", first.Message)
	assert.Equal(t, 2, cap(first.Violations), "no room to append into another error's violations")
}

// A violation left out (at or below a place decoding already reported)
// gives its text back without disturbing the ones kept.
func TestAddLeavesOutDecodedPlaces(t *testing.T) {
	var vs Violations
	var root Path
	a := root.Field("a")
	vs.Add(&a, "type", "must be string, got number")
	vs.decoded = 1
	below := a.Field("b")
	vs.Add(&below, "minLength", "too short")
	ab := root.Field("ab")
	vs.Add(&ab, "minimum", "must be >= 2")
	require.Len(t, vs.List(), 2)
	assert.Equal(t, "/a", vs.List()[0].Pointer)
	assert.Equal(t, "/ab", vs.List()[1].Pointer)
}

func BenchmarkViolationsErr(b *testing.B) {
	var root Path
	fields := []string{"symbol", "side", "quantity", "price", "currentPosition"}
	var vs Violations
	b.ReportAllocs()
	for b.Loop() {
		vs.reset()
		for _, f := range fields {
			q := root.Field(f)
			vs.Add(&q, "minimum", "must be >= 2")
		}
		_ = vs.Err("invalid arguments for tool \"risk.position_limits_check\"")
	}
}

func TestErrMessageFollowsEachDocument(t *testing.T) {
	var vs Violations
	var root Path
	for _, tc := range []struct {
		what string
		n    int
		want string
	}{
		{"invalid A", 2, "invalid A: 2 violations"},
		{"invalid A", 2, "invalid A: 2 violations"},
		{"invalid A", 1, "invalid A: 1 violation"},
		{"invalid B", 1, "invalid B: 1 violation"},
		{"invalid A", 3, "invalid A: 3 violations"},
	} {
		vs.reset()
		for i := range tc.n {
			q := root.Index(i)
			vs.Add(&q, "minimum", "must be >= 2")
		}
		assert.Equal(t, tc.want, mcperr.AsError(vs.Err(tc.what)).Message)
	}
}

func TestCompareDecimalSigns(t *testing.T) {
	d := func(s string) Decimal { v, _ := ParseDecimal([]byte(s)); return v }
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"0", "0", 0}, {"0", "0.0", 0}, {"-1", "0", -1}, {"1", "0", 1}, {"0", "-0.5", 1},
		{"-1e13", "1e-9", -1}, {"1.5", "-1000000000000", 1}, {"2", "1.99", 1}, {"-2", "-1.99", -1},
	} {
		assert.Equal(t, tc.want, CompareDecimal(d(tc.a), d(tc.b)), "%s vs %s", tc.a, tc.b)
		assert.Equal(t, d(tc.a).Cmp(d(tc.b)), CompareDecimal(d(tc.a), d(tc.b)), "%s vs %s", tc.a, tc.b)
	}
}
