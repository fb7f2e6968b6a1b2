package outbound

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
)

// Defaults of Options.
const (
	DefaultDialTimeout           = 5 * time.Second
	DefaultTLSHandshakeTimeout   = 5 * time.Second
	DefaultResponseHeaderTimeout = 10 * time.Second
	DefaultTimeout               = 30 * time.Second
	DefaultMaxRedirects          = 5
	DefaultMaxBodyBytes          = 10 << 20
)

// Options configures NewClient. The zero value gives the defaults.
type Options struct {
	// Ports are the destination ports allowed; nil means 80, 443, 8080
	// and 8443.
	Ports []uint16

	// Allow lists exact address:port pairs exempt from every address and
	// port rule, such as a sidecar on 127.0.0.1:9000 or a test server.
	// Nothing else on those addresses or ports is opened up.
	Allow []netip.AddrPort

	// Resolver looks up host names; nil means net.DefaultResolver.
	Resolver Resolver

	// TLSClientConfig is the TLS configuration, for private roots or client
	// certificates; nil means the system roots.
	TLSClientConfig *tls.Config

	DialTimeout           time.Duration // connecting, per address; 0 means DefaultDialTimeout
	TLSHandshakeTimeout   time.Duration // 0 means DefaultTLSHandshakeTimeout
	ResponseHeaderTimeout time.Duration // from sending the request to the response headers; 0 means DefaultResponseHeaderTimeout
	Timeout               time.Duration // the whole exchange, body included; 0 means DefaultTimeout

	// MaxRedirects is how many redirects one request follows; 0 means
	// DefaultMaxRedirects, and a negative value returns the 3xx response
	// itself.
	MaxRedirects int

	// MaxBodyBytes caps a response body; reading past it fails with
	// MCP-017. 0 (or less) means DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// Resolver looks up the addresses of a host name; *net.Resolver implements it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// NewClient returns an *http.Client that only reaches public addresses.
//
// Every request, redirects included, must pass the policy CheckURL applies,
// with opts.Ports and opts.Allow in place of the defaults. Host names are
// resolved by the client itself and every address they resolve to must be
// public, or the request fails without connecting; the socket is checked
// again just before it connects, so the address checked is the address used
// (no DNS rebinding window). Refusals are *mcperr.Error with code MCP-016
// (SSRF_BLOCKED), found with mcperr.AsError or errors.As; a response body
// longer than opts.MaxBodyBytes fails with MCP-017 when read. A host that
// does not resolve, refuses the connection or does not answer in
// opts.DialTimeout is MCP-003 (BACKEND_UNAVAILABLE), with a message that
// names the host but neither the addresses it resolved to nor the
// resolver's text (the cause stays reachable with errors.Is and errors.As).
//
// Proxies are never used: HTTP_PROXY and HTTPS_PROXY are ignored, since a
// proxy would connect on the client's behalf where this one cannot check.
// Replacing the client's Transport removes the protection.
func NewClient(opts Options) *http.Client {
	p := &policy{ports: opts.Ports, allow: opts.Allow}
	if p.ports == nil {
		p.ports = defaultPorts
	}
	d := &dialer{
		policy:   p,
		resolver: opts.Resolver,
		net: net.Dialer{
			Timeout: orDefault(opts.DialTimeout, DefaultDialTimeout),
			Control: p.control,
		},
	}
	if d.resolver == nil {
		d.resolver = net.DefaultResolver
	}
	maxBody := opts.MaxBodyBytes
	if maxBody <= 0 {
		maxBody = DefaultMaxBodyBytes
	}
	return &http.Client{
		Transport: &guard{
			policy:  p,
			maxBody: maxBody,
			next: &http.Transport{
				Proxy:                  nil,
				TLSClientConfig:        opts.TLSClientConfig,
				DialContext:            d.DialContext,
				ForceAttemptHTTP2:      true,
				TLSHandshakeTimeout:    orDefault(opts.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout),
				ResponseHeaderTimeout:  orDefault(opts.ResponseHeaderTimeout, DefaultResponseHeaderTimeout),
				MaxResponseHeaderBytes: 1 << 20,
				IdleConnTimeout:        90 * time.Second,
				MaxIdleConns:           100,
			},
		},
		CheckRedirect: redirectLimit(opts.MaxRedirects),
		Timeout:       orDefault(opts.Timeout, DefaultTimeout),
	}
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func redirectLimit(max int) func(*http.Request, []*http.Request) error {
	if max == 0 {
		max = DefaultMaxRedirects
	}
	return func(req *http.Request, via []*http.Request) error {
		if max < 0 {
			return http.ErrUseLastResponse
		}
		if len(via) > max {
			return mcperr.Errorf(mcperr.CodeBackendUnavailable, "outbound request stopped after %d redirects", max)
		}
		return nil // the guard checks the new URL when it is sent
	}
}

// guard checks every request, redirects included, before the transport sees
// it, and caps response bodies.
type guard struct {
	policy  *policy
	maxBody int64
	next    http.RoundTripper
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := g.policy.checkURL(req.URL); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		what := "outbound request"
		if req.Response != nil {
			what = "redirect"
		}
		return nil, mcperr.Errorf(mcperr.CodeSSRFBlocked, "%s blocked: %s", what, err)
	}
	resp, err := g.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if req.Method != http.MethodHead && resp.ContentLength > g.maxBody {
		resp.Body.Close()
		return nil, mcperr.Errorf(mcperr.CodePayloadTooLarge,
			"outbound response body is %d bytes, more than the %d allowed", resp.ContentLength, g.maxBody)
	}
	resp.Body = &cappedBody{rc: resp.Body, left: g.maxBody, max: g.maxBody}
	return resp, nil
}

// cappedBody fails a read that goes past max bytes, instead of truncating
// silently.
type cappedBody struct {
	rc   io.ReadCloser
	left int64
	max  int64
	err  error
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	if int64(n) <= b.left {
		b.left -= int64(n)
		return n, err
	}
	n = int(b.left)
	b.left = 0
	b.err = mcperr.Errorf(mcperr.CodePayloadTooLarge, "outbound response body exceeds %d bytes", b.max)
	return n, b.err
}

func (b *cappedBody) Close() error { return b.rc.Close() }

// dialer resolves names itself so that it can refuse a host any of whose
// addresses is blocked, and dials the checked addresses only.
type dialer struct {
	policy   *policy
	resolver Resolver
	net      net.Dialer
}

func (d *dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else if addrs, err = d.resolver.LookupNetIP(ctx, "ip", host); err != nil {
		if ctx.Err() != nil {
			return nil, err // the caller gave up, the backend did not fail
		}
		return nil, unavailable(err, "connection to %s failed: %s", host, lookupFailure(err))
	}
	if len(addrs) == 0 {
		return nil, unavailable(errors.New("no addresses"), "connection to %s failed: the host name does not resolve", host)
	}
	// One blocked address refuses the host: trying the others first would
	// let whoever controls its DNS choose when the blocked one is used.
	for _, a := range addrs {
		if err := d.policy.checkAddrPort(a, uint16(port)); err != nil {
			return nil, mcperr.Errorf(mcperr.CodeSSRFBlocked, "connection to %s blocked: %s", host, err)
		}
	}
	var first error
	for _, a := range addrs {
		conn, err := d.net.DialContext(ctx, network, netip.AddrPortFrom(a, uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		var refused *mcperr.Error
		if errors.As(err, &refused) {
			return nil, err // the socket check refused the address (MCP-016)
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			return nil, err
		}
	}
	return nil, unavailable(first, "connection to %s failed: %s", net.JoinHostPort(host, portText), d.connectFailure(first))
}

// backendError is an MCP-003 failure to reach a backend. Its text is the safe
// message only: the resolver's text and the addresses a name resolved to
// stay out of it, even when a handler quotes the error. The cause is kept
// for errors.Is and errors.As (syscall.ECONNREFUSED, *net.DNSError).
type backendError struct {
	safe  *mcperr.Error
	cause error
}

func (e *backendError) Error() string   { return e.safe.Error() }
func (e *backendError) Unwrap() []error { return []error{e.safe, e.cause} }

func unavailable(cause error, format string, args ...any) error {
	return &backendError{safe: mcperr.Errorf(mcperr.CodeBackendUnavailable, format, args...), cause: cause}
}

// lookupFailure says in fixed words why a name lookup failed.
func lookupFailure(err error) string {
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		return "the host name does not resolve"
	case errors.As(err, &dns) && dns.IsTimeout, isTimeout(err):
		return "looking up the host name timed out"
	}
	return "the host name could not be looked up"
}

// connectFailure says in fixed words why connecting failed.
func (d *dialer) connectFailure(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case isTimeout(err):
		return "connecting timed out after " + d.net.Timeout.String()
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "host unreachable"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	}
	return "could not connect"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// control is the net.Dialer's last check, on the address the socket is about
// to connect to.
func (p *policy) control(network, address string, _ syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" {
		return mcperr.Errorf(mcperr.CodeSSRFBlocked, "connection blocked: network %s is not allowed", network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return mcperr.Errorf(mcperr.CodeSSRFBlocked, "connection blocked: %s is not an address", address)
	}
	if err := p.checkAddrPort(ap.Addr(), ap.Port()); err != nil {
		return mcperr.Errorf(mcperr.CodeSSRFBlocked, "connection blocked: %s", err)
	}
	return nil
}
