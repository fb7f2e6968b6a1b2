package typed

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decSamples returns Decs spread over coefficient sizes and exponents,
// inline and not, with the decimal.Decimal each stands for.
func decSamples(rng *rand.Rand, n int) []Dec {
	out := []Dec{{}, {coef: 1}, {coef: -1}, {coef: 5, exp: -1}, {coef: 1, exp: 12}, {coef: -1, exp: 12}}
	for range n {
		digits := 1 + rng.IntN(18)
		coef := rng.Int64N(pow10(digits))
		if rng.IntN(2) == 0 {
			coef = -coef
		}
		exp := int32(rng.IntN(61) - 30)
		if rng.IntN(10) == 0 {
			d := decimal.New(coef, exp).Mul(decimal.New(7, 0).Pow(decimal.New(30, 0))) // beyond 18 digits
			out = append(out, DecOf(d))
			continue
		}
		out = append(out, Dec{coef: coef, exp: exp})
	}
	return out
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

func TestDecAgreesWithDecimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	samples := decSamples(rng, 3000)
	for i, d := range samples {
		dd := d.Decimal()
		require.Equal(t, dd.String(), d.String(), "String of %v", dd)
		require.Equal(t, DecimalPlaces(dd), d.Places(), "Places of %v", dd)
		e := samples[rng.IntN(len(samples))]
		if i%3 == 0 { // close neighbours, where comparing is hardest
			e = DecOf(dd.Add(decimal.New(int64(rng.IntN(3)-1), dd.Exponent())))
		}
		ed := e.Decimal()
		require.Equal(t, dd.Cmp(ed), d.Cmp(e), "Cmp(%v, %v)", dd, ed)
		require.Equal(t, CompareDecimal(dd, ed), d.Cmp(e), "CompareDecimal(%v, %v)", dd, ed)
		if !ed.IsZero() {
			require.Equal(t, MultipleOf(dd, ed), d.MultipleOf(e), "MultipleOf(%v, %v)", dd, ed)
		}
		m := Dec{coef: int64(1 + rng.IntN(50)), exp: int32(rng.IntN(9) - 6)}
		require.Equal(t, MultipleOf(dd, m.Decimal()), d.MultipleOf(m), "MultipleOf(%v, %v)", dd, m)
	}
}

func TestParseDecAgreesWithParseDecimal(t *testing.T) {
	lits := []string{
		"0", "-0", "0.0", "-0.0", "1", "-2500", "125000.5", "1.08525", "1.123456789", "1e13", "1E-3", "-1.5e2",
		"100.0", "0.000001", "123456789012345678", "1234567890123456789", "12345678901234567890.5",
		"999999999999999999", "-999999999999999999.9", "1e400", "1e401", "1e-401", "2e-400",
		"0.1e1", "5e-1", "1.", ".5", "-", "", "1e", "--1", "1x",
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, d := range decSamples(rng, 500) {
		lits = append(lits, d.String(), d.Decimal().StringFixed(3))
	}
	for _, lit := range lits {
		want, wantOK := ParseDecimal([]byte(lit))
		got, ok := ParseDec([]byte(lit))
		require.Equal(t, wantOK, ok, "ok for %q", lit)
		if !ok {
			continue
		}
		gd := got.Decimal()
		assert.Equal(t, want.Exponent(), gd.Exponent(), "exponent of %q", lit)
		assert.Equal(t, want.Coefficient().String(), gd.Coefficient().String(), "coefficient of %q", lit)
		assert.Equal(t, want.String(), got.String(), "String of %q", lit)
		assert.Equal(t, string(AppendDecimal(nil, want)), string(AppendDec(nil, got)))
		assert.Equal(t, string(AppendDecimalString(nil, want)), string(AppendDecString(nil, got)))
	}
}

func TestReaderDecReportsWhatDecimalDoes(t *testing.T) {
	docs := []string{
		`125000.5`, `-2500`, `1e999`, `"12.50"`, `true`, `"1e999"`, `"abc"`, `"01"`, `[1]`, `1` + string(make([]byte, 0)),
		"1" + strconv.Itoa(0) + "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001",
	}
	for _, doc := range docs {
		for _, asString := range []bool{false, true} {
			t.Run(doc+"/"+strconv.FormatBool(asString), func(t *testing.T) {
				var root Path
				r1 := GetReader([]byte(doc))
				want, wantOK := r1.Decimal(&root, asString)
				r1.End()
				r2 := GetReader([]byte(doc))
				got, ok := r2.Dec(&root, asString)
				r2.End()
				assert.Equal(t, wantOK, ok)
				assert.Equal(t, r1.Violations.List(), r2.Violations.List())
				if ok {
					assert.Equal(t, want.String(), got.String())
				}
				PutReader(r1)
				PutReader(r2)
			})
		}
	}
}

func TestReaderDecDoesNotAllocate(t *testing.T) {
	for _, doc := range []string{`125000.5`, `1.08525`, `-2500`, `1e13`, `-1`} {
		data := []byte(doc)
		r := new(Reader)
		var root Path
		var d Dec
		allocs := testing.AllocsPerRun(100, func() {
			r.Reset(data)
			d, _ = r.Dec(&root, false)
			if d.Cmp(Dec{coef: 1, exp: 14}) > 0 || d.Places() > 8 {
				t.Fatal(doc)
			}
		})
		assert.Zero(t, allocs, doc)
	}
}

func TestMustDec(t *testing.T) {
	assert.Equal(t, "1000000000000", MustDec("1000000000000").String())
	assert.Equal(t, "-0.5", MustDec("-0.50").String())
	assert.PanicsWithValue(t, `typed.MustDec: not a JSON number: "1."`, func() { MustDec("1.") })
	assert.Panics(t, func() { MustDec("1e999") })
}
