package security

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/typed"

	"github.com/mcpgen/mcpgen/runtime/security/audit"
	"github.com/mcpgen/mcpgen/runtime/security/auth"
	"github.com/mcpgen/mcpgen/runtime/security/ratelimit"
)

// What changed the configuration, as a configuration-change record's
// changed_by names it.
const (
	BySignal    = "signal"     // SIGHUP
	ByFileWatch = "file_watch" // a watched file changed (Config.WatchInterval)
	ByAPI       = "api"        // a program called Reload (server.Server.Reload)
)

// ConfigRejected is the security event of a reload refused because a file
// does not parse or holds a value that is not allowed (class
// security_events): the running configuration stays as it was.
const ConfigRejected audit.SecurityType = "config_rejected"

// MinWatchInterval is the shortest MCP_WATCH_INTERVAL.
const MinWatchInterval = 100 * time.Millisecond

// Limits of the files a reload reads.
const (
	maxSettingsFileBytes  = 1 << 20
	maxAllowlistFileBytes = 16 << 20
	maxAllowlistValue     = 1024 // bytes
)

// The settings a settings file may hold.
var reloadable = []string{"MCP_CLIENT_RATE_LIMIT", "MCP_TOOL_RATE_LIMITS", "MCP_ALLOWLIST_FILES"}

// Problem is one reason a reload (or the start) was refused: what is wrong
// with a setting, in a file at a line when there is one. It never holds a
// secret.
type Problem struct {
	// Setting is the variable the problem is about or came through:
	// MCP_SETTINGS_FILE, MCP_ALLOWLIST_FILES, MCP_HMAC_KEYS_FILE, ...
	Setting string
	File    string // the file, "" for the environment
	Line    int    // 1-based; 0 for the file as a whole
	Message string
}

// String returns the problem as "SETTING file:line: message".
func (p Problem) String() string {
	switch {
	case p.File == "":
		return p.Message
	case p.Line > 0:
		return fmt.Sprintf("%s %s:%d: %s", p.Setting, p.File, p.Line, p.Message)
	}
	return fmt.Sprintf("%s %s: %s", p.Setting, p.File, p.Message)
}

// ReloadResult is what a reload did.
type ReloadResult struct {
	// Changes are the changes that took effect, as written to the audit
	// log (config_change records); none when nothing differed.
	Changes []audit.ConfigChange
	// Problems are why the reload was refused; when there are any, nothing
	// changed.
	Problems []Problem
}

// liveConfig is one version of the reloadable settings.
type liveConfig struct {
	clientRule ratelimit.Rule                  // effective: DefaultRule when unset, Limit < 0 when off
	client     func(http.Handler) http.Handler // the client rate limit's layer; nil when off
	tools      map[string]ratelimit.Rule       // MCP_TOOL_RATE_LIMITS; Limit < 0 for off
	// anyToolLimit: some tool has a limit, from its definition or tools.
	anyToolLimit bool
	lists        map[string]boundList // allowlists bound to files, by name
}

type boundList struct {
	path   string
	values []string // sorted, distinct
}

// loaded is what a read of the configuration found: the next liveConfig
// and, on a reload, the credentials files' contents.
type loaded struct {
	live         *liveConfig
	tokens       []auth.Token
	keys         []auth.Key
	haveTokens   bool
	haveKeys     bool
	settingsFile string
}

// Reload reads the reloadable configuration again and applies it, all or
// nothing: the settings file (MCP_SETTINGS_FILE: MCP_CLIENT_RATE_LIMIT,
// MCP_TOOL_RATE_LIMITS, MCP_ALLOWLIST_FILES over the environment's), the
// allowlist files, and the bearer tokens or HMAC keys files. by says what
// asked for it (BySignal, ByFileWatch, ByAPI, or a name of the caller's),
// and is written as changed_by.
//
// If any file cannot be read, does not parse, or holds a value that is not
// allowed (an unknown tool or allowlist, a short secret, a key ID used
// twice, an empty allowlist...), nothing changes: the result lists every
// problem with its file and line, a ConfigRejected security event and an
// error log line say so, and the error is MCP-011. Otherwise every change
// takes effect at once and is written as one config_change record (class
// config_changes, 2555 days): a key or token by its ID and fingerprint,
// never its secret; an allowlist by its name and the values added and
// removed; a limit with its old and new rule. Requests and calls already
// running finish on the configuration they started with; those arriving
// after Reload returns get the new one. Reloads are serialized.
func (s *Stack) Reload(by string) (ReloadResult, error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	next, files, problems := s.read(true)
	s.watched.Store(&files)
	if len(problems) > 0 {
		texts := make([]string, len(problems))
		for i, p := range problems {
			texts[i] = p.String()
		}
		if err := s.audit.Security(audit.Security{
			Type:    ConfigRejected,
			Reason:  "configuration reload refused, the running configuration is unchanged: " + texts[0],
			Details: map[string]any{"changed_by": by, "problems": texts},
		}); err != nil {
			s.logger.Error("security event not written", "error", err, "event_type", string(ConfigRejected))
		}
		s.logger.Error("configuration reload refused; the running configuration is unchanged", "changed_by", by, "problems", texts)
		return ReloadResult{Problems: problems}, &mcperr.Error{
			Code:    mcperr.CodeMissingConfiguration,
			Message: "reload refused, the running configuration is unchanged: " + strings.Join(texts, "; "),
			Details: map[string]any{"problems": texts},
		}
	}
	changes := s.apply(next, &by)
	for _, c := range changes {
		if err := s.audit.ConfigChange(c); err != nil {
			s.logger.Error("configuration change record not written", "error", err, "setting", c.Setting)
		}
	}
	settings := make([]string, len(changes))
	for i, c := range changes {
		settings[i] = c.Setting
	}
	s.logger.Info("configuration reloaded", "changed_by", by, "changes", len(changes), "settings", settings)
	return ReloadResult{Changes: changes}, nil
}

// read reads the reloadable configuration: cfg's values, the settings
// file's over them, the allowlist files and, when reloading, the
// credentials files. It returns the files it read (for the watch) and
// every problem.
func (s *Stack) read(reloading bool) (*loaded, []string, []Problem) {
	var problems []Problem
	var files []string
	clientRule, tools, lists := s.cfg.ClientRateLimit, s.cfg.ToolRateLimits, s.cfg.AllowlistFiles
	// at is a problem of the setting name, at its line of the settings
	// file when it comes from there.
	at := func(name string, msg string) Problem { return Problem{Message: msg} }
	if path := s.cfg.SettingsFile; path != "" {
		files = append(files, path)
		settings, ps := readSettingsFile(path)
		problems = append(problems, ps...)
		at = func(name string, msg string) Problem {
			if v, ok := settings[name]; ok {
				return Problem{Setting: "MCP_SETTINGS_FILE", File: path, Line: v.line, Message: msg}
			}
			return Problem{Message: msg}
		}
		if v, ok := settings["MCP_CLIENT_RATE_LIMIT"]; ok {
			rule, p := parseClientRateLimit(v.value)
			if p != "" {
				problems = append(problems, at("MCP_CLIENT_RATE_LIMIT", p))
			}
			clientRule = rule
		}
		if v, ok := settings["MCP_TOOL_RATE_LIMITS"]; ok {
			rules, ps := parseToolRateLimits(v.value)
			for _, p := range ps {
				problems = append(problems, at("MCP_TOOL_RATE_LIMITS", p))
			}
			tools = rules
		}
		if v, ok := settings["MCP_ALLOWLIST_FILES"]; ok {
			bound, ps := parseAllowlistFiles(v.value, filepath.Dir(path))
			for _, p := range ps {
				problems = append(problems, at("MCP_ALLOWLIST_FILES", p))
			}
			lists = bound
		}
	}

	next := &liveConfig{clientRule: clientRule, tools: make(map[string]ratelimit.Rule, len(tools)), lists: make(map[string]boundList, len(lists))}
	if next.clientRule == (ratelimit.Rule{}) {
		next.clientRule = ratelimit.DefaultRule
	}
	if next.clientRule.Limit >= 0 {
		mw, err := ratelimit.Middleware(ratelimit.Config{Limiter: s.limiter, Rule: next.clientRule, Key: s.clientKey, OnReject: s.Refused})
		if err != nil {
			problems = append(problems, at("MCP_CLIENT_RATE_LIMIT", fmt.Sprintf("the client rate limit must have a positive limit and window, got %d per %s", next.clientRule.Limit, next.clientRule.Window)))
		}
		next.client = mw
	}
	for _, tool := range sortedKeys(tools) {
		rule := tools[tool]
		if _, known := s.tools[tool]; s.tools != nil && !known {
			problems = append(problems, at("MCP_TOOL_RATE_LIMITS", fmt.Sprintf("MCP_TOOL_RATE_LIMITS names %s, which is not a tool of this server; its tools: %s", tool, listOrNone(sortedKeys(s.tools)))))
			continue
		}
		if rule.Limit >= 0 && rule.Validate() != nil {
			problems = append(problems, at("MCP_TOOL_RATE_LIMITS", fmt.Sprintf("MCP_TOOL_RATE_LIMITS entry for %s must have a positive limit and window, got %d per %s", tool, rule.Limit, rule.Window)))
			continue
		}
		next.tools[tool] = rule
	}
	for tool, perMinute := range s.tools {
		if _, overridden := next.tools[tool]; !overridden && perMinute > 0 {
			next.anyToolLimit = true
		}
	}
	for _, rule := range next.tools {
		if rule.Limit >= 0 {
			next.anyToolLimit = true
		}
	}
	for _, name := range sortedKeys(lists) {
		path := lists[name]
		files = append(files, path)
		if len(typed.Allowlists(name)) == 0 {
			problems = append(problems, at("MCP_ALLOWLIST_FILES", fmt.Sprintf("MCP_ALLOWLIST_FILES names the allowlist %s, which no definition of this program declares; declared: %s", name, listOrNone(typed.AllowlistNames()))))
			continue
		}
		values, ps := readAllowlistFile(name, path)
		problems = append(problems, ps...)
		next.lists[name] = boundList{path: path, values: values}
	}
	l := &loaded{live: next, settingsFile: s.cfg.SettingsFile}
	if reloading {
		switch mode := s.authn.Mode(); {
		case mode == auth.ModeBearer && s.cfg.TokensFile != "":
			files = append(files, s.cfg.TokensFile)
			tokens, err := auth.ReadTokensFile(s.cfg.TokensFile)
			if err != nil {
				problems = append(problems, fileProblems("MCP_AUTH_TOKENS_FILE", s.cfg.TokensFile, err)...)
			}
			l.tokens, l.haveTokens = tokens, err == nil
		case mode == auth.ModeHMAC && s.cfg.KeysFile != "":
			files = append(files, s.cfg.KeysFile)
			keys, err := auth.ReadKeysFile(s.cfg.KeysFile)
			if err != nil {
				problems = append(problems, fileProblems("MCP_HMAC_KEYS_FILE", s.cfg.KeysFile, err)...)
			}
			l.keys, l.haveKeys = keys, err == nil
		}
	} else {
		for _, f := range []string{s.cfg.TokensFile, s.cfg.KeysFile} {
			if f != "" {
				files = append(files, f)
			}
		}
	}
	return l, files, problems
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// apply makes l the running configuration and returns the changes, with
// changed_by *by; with by nil (the start) it returns none. The caller
// checked everything, so nothing here can fail.
func (s *Stack) apply(l *loaded, by *string) []audit.ConfigChange {
	var changes []audit.ConfigChange
	change := func(setting, oldValue, newValue string) {
		if by != nil && oldValue != newValue {
			changes = append(changes, audit.ConfigChange{Setting: setting, OldValue: oldValue, NewValue: newValue, ChangedBy: *by})
		}
	}
	prev := s.live.Load()
	if prev == nil {
		prev = &liveConfig{}
	}
	next := l.live

	// Credentials first: a removed key must not outlive the reload that
	// removed it by as much as the allowlists' replacement takes.
	if l.haveTokens {
		old := s.authn.Credentials()
		_ = s.authn.SetTokens(l.tokens) // checked by ReadTokensFile
		credentialChanges("auth.bearer", old, s.authn.Credentials(), change)
	}
	if l.haveKeys {
		old := s.authn.Credentials()
		_ = s.authn.SetKeys(l.keys) // checked by ReadKeysFile
		credentialChanges("auth.hmac", old, s.authn.Credentials(), change)
	}

	s.live.Store(next)
	if by != nil && prev.clientRule != (ratelimit.Rule{}) {
		change("MCP_CLIENT_RATE_LIMIT", ruleText(prev.clientRule), ruleText(next.clientRule))
	}
	for _, tool := range sortedKeys(union(prev.tools, next.tools)) {
		change("MCP_TOOL_RATE_LIMITS/"+tool, s.toolRuleText(prev.tools, tool), s.toolRuleText(next.tools, tool))
	}

	for _, name := range sortedKeys(union(prev.lists, next.lists)) {
		was, wasBound := prev.lists[name]
		now, bound := next.lists[name]
		lists := typed.Allowlists(name)
		if len(lists) == 0 {
			continue
		}
		before := lists[0].Values()
		values := now.values
		if !bound {
			values = lists[0].Defaults()
		}
		for _, a := range lists {
			a.Replace(values)
		}
		after := lists[0].Values()
		change("MCP_ALLOWLIST_FILES/"+name, bindingText(was.path, wasBound), bindingText(now.path, bound))
		if old, added, removed := describeListChange(before, after); len(added)+len(removed) > 0 {
			change("allowlist/"+name, old, listChangeText(after, added, removed))
		}
	}
	return changes
}

func union[V any](a, b map[string]V) map[string]bool {
	out := make(map[string]bool, len(a)+len(b))
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// credentialChanges records, under setting, each credential added,
// removed or changed (its client or its secret), by ID or, for a token
// without one, by fingerprint.
func credentialChanges(setting string, old, now []auth.Credential, change func(setting, oldValue, newValue string)) {
	id := func(c auth.Credential) string {
		if c.ID != "" {
			return "id " + c.ID
		}
		return "fp " + c.Fingerprint
	}
	was := make(map[string]auth.Credential, len(old))
	for _, c := range old {
		was[id(c)] = c
	}
	is := make(map[string]bool, len(now))
	for _, c := range now {
		is[id(c)] = true
		if w, ok := was[id(c)]; ok {
			change(setting, w.String(), c.String())
		} else {
			change(setting, "", c.String())
		}
	}
	for _, c := range old {
		if !is[id(c)] {
			change(setting, c.String(), "")
		}
	}
}

// ruleText writes a rule as MCP_CLIENT_RATE_LIMIT takes it: "1000/1m",
// "off".
func ruleText(r ratelimit.Rule) string {
	if r.Limit < 0 {
		return "off"
	}
	return strconv.Itoa(r.Limit) + "/" + durationText(r.Window)
}

// durationText writes d as briefly as time.ParseDuration reads it back:
// "1m", "90s", "1h30m", "250ms".
func durationText(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// toolRuleText is a tool's limit: its override, or what its definition
// says.
func (s *Stack) toolRuleText(rules map[string]ratelimit.Rule, tool string) string {
	if r, ok := rules[tool]; ok {
		return ruleText(r)
	}
	if perMinute, ok := s.tools[tool]; ok && perMinute > 0 {
		return strconv.Itoa(perMinute) + "/1m (x-rate-limit)"
	} else if ok {
		return "none (x-rate-limit)"
	}
	return "x-rate-limit"
}

func bindingText(path string, bound bool) string {
	if !bound {
		return "definitions"
	}
	return path
}

// maxListedChanges is how many added or removed values a record lists.
const maxListedChanges = 32

// describeListChange returns the old list's description and the values
// added and removed.
func describeListChange(before, after []string) (old string, added, removed []string) {
	in := func(list []string, v string) bool { _, ok := slices.BinarySearch(list, v); return ok }
	for _, v := range after {
		if !in(before, v) {
			added = append(added, v)
		}
	}
	for _, v := range before {
		if !in(after, v) {
			removed = append(removed, v)
		}
	}
	return countText(len(before)), added, removed
}

// listChangeText is the new value of an allowlist's record: "11 values;
// added: DOGE/USD, SOL/USD; removed: IWM".
func listChangeText(after, added, removed []string) string {
	var b strings.Builder
	b.WriteString(countText(len(after)))
	for _, part := range []struct {
		what   string
		values []string
	}{{"added", added}, {"removed", removed}} {
		if len(part.values) == 0 {
			continue
		}
		b.WriteString("; " + part.what + ": ")
		shown := part.values[:min(len(part.values), maxListedChanges)]
		quoted := make([]string, len(shown))
		for i, v := range shown {
			quoted[i] = listValueText(v)
		}
		b.WriteString(strings.Join(quoted, ", "))
		if n := len(part.values) - len(shown); n > 0 {
			fmt.Fprintf(&b, " and %d more", n)
		}
	}
	return b.String()
}

func countText(n int) string {
	if n == 1 {
		return "1 value"
	}
	return strconv.Itoa(n) + " values"
}

// listValueText quotes a value that would misread in a list.
func listValueText(v string) string {
	if v == "" || strings.ContainsAny(v, ",; \"\\") {
		return strconv.Quote(v)
	}
	return v
}

// setting is one line of a settings file.
type setting struct {
	value string
	line  int
}

// readSettingsFile reads a settings file: NAME=value lines (an optional
// "export " in front, the value optionally in single or double quotes),
// blank lines and # comments; each of the reloadable settings at most once.
func readSettingsFile(path string) (map[string]setting, []Problem) {
	bad := func(line int, format string, args ...any) Problem {
		return Problem{Setting: "MCP_SETTINGS_FILE", File: path, Line: line, Message: fmt.Sprintf(format, args...)}
	}
	raw, p := readCapped("MCP_SETTINGS_FILE", path, maxSettingsFileBytes)
	if p != nil {
		return nil, []Problem{*p}
	}
	out := make(map[string]setting)
	var problems []Problem
	for i, line := range lines(raw) {
		n := i + 1
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		name, value, ok := strings.Cut(line, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		}
		switch {
		case !ok:
			problems = append(problems, bad(n, "lines must be NAME=value, a blank line or a # comment"))
		case !utf8.ValidString(value) || strings.ContainsFunc(value, unicode.IsControl):
			problems = append(problems, bad(n, "the value of %s holds invalid UTF-8 or a control character", name))
		case !slices.Contains(reloadable, name):
			problems = append(problems, bad(n, "%q is not a setting of this file, which holds %s", name, strings.Join(reloadable, ", ")))
		case out[name].line > 0:
			problems = append(problems, bad(n, "%s is set twice, first on line %d", name, out[name].line))
		default:
			out[name] = setting{value: value, line: n}
		}
	}
	return out, problems
}

// readAllowlistFile reads the values of allowlist name: one a line,
// surrounding spaces trimmed, blank lines and # comments skipped. A value
// is at most 1024 bytes of valid UTF-8 without control characters; the
// file holds at least one.
func readAllowlistFile(name, path string) ([]string, []Problem) {
	bad := func(line int, format string, args ...any) Problem {
		return Problem{Setting: "MCP_ALLOWLIST_FILES", File: path, Line: line, Message: "allowlist " + name + ": " + fmt.Sprintf(format, args...)}
	}
	raw, p := readCapped("MCP_ALLOWLIST_FILES", path, maxAllowlistFileBytes)
	if p != nil {
		p.Message = "allowlist " + name + ": " + p.Message
		return nil, []Problem{*p}
	}
	var values []string
	var problems []Problem
	for i, line := range lines(raw) {
		v := strings.TrimSpace(line)
		switch {
		case v == "" || strings.HasPrefix(v, "#"):
			continue
		case !utf8.ValidString(v):
			problems = append(problems, bad(i+1, "the value is not valid UTF-8"))
		case strings.ContainsFunc(v, unicode.IsControl):
			problems = append(problems, bad(i+1, "the value holds a control character"))
		case len(v) > maxAllowlistValue:
			problems = append(problems, bad(i+1, "the value is %d bytes, more than the %d allowed", len(v), maxAllowlistValue))
		default:
			values = append(values, v)
		}
		if len(problems) >= 32 {
			break
		}
	}
	if len(values) == 0 && len(problems) == 0 {
		problems = append(problems, Problem{Setting: "MCP_ALLOWLIST_FILES", File: path,
			Message: "allowlist " + name + ": the file holds no values, and an empty allowlist refuses every call; list one value a line"})
	}
	slices.Sort(values)
	return slices.Compact(values), problems
}

// readCapped reads a file of at most limit bytes.
func readCapped(setting, path string, limit int64) ([]byte, *Problem) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Problem{Setting: setting, File: path, Message: "cannot be read: " + pathErrText(err)}
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, limit+1)); err != nil {
		return nil, &Problem{Setting: setting, File: path, Message: "cannot be read: " + pathErrText(err)}
	}
	if int64(buf.Len()) > limit {
		return nil, &Problem{Setting: setting, File: path, Message: fmt.Sprintf("is larger than %d bytes", limit)}
	}
	return buf.Bytes(), nil
}

// lines splits raw at line feeds (a CR before one is dropped, and a UTF-8
// byte-order mark at the start), without a cap on the length of a line.
func lines(raw []byte) []string {
	raw = bytes.TrimPrefix(raw, []byte("\ufeff")) // a byte-order mark some editors write
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, len(raw)+1)
	for sc.Scan() {
		out = append(out, strings.TrimSuffix(sc.Text(), "\r"))
	}
	return out
}

// clientLimitLayer is the client rate limit on the request path, as the
// running configuration has it: the layer of the current liveConfig
// around next, made again when a reload changes the rule.
type clientLimitLayer struct {
	s    *Stack
	next http.Handler
	cur  atomic.Pointer[limitedHandler]
}

type limitedHandler struct {
	live *liveConfig
	h    http.Handler
}

func (l *clientLimitLayer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	live := l.s.live.Load()
	c := l.cur.Load()
	if c == nil || c.live != live {
		h := l.next
		if live.client != nil {
			h = live.client(l.next)
		}
		c = &limitedHandler{live: live, h: h}
		l.cur.Store(c)
	}
	c.h.ServeHTTP(w, r)
}

// allowTool applies a tool's limit from MCP_TOOL_RATE_LIMITS: none when
// off, ratelimit.AllowTool's per-minute count (the one x-rate-limit uses,
// so a changed N keeps the count) for a one-minute window, and otherwise a
// count of its own per window.
func allowTool(ctx context.Context, l store.Limiter, clientID, tool string, rule ratelimit.Rule) error {
	switch {
	case rule.Limit < 0:
		return nil
	case rule.Window == time.Minute:
		return ratelimit.AllowTool(ctx, l, clientID, tool, rule.Limit)
	}
	d, err := l.Allow(ctx, ratelimit.ToolKey(clientID, tool, rule.Window), rule.Limit, rule.Window)
	if err != nil {
		return mcperr.Errorf(mcperr.CodeBackendUnavailable, "rate limit store unavailable")
	}
	if d.Allowed {
		return nil
	}
	retry := max(int64(math.Ceil(d.RetryAfter.Seconds())), 1)
	return &mcperr.Error{
		Code:    mcperr.CodeRateLimitExceeded,
		Message: fmt.Sprintf("rate limit of tool %q exceeded: %d calls per %s; retry in %ds", tool, rule.Limit, durationText(rule.Window), retry),
		Details: map[string]any{
			"limit":               d.Limit,
			"remaining":           d.Remaining,
			"reset":               d.ResetAt.Unix(),
			"retry_after_seconds": retry,
		},
	}
}

// fileStamp is what the watch compares a file by.
type fileStamp struct {
	info os.FileInfo // nil when the file is missing
	err  string
}

func (a fileStamp) same(b fileStamp) bool {
	if a.info == nil || b.info == nil {
		return a.info == nil && b.info == nil && a.err == b.err
	}
	return a.info.ModTime().Equal(b.info.ModTime()) && a.info.Size() == b.info.Size() && os.SameFile(a.info, b.info)
}

func (s *Stack) stamps() map[string]fileStamp {
	files := s.watched.Load()
	out := make(map[string]fileStamp)
	if files == nil {
		return out
	}
	for _, f := range *files {
		info, err := os.Stat(f)
		st := fileStamp{info: info}
		if err != nil {
			st = fileStamp{err: pathErrText(err)}
		}
		out[f] = st
	}
	return out
}

func sameStamps(a, b map[string]fileStamp) bool {
	if len(a) != len(b) {
		return false
	}
	for f, st := range a {
		if other, ok := b[f]; !ok || !st.same(other) {
			return false
		}
	}
	return true
}

// startWatch checks the files of the configuration every interval and
// reloads (ByFileWatch) once a change has stayed the same for one more
// interval, so a file caught half-written is not taken for the new one.
func (s *Stack) startWatch(interval time.Duration) {
	s.stopWatch = make(chan struct{})
	s.watchDone.Add(1)
	seen := s.stamps()
	go func() {
		defer s.watchDone.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		pending := false
		for {
			select {
			case <-s.stopWatch:
				return
			case <-t.C:
			}
			now := s.stamps()
			if !sameStamps(now, seen) {
				seen, pending = now, true
				continue
			}
			if pending {
				pending = false
				s.Reload(ByFileWatch)
				seen = s.stamps() // the reload may watch other files now
			}
		}
	}()
}
