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

// GoName derives an exported Go identifier from a JSON name:
// "features.ohlcv_window" becomes "FeaturesOHLCVWindow", "order-type"
// becomes "OrderType". Words split on any character that is not a letter
// or digit; a name starting with a digit gets an "X" in front. It returns ""
// when the name has no letter or digit at all.
func GoName(name string) string {
	var b strings.Builder
	for _, word := range strings.FieldsFunc(name, func(r rune) bool {
		return !(r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)))
	}) {
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
