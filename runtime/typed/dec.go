package typed

import (
	"math"
	"math/bits"
	"strconv"

	"github.com/shopspring/decimal"
)

// Dec is an exact decimal number, coefficient × 10^exponent, for generated
// code to decode and validate without allocating. A coefficient of at most
// 18 digits, as every price, quantity and bound in tool arguments has, is
// held inline; a longer one is held as a decimal.Decimal. Decimal converts
// it for arithmetic. The zero Dec is 0.
type Dec struct {
	coef int64
	exp  int32
	big  *decimal.Decimal // the value, when the coefficient has more than 18 digits
}

// DecOf returns d as a Dec.
func DecOf(d decimal.Decimal) Dec {
	if d.NumDigits() <= 18 {
		return Dec{coef: d.CoefficientInt64(), exp: d.Exponent()}
	}
	return Dec{big: &d}
}

// ParseDec parses a JSON number literal exactly, as ParseDecimal does and
// with the same coefficient and exponent, allocating only for a literal of
// more than 18 significant digits.
func ParseDec(lit []byte) (Dec, bool) {
	if v, ok := parsePlainInt(lit); ok {
		return Dec{coef: v}, true
	}
	if m, exp, ok := parseShortDecimal(lit); ok {
		return Dec{coef: m, exp: exp}, true
	}
	var l literal
	if !splitLiteral(lit, &l) || !l.inRange() {
		return Dec{}, false
	}
	if l.start == l.end {
		return Dec{}, true
	}
	if l.end-l.start <= 18 {
		m, _ := parsePlainInt(l.digits())
		if l.neg {
			m = -m
		}
		return Dec{coef: m, exp: int32(l.exp)}, true
	}
	d, ok := ParseDecimal(lit)
	if !ok {
		return Dec{}, false
	}
	return Dec{big: &d}, true
}

// MustDec parses s as ParseDec does and panics when it is not a number,
// for the bounds of generated validators.
func MustDec(s string) Dec {
	d, ok := ParseDec([]byte(s))
	if !ok || !isNumberLiteral([]byte(s)) {
		panic("typed.MustDec: not a JSON number: " + strconv.Quote(s))
	}
	return d
}

// Dec reads a JSON number exactly, as Decimal does (with the same
// violations), without allocating for up to 18 significant digits.
func (r *Reader) Dec(p *Path, asString bool) (Dec, bool) {
	lit, ok := r.decimalLiteral(p, asString)
	if !ok {
		return Dec{}, false
	}
	d, ok := ParseDec(lit)
	if !ok {
		r.Violations.Add(p, "x-decimal", "number out of range (exponent beyond ±400)")
		return Dec{}, false
	}
	return d, true
}

// Decimal returns d as a decimal.Decimal, for arithmetic.
func (d Dec) Decimal() decimal.Decimal {
	if d.big != nil {
		return *d.big
	}
	return decimal.New(d.coef, d.exp)
}

// String returns d as decimal.Decimal's String does, such as "125000.5".
func (d Dec) String() string { return string(AppendDec(nil, d)) }

// AppendDec appends d as a JSON number, as AppendDecimal does.
func AppendDec(b []byte, d Dec) []byte {
	if d.big != nil || d.exp > maxExponent || d.exp < -maxExponent ||
		!decimal.TrimTrailingZeros || decimal.UseScientificNotation {
		return append(b, d.Decimal().String()...)
	}
	switch {
	case d.exp == 0 || d.coef == 0 && d.exp > 0:
		return strconv.AppendInt(b, d.coef, 10)
	case d.exp > 0:
		b = strconv.AppendInt(b, d.coef, 10)
		for range d.exp {
			b = append(b, '0')
		}
		return b
	}
	// A fraction: the digits around the point, trailing zeros dropped.
	var buf [20]byte
	u := uint64(d.coef)
	if d.coef < 0 {
		b = append(b, '-')
		u = -u
	}
	digits := strconv.AppendUint(buf[:0], u, 10)
	point := len(digits) + int(d.exp) // digits before the point; < 0 for leading zeros
	frac := digits[max(point, 0):]
	for len(frac) > 0 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	if point > 0 {
		b = append(b, digits[:point]...)
	} else {
		b = append(b, '0')
	}
	if len(frac) == 0 {
		return b
	}
	b = append(b, '.')
	for range -point {
		b = append(b, '0')
	}
	return append(b, frac...)
}

// AppendDecString appends d as a JSON string (for x-decimal strings).
func AppendDecString(b []byte, d Dec) []byte {
	b = append(b, '"')
	b = AppendDec(b, d)
	return append(b, '"')
}

// Cmp compares d and e like decimal.Decimal's Cmp: -1, 0 or +1.
func (d Dec) Cmp(e Dec) int {
	if d.big == nil && e.big == nil {
		if c, ok := cmpInline(d.coef, int(d.exp), e.coef, int(e.exp)); ok {
			return c
		}
	}
	return d.Decimal().Cmp(e.Decimal())
}

// cmpInline compares a×10^ea and b×10^eb, reporting false when the
// exponents are too far apart to align in int64.
func cmpInline(a int64, ea int, b int64, eb int) (int, bool) {
	if (a < 0) != (b < 0) || a == 0 || b == 0 {
		return cmpInt(a, b), true // the signs decide
	}
	// Bring both to the smaller exponent while that stays in int64.
	for ea > eb && a > -1e17 && a < 1e17 {
		a *= 10
		ea--
	}
	for eb > ea && b > -1e17 && b < 1e17 {
		b *= 10
		eb--
	}
	if ea != eb {
		// One coefficient reached 18 digits while its exponent is still
		// the larger: it is the larger in magnitude, since the other has at
		// most 18 digits at a smaller exponent.
		dLarger := ea > eb
		if dLarger == (a > 0) {
			return 1, true
		}
		return -1, true
	}
	return cmpInt(a, b), true
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Places returns the number of digits after the decimal point d needs, as
// DecimalPlaces does: 1.50 has one place.
func (d Dec) Places() int {
	if d.big != nil {
		return DecimalPlaces(*d.big)
	}
	c, exp := d.coef, int(d.exp)
	if exp >= 0 || c == 0 {
		return 0
	}
	for c%10 == 0 && exp < 0 {
		c /= 10
		exp++
	}
	return -exp
}

// MultipleOf reports whether d is an integer multiple of m, exactly, as
// the function MultipleOf does.
func (d Dec) MultipleOf(m Dec) bool {
	if d.big == nil && m.big == nil && m.coef != 0 {
		if ok, exact := multipleInline(d.coef, int(d.exp), m.coef, int(m.exp)); exact {
			return ok
		}
	}
	return MultipleOf(d.Decimal(), m.Decimal())
}

// multipleInline decides whether a×10^ea is a multiple of b×10^eb when the
// exponents can be aligned without overflow, reporting false otherwise.
func multipleInline(a int64, ea int, b int64, eb int) (ok, exact bool) {
	if a == 0 {
		return true, true
	}
	ua, ub := absUint(a), absUint(b)
	// Scale the one with the larger exponent down to the other's.
	for ; ea > eb; ea-- {
		hi, lo := bits.Mul64(ua, 10)
		if hi != 0 {
			return false, false
		}
		ua = lo
	}
	for ; eb > ea; eb-- {
		hi, lo := bits.Mul64(ub, 10)
		if hi != 0 {
			return false, false
		}
		ub = lo
	}
	return ua%ub == 0, true
}

func absUint(v int64) uint64 {
	if v < 0 {
		if v == math.MinInt64 {
			return 1 << 63
		}
		return uint64(-v)
	}
	return uint64(v)
}
