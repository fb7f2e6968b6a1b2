package outbound_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/mcpgen/mcpgen/runtime/security/outbound"
)

// hosts is a resolver backed by a map, standing in for DNS: the tests have
// loopback only, and a public name that resolves to an internal address is
// exactly what the dial-time check is for.
type hosts map[string][]string

func (h hosts) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	list, ok := h[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []netip.Addr
	for _, s := range list {
		out = append(out, netip.MustParseAddr(s))
	}
	return out, nil
}

// server starts a test server on 127.0.0.1 and returns it with its
// address:port.
func server(t *testing.T, h http.HandlerFunc) (*httptest.Server, netip.AddrPort) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, netip.MustParseAddrPort(srv.Listener.Addr().String())
}

func reply(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, body) }
}

// get fetches url and returns the body, or the error as "MCP-016 <message>".
func get(c *http.Client, url string) string {
	resp, err := c.Get(url)
	if err != nil {
		return describe(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return describe(err)
	}
	return strconv.Itoa(resp.StatusCode) + " " + string(b)
}

func describe(err error) string {
	var e *mcperr.Error
	if !errors.As(err, &e) {
		return "not a *mcperr.Error: " + err.Error()
	}
	return string(e.Code) + " " + e.Message
}

func TestClientChecksEveryAddress(t *testing.T) {
	_, ap := server(t, reply("hello"))
	port := ap.Port()
	api := fmt.Sprintf("http://api.example.com:%d/", port)
	dns := hosts{
		"api.example.com":      {"127.0.0.1"},
		"mapped.example.com":   {"::ffff:127.0.0.1"},
		"metadata.example.com": {"169.254.169.254"},
		"split.example.com":    {"93.184.215.14", "127.0.0.1"},
	}
	tests := []struct {
		name string
		opts outbound.Options
		url  string
		want string
	}{
		{"literal loopback URL", outbound.Options{}, "http://" + ap.String() + "/",
			"MCP-016 outbound request blocked: address 127.0.0.1 is in blocked range 127.0.0.0/8 (loopback)"},
		{"literal loopback URL, allowed", outbound.Options{Allow: []netip.AddrPort{ap}}, "http://" + ap.String() + "/",
			"200 hello"},
		{"port outside the set", outbound.Options{Resolver: dns}, api,
			fmt.Sprintf("MCP-016 outbound request blocked: port %d is not allowed (allowed: 80, 443, 8080, 8443)", port)},
		{"name resolving to loopback", outbound.Options{Resolver: dns, Ports: []uint16{port}}, api,
			"MCP-016 connection to api.example.com blocked: 127.0.0.1 is in blocked range 127.0.0.0/8 (loopback)"},
		{"name resolving to loopback, allowed", outbound.Options{Resolver: dns, Ports: []uint16{port}, Allow: []netip.AddrPort{ap}}, api,
			"200 hello"},
		{"name resolving to mapped loopback", outbound.Options{Resolver: dns, Ports: []uint16{port}},
			fmt.Sprintf("http://mapped.example.com:%d/", port),
			"MCP-016 connection to mapped.example.com blocked: ::ffff:127.0.0.1 is in blocked range 127.0.0.0/8 (loopback)"},
		{"name resolving to cloud metadata", outbound.Options{Resolver: dns}, "http://metadata.example.com/latest/meta-data/",
			"MCP-016 connection to metadata.example.com blocked: 169.254.169.254 is in blocked range 169.254.0.0/16 (link-local, cloud metadata)"},
		{"one public and one loopback address", outbound.Options{Resolver: dns, Ports: []uint16{port}, Allow: nil},
			fmt.Sprintf("http://split.example.com:%d/", port),
			"MCP-016 connection to split.example.com blocked: 127.0.0.1 is in blocked range 127.0.0.0/8 (loopback)"},
		{"allowance is for one port only", outbound.Options{Resolver: dns, Ports: []uint16{port, port + 1}, Allow: []netip.AddrPort{ap}},
			fmt.Sprintf("http://api.example.com:%d/", port+1),
			fmt.Sprintf("MCP-016 connection to api.example.com blocked: 127.0.0.1 is in blocked range 127.0.0.0/8 (loopback)")},
		{"userinfo", outbound.Options{}, "https://user:hunter2@example.com/",
			"MCP-016 outbound request blocked: URL must not contain userinfo (user:password@)"},
		{"scheme", outbound.Options{}, "ftp://example.com/",
			`MCP-016 outbound request blocked: scheme "ftp" is not allowed (allowed: http, https)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := get(outbound.NewClient(tt.opts), tt.url)
			if got != tt.want {
				t.Errorf("GET %s\n got: %s\nwant: %s", tt.url, got, tt.want)
			}
		})
	}
}

func TestClientRedirects(t *testing.T) {
	var hops atomic.Int32
	srv, ap := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-literal":
			http.Redirect(w, r, "http://10.0.0.1/admin", http.StatusFound)
		case "/to-name":
			http.Redirect(w, r, "http://metadata.example.com/latest/meta-data/", http.StatusFound)
		case "/to-userinfo":
			http.Redirect(w, r, "http://admin:hunter2@example.com/", http.StatusFound)
		case "/loop":
			hops.Add(1)
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/once":
			http.Redirect(w, r, "/done", http.StatusFound)
		default:
			io.WriteString(w, "done")
		}
	})
	opts := outbound.Options{
		Allow:        []netip.AddrPort{ap},
		Resolver:     hosts{"metadata.example.com": {"169.254.169.254"}},
		MaxRedirects: 2,
	}
	tests := []struct {
		path string
		opts outbound.Options
		want string
	}{
		{"/once", opts, "200 done"},
		{"/to-literal", opts, "MCP-016 redirect blocked: address 10.0.0.1 is in blocked range 10.0.0.0/8 (private network)"},
		{"/to-name", opts, "MCP-016 connection to metadata.example.com blocked: 169.254.169.254 is in blocked range 169.254.0.0/16 (link-local, cloud metadata)"},
		{"/to-userinfo", opts, "MCP-016 redirect blocked: URL must not contain userinfo (user:password@)"},
		{"/loop", opts, "MCP-003 outbound request stopped after 2 redirects"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := get(outbound.NewClient(tt.opts), srv.URL+tt.path); got != tt.want {
				t.Errorf("GET %s\n got: %s\nwant: %s", tt.path, got, tt.want)
			}
		})
	}
	if n := hops.Load(); n != 3 {
		t.Errorf("the redirect loop was requested %d times, want 3 (the request and 2 redirects)", n)
	}

	t.Run("negative MaxRedirects returns the redirect", func(t *testing.T) {
		opts := opts
		opts.MaxRedirects = -1
		resp, err := outbound.NewClient(opts).Get(srv.URL + "/to-literal")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "http://10.0.0.1/admin" {
			t.Errorf("got %d to %q, want 302 to http://10.0.0.1/admin", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

func TestClientBodyCap(t *testing.T) {
	srv, ap := server(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if r.URL.Query().Has("chunked") {
			w.(http.Flusher).Flush() // no Content-Length: the cap must hold while reading
		} else {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		io.WriteString(w, strings.Repeat("x", n))
	})
	c := outbound.NewClient(outbound.Options{Allow: []netip.AddrPort{ap}, MaxBodyBytes: 10})
	tests := []struct {
		query string
		want  string
	}{
		{"n=10", "200 xxxxxxxxxx"},
		{"n=10&chunked", "200 xxxxxxxxxx"},
		{"n=11", "MCP-017 outbound response body is 11 bytes, more than the 10 allowed"},
		{"n=11&chunked", "MCP-017 outbound response body exceeds 10 bytes"},
		{"n=100000&chunked", "MCP-017 outbound response body exceeds 10 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			if got := get(c, srv.URL+"/?"+tt.query); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	t.Run("HEAD announcing a large body", func(t *testing.T) {
		resp, err := c.Head(srv.URL + "/?n=100")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.ContentLength != 100 {
			t.Errorf("got %d with length %d, want 200 with length 100", resp.StatusCode, resp.ContentLength)
		}
	})
}

// TestClientIgnoresProxyEnvironment runs the request in a child process that
// starts with HTTP_PROXY set: the standard library reads the proxy variables
// once per process, so setting them in this one would prove nothing.
func TestClientIgnoresProxyEnvironment(t *testing.T) {
	if port := os.Getenv("OUTBOUND_TEST_TARGET_PORT"); port != "" {
		proxyChild(t, port)
		return
	}
	var proxied atomic.Int32
	proxy, _ := server(t, func(w http.ResponseWriter, _ *http.Request) {
		proxied.Add(1)
		io.WriteString(w, "via proxy")
	})
	_, ap := server(t, reply("direct"))
	cmd := exec.Command(os.Args[0], "-test.run=^TestClientIgnoresProxyEnvironment$", "-test.v")
	cmd.Env = append(os.Environ(),
		"OUTBOUND_TEST_TARGET_PORT="+strconv.Itoa(int(ap.Port())),
		"HTTP_PROXY="+proxy.URL, "http_proxy="+proxy.URL,
		"HTTPS_PROXY="+proxy.URL, "https_proxy="+proxy.URL,
		"NO_PROXY=", "no_proxy=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "got: 200 direct") {
		t.Errorf("child output:\n%s", out)
	}
	if n := proxied.Load(); n != 0 {
		t.Errorf("the proxy saw %d requests", n)
	}
}

func proxyChild(t *testing.T, port string) {
	p, _ := strconv.Atoi(port)
	ap := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(p))
	// A name, not 127.0.0.1: the standard library never proxies loopback
	// addresses, so a literal would prove nothing.
	target := "http://api.example.com:" + port + "/"
	u, _ := url.Parse(target)
	if p, err := http.ProxyFromEnvironment(&http.Request{URL: u}); err != nil || p == nil {
		t.Fatalf("ProxyFromEnvironment = %v, %v; the environment proxy is not in effect", p, err)
	}
	c := outbound.NewClient(outbound.Options{
		Resolver: hosts{"api.example.com": {"127.0.0.1"}},
		Ports:    []uint16{ap.Port()},
		Allow:    []netip.AddrPort{ap},
	})
	t.Logf("got: %s", get(c, target))
}

func TestClientTLS(t *testing.T) {
	srv := httptest.NewTLSServer(reply("secure"))
	t.Cleanup(srv.Close)
	ap := netip.MustParseAddrPort(srv.Listener.Addr().String())
	tlsConfig := srv.Client().Transport.(*http.Transport).TLSClientConfig
	c := outbound.NewClient(outbound.Options{
		Resolver:        hosts{"example.com": {"127.0.0.1"}}, // a name in the test certificate
		Ports:           []uint16{ap.Port()},
		Allow:           []netip.AddrPort{ap},
		TLSClientConfig: tlsConfig,
	})
	if got := get(c, fmt.Sprintf("https://example.com:%d/", ap.Port())); got != "200 secure" {
		t.Errorf("got %q, want %q", got, "200 secure")
	}
}

// failingResolver fails every lookup with err, standing in for a resolver
// that times out or answers with text naming internal servers.
type failingResolver struct{ err error }

func (r failingResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return nil, r.err
}

// closedPort returns a loopback address:port that nothing listens on: a
// listener's, closed again.
func closedPort(t *testing.T) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort(ln.Addr().String())
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return ap
}

// TestClientBackendUnavailable: a backend that cannot be resolved or
// reached is MCP-003 with a message that names the host, never the
// addresses it resolved to or the resolver's own text.
func TestClientBackendUnavailable(t *testing.T) {
	ap := closedPort(t)
	port := ap.Port()
	api := fmt.Sprintf("http://api.example.com:%d/", port)
	dns := hosts{"api.example.com": {"127.0.0.1"}}
	closed := outbound.Options{Resolver: dns, Ports: []uint16{port}, Allow: []netip.AddrPort{ap}}
	tests := []struct {
		name string
		opts outbound.Options
		url  string
		want string
	}{
		{"connection refused, by name", closed, api,
			fmt.Sprintf("MCP-003 connection to api.example.com:%d failed: connection refused", port)},
		{"connection refused, by address", closed, "http://" + ap.String() + "/",
			fmt.Sprintf("MCP-003 connection to 127.0.0.1:%d failed: connection refused", port)},
		{"timeout connecting", outbound.Options{Resolver: dns, Ports: []uint16{port}, Allow: []netip.AddrPort{ap}, DialTimeout: time.Nanosecond}, api,
			fmt.Sprintf("MCP-003 connection to api.example.com:%d failed: connecting timed out after 1ns", port)},
		{"name that does not resolve", outbound.Options{Resolver: hosts{}}, "https://nowhere.example.com/x",
			"MCP-003 connection to nowhere.example.com failed: the host name does not resolve"},
		{"name with no addresses", outbound.Options{Resolver: hosts{"empty.example.com": {}}}, "https://empty.example.com/",
			"MCP-003 connection to empty.example.com failed: the host name does not resolve"},
		{"resolver timeout", outbound.Options{Resolver: failingResolver{&net.DNSError{Err: "i/o timeout", Name: "api.example.com", Server: "10.0.0.53:53", IsTimeout: true}}},
			"https://api.example.com/", "MCP-003 connection to api.example.com failed: looking up the host name timed out"},
		{"resolver failure", outbound.Options{Resolver: failingResolver{errors.New("lookup api.example.com on 10.0.0.53:53: server misbehaving")}},
			"https://api.example.com/", "MCP-003 connection to api.example.com failed: the host name could not be looked up"},
		{"SSRF refusal still wins", outbound.Options{Resolver: dns, Ports: []uint16{port}}, api,
			"MCP-016 connection to api.example.com blocked: 127.0.0.1 is in blocked range 127.0.0.0/8 (loopback)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := outbound.NewClient(tt.opts).Get(tt.url)
			if err == nil {
				t.Fatal("request succeeded")
			}
			if got := describe(err); got != tt.want {
				t.Errorf("GET %s\n got: %s\nwant: %s", tt.url, got, tt.want)
			}
			// What a handler could pass on, quoting the error, is safe too.
			for _, secret := range []string{"10.0.0.53", "misbehaving", "dial tcp"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error text %q contains %q", err.Error(), secret)
				}
			}
			if strings.Contains(tt.url, "api.example.com") && strings.Contains(err.Error(), "127.0.0.1:") {
				t.Errorf("error text %q names the address the host resolved to", err.Error())
			}
		})
	}

	t.Run("the cause stays reachable", func(t *testing.T) {
		_, err := outbound.NewClient(closed).Get(api)
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("errors.Is(err, ECONNREFUSED) is false for %v", err)
		}
		_, err = outbound.NewClient(outbound.Options{Resolver: hosts{}}).Get("https://nowhere.example.com/")
		var dns *net.DNSError
		if !errors.As(err, &dns) || !dns.IsNotFound {
			t.Errorf("no *net.DNSError in %v", err)
		}
	})

	t.Run("a request the caller cancels is not MCP-003", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		resolver := blockingResolver(cancel)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://slow.example.com/", nil)
		_, err := outbound.NewClient(outbound.Options{Resolver: resolver}).Do(req)
		if e := mcperr.AsError(err); e.Code == mcperr.CodeBackendUnavailable || !errors.Is(err, context.Canceled) {
			t.Errorf("got %v (%s); want the context's cancellation", err, e.Code)
		}
	})
}

// blockingResolver cancels the request it serves, then waits for it to end.
type blockingResolver func()

func (cancel blockingResolver) LookupNetIP(ctx context.Context, _, _ string) ([]netip.Addr, error) {
	cancel()
	<-ctx.Done()
	return nil, &net.DNSError{Err: ctx.Err().Error(), IsTimeout: false}
}
