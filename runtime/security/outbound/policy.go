// Package outbound makes HTTP requests on behalf of tool calls without letting
// a caller steer them at the server's own network (MCP-016, SSRF_BLOCKED).
//
// Two layers enforce one policy. CheckURL is the static check that generated
// validators run on every x-outbound-url field: scheme, userinfo, port, local
// host names and literal IP addresses, with no DNS. NewClient returns an
// *http.Client that repeats that check on every request and redirect and then
// checks each address it actually connects to, after DNS, so a public name
// that resolves (or later re-resolves) to an internal address is refused too.
package outbound

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// defaultPorts are the destination ports allowed unless Options.Ports says
// otherwise: the usual HTTP and HTTPS ports and their common alternates.
var defaultPorts = []uint16{80, 443, 8080, 8443}

// blockedRange is a prefix no outbound connection may reach, with the name a
// refusal gives for it.
type blockedRange struct {
	prefix netip.Prefix
	name   string
}

func r(prefix, name string) blockedRange {
	return blockedRange{netip.MustParsePrefix(prefix), name}
}

// blocked4 lists every IPv4 special-purpose range (IANA's registry) that is
// not the public internet. 255.255.255.255 comes before 240.0.0.0/4 so that
// it is reported by its own name.
var blocked4 = []blockedRange{
	r("0.0.0.0/8", "this network"),
	r("10.0.0.0/8", "private network"),
	r("100.64.0.0/10", "carrier-grade NAT"),
	r("127.0.0.0/8", "loopback"),
	r("169.254.0.0/16", "link-local, cloud metadata"),
	r("172.16.0.0/12", "private network"),
	r("192.0.0.0/24", "IETF protocol assignments"),
	r("192.0.2.0/24", "documentation"),
	r("192.31.196.0/24", "AS112"),
	r("192.52.193.0/24", "AMT"),
	r("192.88.99.0/24", "6to4 relay anycast"),
	r("192.168.0.0/16", "private network"),
	r("192.175.48.0/24", "AS112"),
	r("198.18.0.0/15", "benchmarking"),
	r("198.51.100.0/24", "documentation"),
	r("203.0.113.0/24", "documentation"),
	r("224.0.0.0/4", "multicast"),
	r("255.255.255.255/32", "broadcast"),
	r("240.0.0.0/4", "reserved"),
}

// blocked6 lists the IPv6 ranges refused by name. Everything outside the
// global unicast range 2000::/3 is refused as well (globalUnicast), so the
// names here matter for the message, and the entries inside 2000::/3 for the
// decision. IPv4-mapped addresses (::ffff:0:0/96) are checked as the IPv4
// address they carry.
var blocked6 = []blockedRange{
	r("::/128", "unspecified"),
	r("::1/128", "loopback"),
	r("64:ff9b::/96", "NAT64"),
	r("64:ff9b:1::/48", "local NAT64"),
	r("100::/64", "discard-only"),
	r("2001::/23", "IETF protocol assignments, Teredo"),
	r("2001:db8::/32", "documentation"),
	r("2002::/16", "6to4"),
	r("2620:4f:8000::/48", "AS112"),
	r("3fff::/20", "documentation"),
	r("fc00::/7", "unique local"),
	r("fe80::/10", "link-local"),
	r("ff00::/8", "multicast"),
}

var globalUnicast = netip.MustParsePrefix("2000::/3")

// localNames are host names that never leave the machine or the site, and
// localSuffixes the domains reserved for the same.
var (
	localNames    = []string{"localhost", "ip6-localhost", "ip6-loopback"}
	localSuffixes = []string{".localhost", ".local", ".localdomain", ".internal", ".home.arpa"}
)

// blockedError is a refusal by the policy. Its text says which rule failed and
// never contains userinfo.
type blockedError struct{ reason string }

func (e *blockedError) Error() string { return e.reason }

func blocked(reason string) error { return &blockedError{reason} }

// policy is the SSRF policy: the allowed destination ports and the exact
// address:port pairs exempt from every address and port rule.
type policy struct {
	ports []uint16
	allow []netip.AddrPort
}

var defaultPolicy = policy{ports: defaultPorts}

// CheckURL reports whether raw may be used as the target of an outbound
// request, without resolving it. It returns nil or an error whose text says
// which rule failed:
//
//   - the scheme is http or https;
//   - there is a host and no userinfo (user:password@);
//   - the port, explicit or implied by the scheme, is 80, 443, 8080 or 8443;
//   - the host is not localhost or a name under .localhost, .local,
//     .localdomain, .internal or .home.arpa;
//   - a literal IP address is public (not loopback, private, link-local,
//     CGNAT, multicast, documentation, NAT64, 6to4, IPv4-mapped private…);
//   - an IPv4 address is written as four decimal numbers, so "2130706433",
//     "0x7f.1" and "0177.0.0.1" are refused rather than guessed at.
//
// A name that resolves to a blocked address passes CheckURL; the client from
// NewClient refuses it when it connects.
func CheckURL(raw string) error {
	return defaultPolicy.checkRawURL(raw)
}

func (p *policy) checkRawURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		// The parser's message quotes the URL, which may hold a password;
		// only its reason is kept, and not even that when userinfo is present.
		var ue *url.Error
		if strings.Contains(raw, "@") || !asURLError(err, &ue) {
			return blocked("not a valid URL")
		}
		return blocked("not a valid URL: " + ue.Err.Error())
	}
	return p.checkURL(u)
}

func asURLError(err error, target **url.Error) bool {
	ue, ok := err.(*url.Error)
	if ok {
		*target = ue
	}
	return ok
}

func (p *policy) checkURL(u *url.URL) error {
	switch u.Scheme {
	case "http", "https":
	case "":
		return blocked("URL has no scheme (allowed: http, https)")
	default:
		return blocked("scheme " + strconv.Quote(u.Scheme) + " is not allowed (allowed: http, https)")
	}
	if u.User != nil {
		return blocked("URL must not contain userinfo (user:password@)")
	}
	host := u.Hostname()
	if host == "" {
		return blocked("URL has no host")
	}
	port, err := urlPort(u)
	if err != nil {
		return err
	}
	addr, isAddr, err := parseHost(host)
	if err != nil {
		return err
	}
	if isAddr {
		if p.allowed(addr, port) {
			return nil
		}
		if reason := addrReason(addr); reason != "" {
			return blocked("address " + host + " " + reason)
		}
	}
	return p.checkPort(port)
}

// urlPort returns the URL's port, or the scheme's default when it has none.
func urlPort(u *url.URL) (uint16, error) {
	s := u.Port()
	if s == "" {
		if u.Scheme == "https" {
			return 443, nil
		}
		return 80, nil
	}
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, blocked("port " + s + " is not a valid port number")
	}
	return uint16(n), nil
}

func (p *policy) checkPort(port uint16) error {
	for _, q := range p.ports {
		if q == port {
			return nil
		}
	}
	var b strings.Builder
	b.WriteString("port ")
	b.WriteString(strconv.Itoa(int(port)))
	b.WriteString(" is not allowed (allowed: ")
	for i, q := range p.ports {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(int(q)))
	}
	b.WriteString(")")
	return blocked(b.String())
}

// parseHost classifies a URL host: a literal IP address (returned, with
// isAddr), a name, or something refused outright.
func parseHost(host string) (addr netip.Addr, isAddr bool, err error) {
	for i := 0; i < len(host); i++ {
		if host[i] >= 0x80 {
			return addr, false, blocked("host must be ASCII (write international names as xn-- labels)")
		}
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return addr, false, blocked("address " + host + " has an IPv6 zone, which is not allowed")
		}
		return a, true, nil
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if a, err := netip.ParseAddr(name); err == nil && a.Is4() {
		return a, true, nil // "127.0.0.1." is the address with a root dot
	}
	if endsInNumber(name) {
		// Resolvers read such names as IPv4 addresses in decimal, octal or
		// hex ("2130706433" is 127.0.0.1); only the dotted-decimal form is
		// checked, so the rest are refused.
		return addr, false, blocked("host " + strconv.Quote(host) + " is an IPv4 address in a non-standard form (write it as four decimal numbers)")
	}
	for _, n := range localNames {
		if name == n {
			return addr, false, blocked("host " + strconv.Quote(host) + " is a local name")
		}
	}
	for _, s := range localSuffixes {
		if strings.HasSuffix(name, s) {
			return addr, false, blocked("host " + strconv.Quote(host) + " is a local name (*" + s + ")")
		}
	}
	return addr, false, nil
}

// endsInNumber reports whether the last label of name is a decimal or 0x hex
// number, which the WHATWG URL standard and inet_aton treat as an IPv4
// address and which no DNS top-level domain can be.
func endsInNumber(name string) bool {
	last := name[strings.LastIndexByte(name, '.')+1:]
	if last == "" {
		return false
	}
	if strings.HasPrefix(last, "0x") {
		last = last[2:]
		for i := 0; i < len(last); i++ {
			if !isHex(last[i]) {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(last); i++ {
		if last[i] < '0' || last[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f'
}

// allowed reports whether addr:port is one of the policy's exemptions.
func (p *policy) allowed(addr netip.Addr, port uint16) bool {
	addr = addr.Unmap()
	for _, ap := range p.allow {
		if ap.Addr().Unmap() == addr && ap.Port() == port {
			return true
		}
	}
	return false
}

// checkAddrPort checks an address about to be dialled.
func (p *policy) checkAddrPort(addr netip.Addr, port uint16) error {
	if p.allowed(addr, port) {
		return nil
	}
	if reason := addrReason(addr); reason != "" {
		return blocked(addr.String() + " " + reason)
	}
	return p.checkPort(port)
}

// addrReason returns "" for a public address, and otherwise why it is
// blocked, as "is in blocked range 127.0.0.0/8 (loopback)".
func addrReason(a netip.Addr) string {
	if a.Zone() != "" {
		return "has an IPv6 zone"
	}
	if a.Is4In6() {
		a = a.Unmap()
	}
	if a.Is4() {
		for _, b := range blocked4 {
			if b.prefix.Contains(a) {
				return "is in blocked range " + b.prefix.String() + " (" + b.name + ")"
			}
		}
		return ""
	}
	for _, b := range blocked6 {
		if b.prefix.Contains(a) {
			return "is in blocked range " + b.prefix.String() + " (" + b.name + ")"
		}
	}
	if !globalUnicast.Contains(a) {
		return "is outside the global unicast range 2000::/3"
	}
	return ""
}
