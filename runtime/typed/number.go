package typed

import (
	"math"
	"strconv"

	"github.com/shopspring/decimal"
)

// maxExponent bounds the decimal exponent of any number mcpgen turns into a
// decimal.Decimal. Without it, a short literal such as 1e999999999 would make
// exact arithmetic allocate without bound (an "exponent bomb").
const maxExponent = 400

// literal is a JSON number literal split into its parts: the value is
// (neg ? -1 : 1) * digits * 10^exp, with digits free of leading zeros.
type literal struct {
	neg        bool
	start, end int // the significant digits are buf[start:end]; empty for zero
	exp        int
	buf        [MaxNumberLength]byte
}

func (l *literal) digits() []byte { return l.buf[l.start:l.end] }

// splitLiteral splits a syntactically valid JSON number literal into l.
func splitLiteral(lit []byte, l *literal) bool {
	if len(lit) > len(l.buf) {
		return false
	}
	i := 0
	if i < len(lit) && lit[i] == '-' {
		l.neg = true
		i++
	}
	n := 0
	for ; i < len(lit) && lit[i] >= '0' && lit[i] <= '9'; i++ {
		l.buf[n] = lit[i]
		n++
	}
	if i < len(lit) && lit[i] == '.' {
		i++
		start := i
		for ; i < len(lit) && lit[i] >= '0' && lit[i] <= '9'; i++ {
			l.buf[n] = lit[i]
			n++
			l.exp--
		}
		if i == start { // "1." is not a JSON number
			return false
		}
	}
	if i < len(lit) && (lit[i] == 'e' || lit[i] == 'E') {
		i++
		e, err := strconv.Atoi(string(lit[i:]))
		if err != nil || e > 1_000_000 || e < -1_000_000 {
			return false
		}
		l.exp += e
		i = len(lit)
	}
	if i != len(lit) {
		return false
	}
	l.start, l.end = 0, n
	for l.start < l.end && l.buf[l.start] == '0' {
		l.start++
	}
	for l.start < l.end && l.buf[l.end-1] == '0' {
		l.end--
		l.exp++
	}
	if l.start == l.end {
		l.exp = 0
	}
	return true
}

// ParseInt parses a JSON number literal that denotes an integer within int64
// (so "2.0" and "2e3" count). It reports false otherwise.
func ParseInt(lit []byte) (int64, bool) {
	if v, ok := parsePlainInt(lit); ok {
		return v, true
	}
	var l literal
	if !splitLiteral(lit, &l) || l.exp < 0 || l.end-l.start+l.exp > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range l.digits() {
		u = u*10 + uint64(c-'0')
	}
	for range l.exp {
		if u > math.MaxUint64/10 {
			return 0, false
		}
		u *= 10
	}
	if l.neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// parsePlainInt is the fast path for literals of at most 18 plain digits.
func parsePlainInt(lit []byte) (int64, bool) {
	s := lit
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

func isIntegral(lit []byte) bool {
	var l literal
	return splitLiteral(lit, &l) && l.exp >= 0
}

// inRange reports whether the number in l is zero or has its decimal
// exponent within ±maxExponent.
func (l *literal) inRange() bool {
	nd := l.end - l.start
	return nd == 0 || l.exp+nd <= maxExponent && l.exp >= -maxExponent
}

// inDecimalRange reports whether ParseDecimal accepts the literal, without
// parsing it: the reader refuses other numbers in a Value, so no schema
// keyword ever meets a number it cannot compare.
func inDecimalRange(lit []byte) bool {
	if _, ok := parsePlainInt(lit); ok {
		return true
	}
	var l literal
	return splitLiteral(lit, &l) && l.inRange()
}

// ParseDecimal parses a JSON number literal (or the text of a decimal string)
// exactly. Exponents beyond ±400 are refused rather than expanded.
func ParseDecimal(lit []byte) (decimal.Decimal, bool) {
	if v, ok := parsePlainInt(lit); ok {
		return decimal.New(v, 0), true
	}
	if m, exp, ok := parseShortDecimal(lit); ok {
		return decimal.New(m, exp), true
	}
	var l literal
	if !splitLiteral(lit, &l) || !l.inRange() {
		return decimal.Decimal{}, false
	}
	nd := l.end - l.start
	if nd == 0 {
		return decimal.Zero, true
	}
	if nd <= 18 {
		m, _ := parsePlainInt(l.digits())
		if l.neg {
			m = -m
		}
		return decimal.New(m, int32(l.exp)), true
	}
	d, err := decimal.NewFromString(string(lit))
	return d, err == nil
}

// parseShortDecimal is the fast path of ParseDecimal for a literal with a
// fraction and no exponent, such as 1.08525: with at most 18 digits in all,
// the coefficient fits in int64 whatever the zeros. It returns what the
// general path does: the significant digits, without leading or trailing
// zeros, as the coefficient.
func parseShortDecimal(lit []byte) (int64, int32, bool) {
	i := 0
	neg := len(lit) > 0 && lit[0] == '-'
	if neg {
		i++
	}
	if len(lit)-i > 19 { // 18 digits and the point
		return 0, 0, false
	}
	var m int64
	exp := int32(0)
	point := -1
	for ; i < len(lit); i++ {
		c := lit[i]
		switch {
		case c >= '0' && c <= '9':
			m = m*10 + int64(c-'0')
			if point >= 0 {
				exp--
			}
		case c == '.' && point < 0:
			point = i
		default:
			return 0, 0, false
		}
	}
	if point < 0 || point == len(lit)-1 || point == 0 || neg && point == 1 {
		return 0, 0, false // not a plain fraction ("1.", ".5" and "-.5" are not JSON numbers)
	}
	if m == 0 {
		return 0, 0, false // decimal.Zero, as the general path returns it
	}
	for m%10 == 0 {
		m /= 10
		exp++
	}
	if neg {
		m = -m
	}
	return m, exp, true
}

// DecimalPlaces returns the number of digits after the decimal point that d
// needs: trailing zeros do not count, so 1.50 has one place.
func DecimalPlaces(d decimal.Decimal) int {
	exp := int(d.Exponent())
	if exp >= 0 {
		return 0
	}
	if d.NumDigits() <= 18 {
		c := d.CoefficientInt64()
		for c != 0 && c%10 == 0 && exp < 0 {
			c /= 10
			exp++
		}
		if c == 0 {
			return 0
		}
		return -exp
	}
	s := d.String() // String drops trailing zeros
	for i := range len(s) {
		if s[i] == '.' {
			return len(s) - i - 1
		}
	}
	return 0
}

// MultipleOf reports whether d is an integer multiple of m, exactly.
func MultipleOf(d, m decimal.Decimal) bool {
	if m.IsZero() {
		return false
	}
	return d.Mod(m).IsZero()
}

// FloatMultipleOf reports whether f is a multiple of m, computed exactly on
// the shortest decimal form of f (so 0.0075 is a multiple of 0.0001).
func FloatMultipleOf(f float64, m decimal.Decimal) bool {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return false
	}
	d, ok := ParseDecimal([]byte(strconv.FormatFloat(f, 'g', -1, 64)))
	return ok && MultipleOf(d, m)
}

// Decimal is the exact decimal type generated code uses (shopspring's).
type Decimal = decimal.Decimal

// CompareDecimal compares a and b like a.Cmp(b), without allocating when
// both coefficients fit in int64 and their exponents are close, as they are
// for bounds and amounts in tool arguments.
func CompareDecimal(a, b decimal.Decimal) int {
	if sa, sb := a.Sign(), b.Sign(); sa != sb || sa == 0 {
		return cmpInt(int64(sa), int64(sb)) // the signs decide, as against a bound of 0
	}
	if a.NumDigits() <= 18 && b.NumDigits() <= 18 {
		ca, cb := a.CoefficientInt64(), b.CoefficientInt64()
		ea, eb := int(a.Exponent()), int(b.Exponent())
		// Bring both to the smaller exponent while that stays in int64.
		for ea > eb && ca > -1e17 && ca < 1e17 {
			ca *= 10
			ea--
		}
		for eb > ea && cb > -1e17 && cb < 1e17 {
			cb *= 10
			eb--
		}
		if ea == eb {
			switch {
			case ca < cb:
				return -1
			case ca > cb:
				return 1
			}
			return 0
		}
	}
	return a.Cmp(b)
}

// ParseDecimalText parses the text of an x-decimal string: a JSON number
// literal such as "12.50", exactly, within the usual length and exponent
// limits.
func ParseDecimalText(s string) (decimal.Decimal, bool) {
	b := []byte(s)
	if len(b) == 0 || len(b) > MaxNumberLength || !isNumberLiteral(b) {
		return decimal.Decimal{}, false
	}
	return ParseDecimal(b)
}
