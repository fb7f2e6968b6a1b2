package redisstore

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const secret = "s3cr%3At-p4ss" // escaped ':' inside: "s3cr:t-p4ss" unescaped

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"redis://127.0.0.1:6379":                            "redis://127.0.0.1:6379",
		"redis://:" + secret + "@127.0.0.1:6379/2?x=1":      "redis://:xxxxx@127.0.0.1:6379/2",
		"rediss://app:" + secret + "@redis.internal:6380":   "rediss://app:xxxxx@redis.internal:6380",
		"redis://app@h:1":                                   "redis://app@h:1",
		"redis+cluster://u:p/w?d#@h1:1,h2:2?dial_timeout=1": "redis+cluster://u:xxxxx@h1:1,h2:2",
		"127.0.0.1:6379":                                    "(not a URL)",
	} {
		assert.Equal(t, want, redactURL(in), in)
	}
}

func TestNewRefusesBadURLs(t *testing.T) {
	for _, tt := range []struct{ url, want string }{
		{"127.0.0.1:6379", "not a URL"},
		{"http://127.0.0.1:6379", `unknown scheme "http"`},
		{"redis://:" + secret + "@127.0.0.1:99999", "invalid port"},
		{"redis://:" + secret + "@[::1", "malformed URL"},
		{"redis://:" + secret + "@127.0.0.1:6379?nope=1", "malformed URL"},
		{"redis+cluster://:" + secret + "@h1:1,,h2:2", "one is empty"},
		{"redis+cluster://h1:1,h2:2/3", "no database path"},
	} {
		_, err := New(context.Background(), tt.url, Options{})
		require.Error(t, err, tt.url)
		assert.Contains(t, err.Error(), "MCP_REDIS_URL", tt.url)
		assert.Contains(t, err.Error(), tt.want, tt.url)
		assertNoSecret(t, err.Error())
	}
	_, err := New(context.Background(), "redis://127.0.0.1:1", Options{Prefix: "a{b}:"})
	assert.ErrorContains(t, err, "hash tags")
}

func assertNoSecret(t *testing.T, msg string) {
	t.Helper()
	assert.NotContains(t, msg, secret)
	assert.NotContains(t, msg, "s3cr:t-p4ss")
	assert.NotContains(t, msg, "p4ss")
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	return addr
}

// silentListener accepts connections and never answers, as a host that
// hangs would; it is closed when the test ends.
func silentListener(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				for _, c := range conns {
					c.Close()
				}
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return l.Addr().String()
}

func TestNewFailsFastWhenRedisIsUnreachable(t *testing.T) {
	t.Parallel()
	refused, silent := closedPort(t), silentListener(t)
	for _, tt := range []struct {
		name, url string
		within    time.Duration
	}{
		{"refused", "redis://:" + secret + "@" + refused, DefaultStartTimeout},
		{"no answer", "redis://app:" + secret + "@" + silent + "/0", DefaultStartTimeout + time.Second},
		{"cluster refused", "redis+cluster://:" + secret + "@" + refused + "," + closedPort(t), DefaultStartTimeout},
		{"cluster no answer", "redis+cluster://:" + secret + "@" + silent, DefaultStartTimeout + time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			s, err := New(context.Background(), tt.url, Options{})
			elapsed := time.Since(start)
			require.Error(t, err)
			assert.Nil(t, s)
			assert.Less(t, elapsed, tt.within, "New gave up after %s", elapsed)
			msg := err.Error()
			assert.Contains(t, msg, "cannot reach Redis at MCP_REDIS_URL=")
			assertNoSecret(t, msg)
			assert.ErrorIs(t, err, ErrUnavailable)
			t.Log(msg)
		})
	}
}

func TestNewConnectsWithTLSAndAPassword(t *testing.T) {
	t.Parallel()
	needRedis(t)
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	port, err := freePort()
	require.NoError(t, err)
	// TLS on a port of its own, with a password.
	srv, err := startRedis(t, "--tls-port", itoa(port), "--tls-cert-file", certFile, "--tls-key-file", keyFile,
		"--tls-auth-clients", "no", "--requirepass", "s3cr:t-p4ss")
	require.NoError(t, err)
	t.Cleanup(srv.close)

	url := "rediss://:" + secret + "@127.0.0.1:" + itoa(port)
	s := newStore(t, url, Options{TLSConfig: &tls.Config{RootCAs: pool}})
	require.NoError(t, s.Ping(context.Background()))
	fresh, err := s.Remember(context.Background(), "desk-a", "n1", time.Minute)
	require.NoError(t, err)
	assert.True(t, fresh)

	// Without the CA the handshake fails, and the message still hides the
	// password.
	_, err = New(context.Background(), url, Options{StartTimeout: 500 * time.Millisecond})
	require.Error(t, err)
	assertNoSecret(t, err.Error())
	assert.Contains(t, err.Error(), "rediss://:xxxxx@127.0.0.1:")

	// A wrong password is refused, not retried forever.
	_, err = New(context.Background(), "rediss://:wrong@127.0.0.1:"+itoa(port), Options{TLSConfig: &tls.Config{RootCAs: pool}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "MCP_REDIS_URL")
}

func TestNewOnAUnixSocket(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "redis.sock")
	srv, err := startRedis(t, "--unixsocket", sock, "--unixsocketperm", "700")
	require.NoError(t, err)
	t.Cleanup(srv.close)
	s := newStore(t, "unix://"+sock+"?db=1", Options{})
	d, err := s.Allow(context.Background(), "desk-a", 1, time.Minute)
	require.NoError(t, err)
	assert.True(t, d.Allowed)
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

// selfSigned writes a certificate for 127.0.0.1 and its key to dir and
// returns their paths and a pool that trusts it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "redisstore test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestClusterURL(t *testing.T) {
	c, isCluster, err := newClient("rediss+cluster://app:pw@h1:7000,h2:7001,[::1]:7002?dial_timeout=3s", Options{}, time.Second)
	require.NoError(t, err)
	defer c.Close()
	require.True(t, isCluster)
	o := c.(*redis.ClusterClient).Options()
	assert.Equal(t, []string{"h1:7000", "h2:7001", "[::1]:7002"}, o.Addrs)
	assert.Equal(t, "app", o.Username)
	assert.Equal(t, "pw", o.Password)
	require.NotNil(t, o.TLSConfig)
	assert.Equal(t, "h1", o.TLSConfig.ServerName)
	assert.Equal(t, time.Second, o.DialTimeout, "the store's timeout wins over the URL's")

	c, isCluster, err = newClient("redis://h:1/3", Options{}, time.Second)
	require.NoError(t, err)
	defer c.Close()
	assert.False(t, isCluster)
	assert.Equal(t, 3, c.(*redis.Client).Options().DB)
	assert.Equal(t, 0, c.(*redis.Client).Options().MaxRetries, "a script is never sent twice (go-redis reads -1 as 0 retries)")
	assert.True(t, strings.HasPrefix(redactURL("redis://h:1/3"), "redis://h:1/3"))
}
