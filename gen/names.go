package gen

import (
	"strings"
	"unicode"
)

// initialisms are the words Go style writes in capitals (ID, URL…).
var initialisms = map[string]string{
	"id": "ID", "url": "URL", "uri": "URI", "api": "API", "http": "HTTP", "https": "HTTPS",
	"json": "JSON", "uuid": "UUID", "ip": "IP", "ttl": "TTL", "sql": "SQL", "html": "HTML",
	"utc": "UTC", "cpu": "CPU", "tcp": "TCP", "udp": "UDP", "tls": "TLS", "ohlcv": "OHLCV",
}

// words splits a name at every character that is not an ASCII letter or
// digit, and at each lower-to-upper case change ("ttlSeconds" → ttl, Seconds).
func words(name string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(name, func(r rune) bool {
		return !(r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)))
	}) {
		start := 0
		for i := 1; i < len(part); i++ {
			if part[i] >= 'A' && part[i] <= 'Z' && part[i-1] >= 'a' && part[i-1] <= 'z' {
				out = append(out, part[start:i])
				start = i
			}
		}
		out = append(out, part[start:])
	}
	return out
}

// GoName derives an exported Go identifier from a JSON name:
// "features.ohlcv_window" becomes "FeaturesOHLCVWindow", "order-type"
// becomes "OrderType" and "ttlSeconds" "TTLSeconds". Common initialisms are
// written in capitals; a name starting with a digit gets an "X" in front. It returns ""
// when the name has no letter or digit at all.
func GoName(name string) string {
	var b strings.Builder
	for _, word := range words(name) {
		if up, ok := initialisms[strings.ToLower(word)]; ok {
			b.WriteString(up)
			continue
		}
		b.WriteString(strings.ToUpper(word[:1]))
		b.WriteString(word[1:])
	}
	s := b.String()
	if s != "" && s[0] >= '0' && s[0] <= '9' {
		s = "X" + s
	}
	return s
}
