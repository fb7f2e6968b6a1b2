package redisstore

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// The tests run against real Redis servers on loopback ports: the ones
// MCP_TEST_REDIS_URL and MCP_TEST_REDIS_CLUSTER_URL name (scripts/redis.sh
// start prints them), or else servers the tests start themselves, in
// temporary directories, and stop when they end. Without redis-server,
// scripts/redis.sh install is tried once; a test that still has none is
// skipped, except under CI=true, where it fails.

var (
	findOnce          sync.Once
	serverBin, cliBin string
	findErr           error
)

// needRedis returns the paths of redis-server and redis-cli, installing
// them once if need be, or skips t (fails it under CI).
func needRedis(t testing.TB) (server, cli string) {
	t.Helper()
	findOnce.Do(func() {
		if _, err := exec.LookPath("redis-server"); err != nil {
			out, err := exec.Command("../../../scripts/redis.sh", "install").CombinedOutput()
			if err != nil {
				findErr = fmt.Errorf("redis-server is not installed, and scripts/redis.sh install failed: %v\n%s", err, out)
				return
			}
		}
		if serverBin, findErr = exec.LookPath("redis-server"); findErr != nil {
			return
		}
		cliBin, findErr = exec.LookPath("redis-cli")
	})
	if findErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true, and the Redis tests cannot run: %v", findErr)
		}
		t.Skipf("skipping: no Redis to test against (%v)", findErr)
	}
	return serverBin, cliBin
}

// redisServer is a redis-server process of the tests'.
type redisServer struct {
	port int
	dir  string
	args []string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

func (r *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// startRedis starts a redis-server on a free loopback port (whose cluster
// bus port, 10000 higher, is free too) with args.
func startRedis(t testing.TB, args ...string) (*redisServer, error) {
	t.Helper()
	bin, _ := needRedis(t)
	dir, err := os.MkdirTemp("", "redisstore-test-")
	if err != nil {
		return nil, err
	}
	var last error
	for range 10 {
		port, err := freePort()
		if err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
		r := &redisServer{port: port, dir: dir, args: args}
		if last = r.start(bin); last == nil {
			return r, nil
		}
	}
	_ = os.RemoveAll(dir)
	return nil, last
}

func freePort() (int, error) {
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if port > 55000 {
			continue
		}
		bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		if err != nil {
			continue
		}
		bus.Close()
		return port, nil
	}
	return 0, fmt.Errorf("no free port pair")
}

func (r *redisServer) start(bin string) error {
	args := append([]string{"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--dir", r.dir, "--save", "", "--appendonly", "no", "--logfile", filepath.Join(r.dir, "redis.log")}, r.args...)
	cmd := exec.Command(bin, args...)
	// The server dies with the test binary, whatever happens to it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	r.mu.Lock()
	r.cmd, r.done = cmd, done
	r.mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(r.dir, "redis.log"))
			return fmt.Errorf("redis-server on %s exited: %s", r.addr(), lastLines(string(log), 5))
		default:
		}
		if ping(r.addr(), "") == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.stop()
	return fmt.Errorf("redis-server on %s did not answer", r.addr())
}

// ping sends PING (after AUTH when password is set) over a plain
// connection and wants PONG.
func ping(addr, password string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if password != "" {
		fmt.Fprintf(c, "AUTH %s\r\n", password)
	}
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.HasPrefix(line, "+PONG") || strings.HasPrefix(line, "-NOAUTH") {
			return nil // it answers (a server with a password, PINGed without)
		}
		if strings.HasPrefix(line, "-") && password == "" {
			return fmt.Errorf("%s", strings.TrimSpace(line))
		}
	}
}

// stop kills the server and waits for it to exit.
func (r *redisServer) stop() {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

// restart starts the server again on its port.
func (r *redisServer) restart(t testing.TB) error {
	bin, _ := needRedis(t)
	return r.start(bin)
}

// close stops the server and removes its directory.
func (r *redisServer) close() {
	r.stop()
	_ = os.RemoveAll(r.dir)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// startCluster starts three redis-servers in cluster mode and makes them
// one Redis Cluster with redis-cli --cluster create, as scripts/redis.sh
// does. It returns the nodes and the cluster's URL.
func startCluster(t testing.TB) ([]*redisServer, string, error) {
	_, cli := needRedis(t)
	var nodes []*redisServer
	fail := func(err error) ([]*redisServer, string, error) {
		for _, n := range nodes {
			n.close()
		}
		return nil, "", err
	}
	var addrs []string
	for range 3 {
		n, err := startRedis(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000")
		if err != nil {
			return fail(err)
		}
		nodes = append(nodes, n)
		addrs = append(addrs, n.addr())
	}
	args := append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		return fail(fmt.Errorf("redis-cli --cluster create: %v\n%s", err, out))
	}
	if err := waitClusterOK(addrs); err != nil {
		return fail(err)
	}
	return nodes, "redis+cluster://" + strings.Join(addrs, ","), nil
}

// waitClusterOK waits until every node reports cluster_state:ok and the
// cluster client sees every slot served.
func waitClusterOK(addrs []string) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ok := true
		for _, a := range addrs {
			c := redis.NewClient(&redis.Options{Addr: a, DisableIdentity: true})
			info, err := c.ClusterInfo(context.Background()).Result()
			c.Close()
			if err != nil || !strings.Contains(info, "cluster_state:ok") {
				ok = false
				break
			}
		}
		if ok {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("the cluster on %v did not reach cluster_state:ok", addrs)
}

// The servers shared by the tests, started on first use and stopped by
// TestMain.
var (
	standaloneOnce, clusterOnce sync.Once
	standaloneURL, clusterURL   string
	standaloneErr, clusterErr   error
	sharedMu                    sync.Mutex
	sharedServers               []*redisServer
)

func TestMain(m *testing.M) {
	// Drop go-redis's own log lines (a failed dial per call while a
	// test's Redis is down).
	SetClientLogger(nil)
	code := m.Run()
	sharedMu.Lock()
	for _, s := range sharedServers {
		s.close()
	}
	sharedMu.Unlock()
	os.Exit(code)
}

func keep(servers ...*redisServer) {
	sharedMu.Lock()
	sharedServers = append(sharedServers, servers...)
	sharedMu.Unlock()
}

// standalone returns the URL of the shared standalone server.
func standalone(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("MCP_TEST_REDIS_URL"); u != "" {
		return u
	}
	needRedis(t)
	standaloneOnce.Do(func() {
		s, err := startRedis(t)
		if err != nil {
			standaloneErr = err
			return
		}
		keep(s)
		standaloneURL = "redis://" + s.addr()
	})
	if standaloneErr != nil {
		t.Fatalf("starting redis-server: %v", standaloneErr)
	}
	return standaloneURL
}

// cluster returns the URL of the shared three-node cluster.
func cluster(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("MCP_TEST_REDIS_CLUSTER_URL"); u != "" {
		return u
	}
	needRedis(t)
	clusterOnce.Do(func() {
		nodes, u, err := startCluster(t)
		if err != nil {
			clusterErr = err
			return
		}
		keep(nodes...)
		clusterURL = u
	})
	if clusterErr != nil {
		t.Fatalf("starting the Redis Cluster: %v", clusterErr)
	}
	return clusterURL
}

// target is a deployment the behavioural tests run against.
type target struct{ name, url string }

// targets returns the standalone server and the cluster, started side by
// side (the cluster takes a second or two to form).
func targets(t testing.TB) []target {
	t.Helper()
	needRedis(t)
	var wg sync.WaitGroup
	// Each Once may fail; the calls below report it on t's goroutine.
	wg.Go(func() { defer func() { _ = recover() }(); standalone(noFail{t}) })
	wg.Go(func() { defer func() { _ = recover() }(); cluster(noFail{t}) })
	wg.Wait()
	return []target{{"standalone", standalone(t)}, {"cluster", cluster(t)}}
}

// noFail is a testing.TB whose failures panic instead, for use off the
// test's goroutine (where Fatal and Skip must not run).
type noFail struct{ testing.TB }

func (n noFail) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (n noFail) Skipf(format string, args ...any)  { panic(fmt.Sprintf(format, args...)) }
func (n noFail) Helper()                           {}

var prefixSeq atomic.Int64

// runID keeps the keys of one run apart from an earlier run's on a shared
// server.
var runID = strconv.FormatInt(time.Now().UnixNano()%1e9, 36)

// newStore returns a Store on url with a key prefix of the test's own,
// closed and its keys deleted when the test ends.
func newStore(t testing.TB, url string, opts Options) *Store {
	t.Helper()
	if opts.Prefix == "" {
		opts.Prefix = fmt.Sprintf("test:%s:%d:", runID, prefixSeq.Add(1))
	}
	s, err := New(context.Background(), url, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		deleteKeys(s, opts.Prefix)
		_ = s.Close()
	})
	return s
}

// deleteKeys deletes the keys under prefix, on every master.
func deleteKeys(s *Store, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	del := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
		return iter.Err()
	}
	switch c := s.client.(type) {
	case *redis.ClusterClient:
		_ = c.ForEachMaster(ctx, del)
	case *redis.Client:
		_ = del(ctx, c)
	}
}
