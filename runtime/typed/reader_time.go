package typed

import "time"

// DateTime reads an RFC 3339 date-time string (format "date-time") into a
// time.Time. Go's time package has no leap second, so 23:59:60 is refused
// here with its own message.
func (r *Reader) DateTime(p *Path) (time.Time, bool) {
	b, ok := r.StringBytes(p)
	if !ok {
		return time.Time{}, false
	}
	s := bytesString(b)
	if t, ok := utcSecond(s); ok {
		return t, true
	}
	if !IsDateTime(s) {
		r.Violations.Add(p, "format", "must be an RFC 3339 date-time such as \"2026-01-02T15:04:05Z\"")
		return time.Time{}, false
	}
	t, ok := parseDateTime(s)
	if !ok {
		r.Violations.Add(p, "format", "leap seconds are not supported")
		return time.Time{}, false
	}
	return t, true
}

// parseDateTime parses a string IsDateTime accepts. RFC 3339 allows a
// lower-case "t" and "z", which time.Parse refuses, so they are upper-cased
// first. It fails only for a leap second (second 60), which time.Time
// cannot hold.
func parseDateTime(s string) (time.Time, bool) {
	if t, ok := utcSecond(s); ok {
		return t, true
	}
	if s[10] == 't' || s[len(s)-1] == 'z' {
		b := []byte(s)
		b[10] = 'T'
		if b[len(b)-1] == 'z' {
			b[len(b)-1] = 'Z'
		}
		s = string(b)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// utcSecond reads the common form of a date-time, in UTC to the second
// ("2026-10-31T00:00:00Z"), checking it as IsDateTime does and returning
// the Time time.Parse would; false for anything else, valid or not, which
// the general path then handles. One pass, as time.Date needs no parsing.
func utcSecond(s string) (time.Time, bool) {
	if len(s) != len("2006-01-02T15:04:05Z") || s[19] != 'Z' && s[19] != 'z' ||
		s[10] != 'T' && s[10] != 't' || s[13] != ':' || s[16] != ':' || !isFullDate(s) {
		return time.Time{}, false
	}
	hour, minute, second := twoDigits(s, 11), twoDigits(s, 14), twoDigits(s, 17)
	if hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 {
		return time.Time{}, false // second 60 included: the general path words it
	}
	year := twoDigits(s, 0)*100 + twoDigits(s, 2)
	return time.Date(year, time.Month(twoDigits(s, 5)), twoDigits(s, 8), hour, minute, second, 0, time.UTC), true
}

// Decimal reads a JSON number exactly into a decimal.Decimal; asString reads
// a JSON string holding the number instead (x-decimal on a string).
func (r *Reader) Decimal(p *Path, asString bool) (dec Decimal, ok bool) {
	lit, ok := r.decimalLiteral(p, asString)
	if !ok {
		return dec, false
	}
	d, ok := ParseDecimal(lit)
	if !ok {
		r.Violations.Add(p, "x-decimal", "number out of range (exponent beyond ±400)")
		return dec, false
	}
	return d, true
}

// decimalLiteral reads the literal of a decimal: a JSON number, or with
// asString a JSON string holding one.
func (r *Reader) decimalLiteral(p *Path, asString bool) ([]byte, bool) {
	if !asString {
		return r.Number(p)
	}
	lit, ok := r.StringBytes(p)
	if !ok {
		return nil, false
	}
	if len(lit) > MaxNumberLength || !isNumberLiteral(lit) {
		r.Violations.Add(p, "x-decimal", "must be a decimal number written as a JSON number literal, such as \"12.50\"")
		return nil, false
	}
	return lit, true
}

func isNumberLiteral(b []byte) bool {
	var l literal
	if len(b) == 0 || !splitLiteral(b, &l) {
		return false
	}
	i := 0
	if b[0] == '-' {
		i++
	}
	if i >= len(b) || b[i] < '0' || b[i] > '9' || b[i] == '0' && i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '9' {
		return false
	}
	return true
}
