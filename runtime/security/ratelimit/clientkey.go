package ratelimit

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/mcpgen/mcpgen/runtime/internal/principal"
)

// KeyFunc returns the key a request is counted under.
type KeyFunc func(r *http.Request) string

// ClientKey returns the KeyFunc that tells clients apart, most specific
// first: the client ID the authentication layer put in the request's
// context (principal.WithClientID: an HMAC key's client or ID, a bearer
// token's ID or a keyed hash of the token), and otherwise the client's
// address as ClientAddr finds it, as "ip:203.0.113.7". An IPv6 client is
// keyed by its /64, since one host commonly holds a whole /64 and could
// otherwise take a fresh address per request.
//
// Client IDs never contain ':', so they cannot collide with addresses.
func ClientKey(trustedProxies []netip.Prefix) KeyFunc {
	return func(r *http.Request) string {
		if id := principal.ClientID(r.Context()); id != "" {
			return id
		}
		addr, ok := ClientAddr(r, trustedProxies)
		if !ok {
			return "ip:" + r.RemoteAddr // not TCP (a Unix socket, a test)
		}
		if addr.Is6() {
			p, _ := addr.Prefix(64)
			return string(p.AppendTo(append(make([]byte, 0, 48), "ip:"...)))
		}
		return string(addr.AppendTo(append(make([]byte, 0, 24), "ip:"...)))
	}
}

// ClientAddr returns the address of the client that sent r. That is the
// TCP peer, unless the peer is one of trustedProxies: then X-Forwarded-For
// is read from the right, skipping addresses of trusted proxies, and the
// first other address is the client. Entries left of it were written by
// the client itself and are never believed. With no trusted proxies,
// X-Forwarded-For is ignored, since anyone can send it.
func ClientAddr(r *http.Request, trustedProxies []netip.Prefix) (netip.Addr, bool) {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	addr := peer.Addr().Unmap()
	if !trusted(addr, trustedProxies) {
		return addr, true
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, ok := parseHop(hops[i])
		if !ok {
			break // a garbled entry: the last trusted hop is all we know
		}
		addr = hop
		if !trusted(addr, trustedProxies) {
			break
		}
	}
	return addr, true
}

func trusted(addr netip.Addr, proxies []netip.Prefix) bool {
	for _, p := range proxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// parseHop parses one X-Forwarded-For entry: an address, with a port as
// some proxies write it.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// ParsePrefixes parses a comma-separated list of CIDR prefixes and bare
// addresses (a single host), as MCP_TRUSTED_PROXIES holds them.
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if a, err := netip.ParseAddr(part); err == nil {
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, err
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
