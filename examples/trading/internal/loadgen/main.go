// Command loadgen drives a trading server with concurrent HMAC-signed
// clients for a fixed time and reports what it held: throughput, latency
// percentiles, answers by outcome and, given the server's pid, its peak
// resident memory (VmHWM) and CPU time. scripts/load.sh builds and starts
// the server and runs it.
//
//	loadgen -write-keys keys.json -keys-count 16                  # a keys file for MCP_HMAC_KEYS_FILE
//	loadgen -url http://127.0.0.1:8080/mcp -keys keys.json -clients 16 -duration 60s -pid 1234
//
// Each client is one MCP session (initialize, notifications/initialized,
// then tools/call after tools/call, one at a time) signed with a key of its
// own (keys[i mod len(keys)], so every client is its own client ID with
// its own limits), calling the five trading tools in turn with valid
// arguments: position-limit checks, window features, simulated quotes,
// and a set then a get of shared state. With -stateless there is no
// session and, with -rotate, each request is signed with the next of the
// client's keys, spreading per-client limits over many client IDs.
//
// Every answer is counted under its outcome: ok; tool MCP-xxx (an error
// result); jsonrpc N (a JSON-RPC error); http N MCP-xxx (a refusal before
// the protocol layer); transport (no answer). tool MCP-006 is a tool's
// x-rate-limit refusing a client over its per-minute budget, which a
// flat-out client hits by design; the report lists it as expected and
// every other failure as unexpected. The exit status is 1 when there was an
// unexpected failure, 2 on a usage error.
//
// Only loopback URLs are accepted: this is a load generator for a server
// on this machine.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mcpgen/mcpgen/runtime/security/auth"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	url       string
	clients   int
	duration  time.Duration
	keysFile  string
	pid       int
	stateless bool
	rotate    bool
	jsonOut   string
	timeout   time.Duration
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080/mcp", "MCP endpoint of the server (loopback only)")
	fs.IntVar(&o.clients, "clients", 16, "concurrent clients")
	fs.DurationVar(&o.duration, "duration", 60*time.Second, "how long to send calls")
	fs.StringVar(&o.keysFile, "keys", "", `HMAC keys file {"keys":[{"id":..,"client":..,"secret":..}]} (default: API_KEY_HMAC_SECRET as key "default")`)
	fs.IntVar(&o.pid, "pid", 0, "the server's pid, for its peak RSS (VmHWM) and CPU time from /proc")
	fs.BoolVar(&o.stateless, "stateless", false, "no sessions (a server with MCP_HTTP_STATELESS=true)")
	fs.BoolVar(&o.rotate, "rotate", false, "with -stateless: sign each request with the next of the client's keys")
	fs.StringVar(&o.jsonOut, "json", "", "also write the report as JSON to this file")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "per-request timeout")
	writeKeys := fs.String("write-keys", "", "write a keys file with -keys-count fresh keys to this path and exit")
	keysCount := fs.Int("keys-count", 16, "with -write-keys: how many keys")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *writeKeys != "" {
		if err := writeKeysFile(*writeKeys, *keysCount); err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return 2
		}
		return 0
	}
	keys, err := loadKeys(o.keysFile)
	if err == nil {
		err = checkOptions(&o)
	}
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 2
	}
	rep, err := drive(o, keys)
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 2
	}
	rep.print(stdout)
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return 2
		}
	}
	if rep.Unexpected > 0 {
		return 1
	}
	return 0
}

func checkOptions(o *options) error {
	u, err := url.Parse(o.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("-url must be an http URL, got %q", o.url)
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	if !strings.EqualFold(host, "localhost") && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-url must name a loopback address (127.0.0.0/8, ::1, localhost), got %q", host)
	}
	switch {
	case o.clients < 1 || o.clients > 4096:
		return errors.New("-clients must be 1..4096")
	case o.duration <= 0 || o.duration > time.Hour:
		return errors.New("-duration must be positive and at most 1h")
	case o.rotate && !o.stateless:
		return errors.New("-rotate needs -stateless: a session belongs to the client that opened it")
	}
	return nil
}

func writeKeysFile(path string, n int) error {
	if n < 1 || n > 100000 {
		return errors.New("-keys-count must be 1..100000")
	}
	var f struct {
		Keys []auth.Key `json:"keys"`
	}
	for i := range n {
		secret := make([]byte, 32)
		rand.Read(secret)
		id := fmt.Sprintf("load-%04d", i)
		f.Keys = append(f.Keys, auth.Key{ID: id, Client: id, Secret: hex.EncodeToString(secret)})
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

func loadKeys(path string) ([]auth.Key, error) {
	if path == "" {
		secret := os.Getenv("API_KEY_HMAC_SECRET")
		if secret == "" {
			return nil, errors.New("give -keys, or set API_KEY_HMAC_SECRET")
		}
		return []auth.Key{{ID: auth.DefaultKeyID, Secret: secret}}, nil
	}
	keys, err := auth.ReadKeysFile(path)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s holds no key", path)
	}
	return keys, nil
}

// outcome names an answer: "ok", "tool MCP-006", "jsonrpc -32602",
// "http 429 MCP-006", "transport".
type outcome string

const outcomeOK outcome = "ok"

// expected are the failures a flat-out client meets by design.
var expected = map[outcome]string{
	"tool MCP-006": "a tool's x-rate-limit (per client, per minute)",
}

// worker is one client: its keys, its session, what it measured.
type worker struct {
	id       int
	o        options
	keys     []auth.Key
	next     int // the next key, with -rotate
	http     *http.Client
	session  string
	reqID    int
	stored   []string // shared-state keys it has set, for gets
	lat      []time.Duration
	outcomes map[outcome]int
	samples  map[outcome]string // one answer per failure outcome
}

func drive(o options, keys []auth.Key) (*report, error) {
	base := &http.Transport{
		MaxIdleConns:        o.clients * 2,
		MaxIdleConnsPerHost: o.clients * 2,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	defer base.CloseIdleConnections()
	workers := make([]*worker, o.clients)
	for i := range workers {
		w := &worker{id: i, o: o, outcomes: map[outcome]int{}, samples: map[outcome]string{}}
		if o.rotate {
			// Each client rotates over its own share of the keys.
			for j := i; j < len(keys); j += o.clients {
				w.keys = append(w.keys, keys[j])
			}
			if len(w.keys) == 0 {
				w.keys = []auth.Key{keys[i%len(keys)]}
			}
		} else {
			w.keys = []auth.Key{keys[i%len(keys)]}
		}
		w.http = &http.Client{Timeout: o.timeout, Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
			k := w.keys[w.next%len(w.keys)]
			w.next++
			return (&auth.Signer{Key: k, Base: base}).RoundTrip(r)
		})}
		workers[i] = w
	}
	cpu0, _ := cpuSeconds(o.pid)
	// Sessions first, so that the timed part is tool calls only.
	for _, w := range workers {
		if err := w.open(); err != nil {
			return nil, fmt.Errorf("client %d: %w", w.id, err)
		}
	}
	start := time.Now()
	deadline := start.Add(o.duration)
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() {
			for n := 0; time.Now().Before(deadline); n++ {
				w.call(n)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, w := range workers {
		w.close()
	}
	cpu1, _ := cpuSeconds(o.pid)
	rep := &report{
		URL: o.url, Clients: o.clients, Keys: len(keys), Stateless: o.stateless, Rotate: o.rotate,
		Seconds: elapsed.Seconds(), Outcomes: map[outcome]int{}, Samples: map[outcome]string{},
	}
	var all []time.Duration
	for _, w := range workers {
		all = append(all, w.lat...)
		for k, v := range w.outcomes {
			rep.Outcomes[k] += v
		}
		for k, v := range w.samples {
			rep.Samples[k] = v
		}
	}
	rep.summarize(all)
	if o.pid > 0 {
		rep.ServerPID = o.pid
		rep.PeakRSSKiB, rep.RSSKiB = memory(o.pid)
		if cpu0 >= 0 && cpu1 >= 0 {
			rep.ServerCPUSeconds = cpu1 - cpu0
		}
	}
	return rep, nil
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// open starts the client's session (nothing with -stateless).
func (w *worker) open() error {
	if w.o.stateless {
		return nil
	}
	resp, body, err := w.post(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"loadgen","version":"1"}}}`)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("initialize: HTTP %d: %s", resp.StatusCode, cut(body))
	}
	w.session = resp.Header.Get("Mcp-Session-Id")
	if w.session == "" {
		return errors.New("initialize: no Mcp-Session-Id (is the server stateless? use -stateless)")
	}
	resp, body, err = w.post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("notifications/initialized: HTTP %d: %s", resp.StatusCode, cut(body))
	}
	return nil
}

func (w *worker) close() {
	if w.session == "" {
		return
	}
	req, _ := http.NewRequest(http.MethodDelete, w.o.url, nil)
	req.Header.Set("Mcp-Session-Id", w.session)
	if resp, err := w.http.Do(req); err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func (w *worker) post(body string) (*http.Response, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, w.o.url, strings.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	if w.session != "" {
		req.Header.Set("Mcp-Session-Id", w.session)
	}
	resp, err := w.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

var (
	symbols   = []string{"EURUSD", "GBPUSD", "USDJPY", "AUDUSD", "USDCAD", "BTC/USD", "ETH/USD", "SPY", "QQQ", "IWM"}
	intervals = []string{"1m", "5m", "15m", "1h", "4h", "1d"}
	sides     = []string{"buy", "sell"}
	dataEnd   = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
)

// arguments returns the n-th call of a client: the five tools in turn.
func (w *worker) arguments(n int) (tool, args string) {
	sym := symbols[(n/5+w.id)%len(symbols)]
	side := sides[n/5%2]
	switch n % 5 {
	case 0:
		return "risk.position_limits_check", fmt.Sprintf(`{"symbol":%q,"side":%q,"quantity":%d.5,"currentPosition":-%d}`, sym, side, 1+n%100, n%1000)
	case 1:
		// Every embedded series holds 500 candles up to the end of
		// 2026-10-31 (examples/trading/data); ending at most an hour before
		// leaves at least 440 one-minute candles for windows of up to 101.
		end := dataEnd.Add(-time.Duration(n%60) * time.Minute).Format(time.RFC3339)
		return "features.ohlcv_window", fmt.Sprintf(`{"symbol":%q,"interval":%q,"end":%q,"window":%d}`, sym, intervals[n%len(intervals)], end, 2+n%100)
	case 2:
		return "execution.sim_quote", fmt.Sprintf(`{"symbol":%q,"side":%q,"quantity":%d,"orderType":"market"}`, sym, side, 1+n%10)
	case 3:
		key := fmt.Sprintf("load-%d-%d", w.id, n/5%32)
		if len(w.stored) < 32 {
			w.stored = append(w.stored, key)
		}
		return "storage.shared_state.set", fmt.Sprintf(`{"key":%q,"value":{"n":%d,"tags":["load","%d"]},"ttlSeconds":600}`, key, n, w.id)
	default:
		return "storage.shared_state.get", fmt.Sprintf(`{"key":%q}`, w.stored[n/5%len(w.stored)])
	}
}

// call makes the n-th call and counts its outcome.
func (w *worker) call(n int) {
	tool, args := w.arguments(n)
	w.reqID++
	body := `{"jsonrpc":"2.0","id":` + strconv.Itoa(w.reqID) + `,"method":"tools/call","params":{"name":"` + tool + `","arguments":` + args + `}}`
	start := time.Now()
	resp, b, err := w.post(body)
	took := time.Since(start)
	var out outcome
	if err != nil {
		out = "transport"
		b = []byte(err.Error())
	} else {
		w.lat = append(w.lat, took)
		out = classify(resp, b)
	}
	w.outcomes[out]++
	if out != outcomeOK && w.samples[out] == "" {
		w.samples[out] = tool + ": " + cut(b)
	}
}

// classify reads an answer: its HTTP status, then the JSON-RPC message in
// the JSON or event-stream body.
func classify(resp *http.Response, body []byte) outcome {
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Code  string `json:"code"`
			Error *struct {
				Code int `json:"code"`
			} `json:"error"`
		}
		json.Unmarshal(body, &e)
		switch {
		case e.Code != "":
			return outcome(fmt.Sprintf("http %d %s", resp.StatusCode, e.Code))
		case e.Error != nil:
			return outcome(fmt.Sprintf("http %d jsonrpc %d", resp.StatusCode, e.Error.Code))
		}
		return outcome(fmt.Sprintf("http %d", resp.StatusCode))
	}
	msg := body
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		msg = lastEventData(body)
	}
	var m struct {
		Error *struct {
			Code int `json:"code"`
		} `json:"error"`
		Result *struct {
			IsError bool `json:"isError"`
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		} `json:"result"`
	}
	if err := json.Unmarshal(msg, &m); err != nil {
		return "unreadable answer"
	}
	switch {
	case m.Error != nil:
		return outcome(fmt.Sprintf("jsonrpc %d", m.Error.Code))
	case m.Result == nil:
		return "answer without result"
	case m.Result.IsError:
		var e struct {
			Code string `json:"code"`
		}
		if len(m.Result.Content) > 0 {
			json.Unmarshal([]byte(m.Result.Content[0].Text), &e)
		}
		return outcome("tool " + e.Code)
	}
	return outcomeOK
}

// lastEventData returns the data of the last event of a text/event-stream
// body that carries a JSON-RPC response.
func lastEventData(body []byte) []byte {
	var last []byte
	for _, event := range bytes.Split(body, []byte("\n\n")) {
		var data [][]byte
		for _, line := range bytes.Split(event, []byte("\n")) {
			if d, ok := bytes.CutPrefix(line, []byte("data:")); ok {
				data = append(data, bytes.TrimPrefix(d, []byte(" ")))
			}
		}
		if len(data) > 0 {
			last = bytes.Join(data, []byte("\n"))
		}
	}
	return last
}

func cut(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// report is what a run measured.
type report struct {
	URL              string             `json:"url"`
	Clients          int                `json:"clients"`
	Keys             int                `json:"keys"`
	Stateless        bool               `json:"stateless"`
	Rotate           bool               `json:"rotate"`
	Seconds          float64            `json:"seconds"`
	Calls            int                `json:"calls"`
	OK               int                `json:"ok"`
	Expected         int                `json:"expected_refusals"`
	Unexpected       int                `json:"unexpected_failures"`
	CallsPerSecond   float64            `json:"calls_per_second"`
	OKPerSecond      float64            `json:"ok_per_second"`
	LatencyMs        map[string]float64 `json:"latency_ms"`
	Outcomes         map[outcome]int    `json:"outcomes"`
	Samples          map[outcome]string `json:"samples"`
	ServerPID        int                `json:"server_pid,omitempty"`
	PeakRSSKiB       int64              `json:"server_peak_rss_kib,omitempty"`
	RSSKiB           int64              `json:"server_rss_kib,omitempty"`
	ServerCPUSeconds float64            `json:"server_cpu_seconds,omitempty"`
}

func (r *report) summarize(lat []time.Duration) {
	for k, v := range r.Outcomes {
		r.Calls += v
		switch {
		case k == outcomeOK:
			r.OK += v
		case expected[k] != "":
			r.Expected += v
		default:
			r.Unexpected += v
		}
	}
	r.CallsPerSecond = float64(r.Calls) / r.Seconds
	r.OKPerSecond = float64(r.OK) / r.Seconds
	slices.Sort(lat)
	r.LatencyMs = map[string]float64{}
	if len(lat) == 0 {
		return
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	for _, p := range []struct {
		name string
		q    float64
	}{{"p50", 0.50}, {"p90", 0.90}, {"p99", 0.99}, {"p999", 0.999}} {
		r.LatencyMs[p.name] = ms(lat[min(len(lat)-1, int(p.q*float64(len(lat))))])
	}
	r.LatencyMs["max"] = ms(lat[len(lat)-1])
}

func (r *report) print(w io.Writer) {
	mode := "sessions"
	if r.Stateless {
		mode = "stateless"
		if r.Rotate {
			mode += ", keys rotated per request"
		}
	}
	fmt.Fprintf(w, "load: %d clients (%d keys, %s) for %.1f s against %s\n", r.Clients, r.Keys, mode, r.Seconds, r.URL)
	fmt.Fprintf(w, "  answered:   %d calls, %.0f/s (ok %d, %.0f/s)\n", r.Calls, r.CallsPerSecond, r.OK, r.OKPerSecond)
	if len(r.LatencyMs) > 0 {
		fmt.Fprintf(w, "  latency:    p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms\n",
			r.LatencyMs["p50"], r.LatencyMs["p90"], r.LatencyMs["p99"], r.LatencyMs["p999"], r.LatencyMs["max"])
	}
	keys := make([]outcome, 0, len(r.Outcomes))
	for k := range r.Outcomes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		note := ""
		switch {
		case k == outcomeOK:
		case expected[k] != "":
			note = "  expected: " + expected[k]
		default:
			note = "  UNEXPECTED"
		}
		fmt.Fprintf(w, "  %-22s %9d%s\n", k, r.Outcomes[k], note)
	}
	fmt.Fprintf(w, "  expected refusals: %d, unexpected failures: %d\n", r.Expected, r.Unexpected)
	for _, k := range keys {
		if s := r.Samples[k]; s != "" && expected[k] == "" {
			fmt.Fprintf(w, "  first %s: %s\n", k, s)
		}
	}
	if r.ServerPID > 0 {
		fmt.Fprintf(w, "  server:     pid %d, peak RSS (VmHWM) %.1f MiB, RSS at the end %.1f MiB, CPU %.1f s (%.0f%% of one core)\n",
			r.ServerPID, float64(r.PeakRSSKiB)/1024, float64(r.RSSKiB)/1024, r.ServerCPUSeconds, 100*r.ServerCPUSeconds/r.Seconds)
	}
}

// memory returns VmHWM and VmRSS of pid in KiB, from /proc/<pid>/status.
func memory(pid int) (hwm, rss int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		switch name {
		case "VmHWM":
			hwm = n
		case "VmRSS":
			rss = n
		}
	}
	return hwm, rss
}

// cpuSeconds returns the user and system CPU time of pid, from
// /proc/<pid>/stat (clock ticks of 1/100 s), or -1.
func cpuSeconds(pid int) (float64, error) {
	if pid <= 0 {
		return -1, nil
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1, err
	}
	// The command name, in parentheses, may hold spaces: fields count from
	// after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return -1, errors.New("unreadable stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return -1, errors.New("unreadable stat")
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100, nil
}
