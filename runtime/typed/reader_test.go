package typed

import (
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseValueLimits(t *testing.T) {
	tests := []struct {
		name, doc string
		want      string // the first violation as "pointer: message"
	}{
		{"too many values", "[" + strings.Repeat("0,", MaxValueNodes) + "0]", "/99999: more than 100000 JSON values in free-form data"},
		{"too deep", strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), strings.Repeat("/0", MaxDepth) + ": nested deeper than 64 levels"},
		{"duplicate key", `{"a":1,"a":2}`, "/a: duplicate key"},
		{"long key is cut in the pointer", `{"` + strings.Repeat("k", 5000) + `":1,"` + strings.Repeat("k", 5000) + `":2}`, "/" + strings.Repeat("k", 64) + "…: duplicate key"},
		{"trailing data", `{} {}`, "/: unexpected data after the JSON value"},
		{"long number", "[" + strings.Repeat("1", 101) + "]", "/0: number literal longer than 100 characters"},
		{"exponent bomb", "[1e999999]", "/0: number out of range (exponent beyond ±400)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseValue([]byte(tt.doc))
			require.Error(t, err)
			e := mcperr.AsError(err)
			require.NotEmpty(t, e.Violations)
			assert.Equal(t, tt.want, e.Violations[0].String())
		})
	}
}

func TestUniqueItemsLargeObjects(t *testing.T) {
	var a, b strings.Builder
	a.WriteString("[{")
	b.WriteString("{")
	for i := range 2000 {
		if i > 0 {
			a.WriteByte(',')
			b.WriteByte(',')
		}
		a.WriteString(`"k` + itoa(int64(i)) + `":1.0`)
		b.WriteString(`"k` + itoa(int64(1999-i)) + `":1`)
	}
	doc := a.String() + "}," + b.String() + "}]"
	v, err := ParseValue([]byte(doc))
	require.NoError(t, err)
	i, j := UniqueItems(v.Items)
	assert.Equal(t, [2]int{0, 1}, [2]int{i, j}, "objects equal up to member order and number spelling")
}

func TestWindowViolationOpenSides(t *testing.T) {
	restore := SetClock(func() time.Time { return time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC) })
	defer restore()
	old := time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)
	future := time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, "", WindowViolation(old, -1<<63, 24*time.Hour), "no notBefore: the past is open")
	assert.Equal(t, "", WindowViolation(future, -24*time.Hour, 1<<63-1), "no notAfter: the future is open")
	assert.Equal(t, "must not be after 2026-11-26T00:00:00Z (now+1d)", WindowViolation(future, -1<<63, 24*time.Hour))
	assert.Equal(t, "must not be before 2024-11-25T00:00:00Z (now-730d)", WindowViolation(old, -730*24*time.Hour, 1<<63-1))
}

func TestDateTimeLowerCaseTAndZ(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		msg  string // the violation, "" when the value reads
	}{
		{in: "2024-05-06t07:08:09z", want: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)},
		{in: "2024-05-06T07:08:09z", want: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)},
		{in: "2024-05-06t07:08:09.5+02:00", want: time.Date(2024, 5, 6, 5, 8, 9, 5e8, time.UTC)},
		{in: "1998-12-31T23:59:60Z", msg: "/: leap seconds are not supported"},
		{in: "2024-05-06 07:08:09Z", msg: "/: must be an RFC 3339 date-time such as \"2026-01-02T15:04:05Z\""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r := GetReader([]byte(`"` + tt.in + `"`))
			defer PutReader(r)
			got, ok := r.DateTime(r.Root())
			r.End()
			if tt.msg != "" {
				require.False(t, ok)
				e := mcperr.AsError(r.Violations.Err("x"))
				require.NotNil(t, e)
				assert.Equal(t, tt.msg, e.Violations[0].String())
				return
			}
			require.True(t, ok, "violations: %v", r.Violations.Err("x"))
			assert.True(t, tt.want.Equal(got), "got %v, want %v", got, tt.want)
			p, ok := ParseDateTime(tt.in)
			assert.True(t, ok && p.Equal(tt.want))
		})
	}
}

func TestEndRefusesAnythingButSpaceAfterTheDocument(t *testing.T) {
	for _, doc := range []string{`{"a":1}"`, `{"a":1}"abc`, `{"a":1}[`, `{"a":1}{`, `{"a":1}{"a"`, `{"a":1} tru`, `{"a":1} -`, `{"a":1} 1.`, `{"a":1}x`, `{"a":1}{}`, `{"a":1} nul`} {
		_, err := ParseValue([]byte(doc))
		if assert.Error(t, err, "%q", doc) {
			assert.Contains(t, err.Error(), "unexpected data after the JSON value", "%q", doc)
		}
	}
	for _, doc := range []string{`{"a":1}`, "{\"a\":1} \n\t", "[1,2]\n"} {
		_, err := ParseValue([]byte(doc))
		assert.NoError(t, err, "%q", doc)
	}
}
