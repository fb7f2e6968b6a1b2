package gen

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Tool is one tool definition as the emitter needs it: names resolved,
// schemas compiled and typed, policies parsed, published schemas rendered.
type Tool struct {
	Name        string // the MCP tool name
	GoName      string // FeaturesOHLCVWindow
	Title       string
	Description string
	Node        *Node // the tool object

	InputSchema  *Schema
	OutputSchema *Schema // nil when the tool declares none
	Input        *Type
	Output       *Type // nil when the tool declares no outputSchema

	PublishedInput  string // JSON, private policy keys removed
	PublishedOutput string
	Annotations     string // JSON of the annotations object, or ""
	Icons           string // JSON of the icons array, or ""
	Meta            string // JSON of the _meta object, or ""
	Execution       string // JSON of the execution object, or ""

	RateLimitPerMinute int
	MaxArgsBytes       int
	Timeout            time.Duration
	AuditClass         string
	Sensitive          []string    // JSON pointers of x-sensitive input properties
	Scopes             []string    // x-scopes: the OAuth scopes a call needs
	DataAccess         *DataAccess // the object form of x-audit with class data_access
}

// DataAccess is what a data-access tool's calls touch, for their
// data_access records: x-audit {"class": "data_access", "action": "read",
// "resource": "/key", "store": "shared_state"}.
type DataAccess struct {
	Action   string // read, write or delete
	Resource string // JSON pointer of the argument naming the resource, or ""
	Store    string // what holds the resource; "" for the tool's name
}

// toolNameRE is the spec's tool name: 1 to 128 characters of A-Z a-z 0-9 _ . -.
var toolNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)

// toolNameWarnLength is where names start to be cut by common clients.
const toolNameWarnLength = 64

// mcpToolKeys are the members of the MCP Tool object, with the first
// revision that has each; the 2026-07-28 revision adds none. All are
// accepted and published, whatever revision a client speaks.
var mcpToolKeys = []struct{ key, since string }{
	{"name", "2025-06-18"}, {"title", "2025-06-18"}, {"description", "2025-06-18"},
	{"inputSchema", "2025-06-18"}, {"outputSchema", "2025-06-18"}, {"annotations", "2025-06-18"},
	{"_meta", "2025-06-18"}, {"icons", "2025-11-25"}, {"execution", "2025-11-25"},
}

// extToolKeys are mcpgen's tool-level keys: the definition file's own
// "$schema" and "$comment", and the x- policy keys.
var extToolKeys = []string{"$schema", "$comment", "x-rate-limit", "x-max-args-bytes", "x-audit", "x-timeout", "x-scopes"}

var toolKeys = func() []string {
	var keys []string
	for _, k := range mcpToolKeys {
		keys = append(keys, k.key)
	}
	return append(keys, extToolKeys...)
}()

// requiredToolKeys may not be null; every other member of a tool reads
// null as absent, as some SDKs write an absent field.
var requiredToolKeys = []string{"name", "inputSchema"}

var annotationKeys = map[string]NodeKind{"title": KindString, "readOnlyHint": KindBool, "destructiveHint": KindBool,
	"idempotentHint": KindBool, "openWorldHint": KindBool}

// Audit classes, with the retention the seed's policy gives each.
var auditClasses = []string{"tool_execution", "data_access", "security_events", "config_changes", "auth_events"}

// maxArgsBytesLimit keeps a per-tool argument cap under the 10 MiB body cap.
const maxArgsBytesLimit = 10 << 20

// parseTool reads the tool-level keys of a tool object. Schemas are compiled
// by the caller.
func (c *compiler) parseTool(n *Node) *Tool {
	t := &Tool{Node: n}
	if n.Kind != KindObject {
		c.errorf(n, "a tool definition must be an object, got %s", n.Kind)
		return nil
	}
	nulls := c.readToolKeys(n)
	name := n.Get("name")
	switch {
	case name == nil && contains(nulls, "name"):
	case name == nil:
		c.errorf(n, "missing \"name\"")
	case name.Kind != KindString || !toolNameRE.MatchString(name.Str):
		c.errorf(name, "tool name %s must be 1 to 128 characters of A-Z a-z 0-9 _ . -", describe(name))
	case GoName(name.Str) == "":
		c.errorf(name, "tool name %q needs a letter or digit, from which its Go name is derived", name.Str)
	default:
		if len(name.Str) > toolNameWarnLength {
			c.problems.Warn(name, fmt.Sprintf("tool name is %d characters; the spec allows 128, but some clients cut names at %d", len(name.Str), toolNameWarnLength))
		}
		t.Name = name.Str
		t.GoName = GoName(name.Str)
	}
	t.Title = c.optString(n, "title")
	t.Description = c.optString(n, "description")
	if in := n.Get("inputSchema"); in == nil && contains(nulls, "inputSchema") {
	} else if in == nil {
		c.errorf(n, "missing \"inputSchema\"; every tool needs one, an object schema such as {\"type\": \"object\"}")
	} else if in.Kind == KindObject && len(in.Members) == 0 {
		c.problems.Warn(in, "inputSchema {} says nothing, not even \"type\": \"object\"; read as a tool without arguments and published as {\"type\": \"object\"}")
		in.Members = []Member{{Key: "type", KeyOffset: in.Offset, Value: &Node{Kind: KindString, Str: "object", Offset: in.Offset, File: in.File, Pointer: in.Pointer + "/type"}}}
	}
	if a := n.Get("annotations"); a != nil && c.want(a, KindObject, "annotations") {
		kept := a.Members[:0]
		for _, m := range a.Members {
			kind, ok := annotationKeys[m.Key]
			switch {
			case m.Value.Kind == KindNull:
				continue // absent
			case strings.HasPrefix(m.Key, "x-"):
				c.errorAtKey(m, "unknown annotation %q%s", m.Key, suggestFrom(m.Key, sortedKeys(annotationKeys)))
			case !ok:
				c.warnAtKey(m, "annotation %q is not part of the MCP ToolAnnotations object; ignored and not published%s", m.Key, suggestFrom(m.Key, sortedKeys(annotationKeys)))
				continue
			default:
				c.want(m.Value, kind, "annotations."+m.Key)
			}
			kept = append(kept, m)
		}
		a.Members = kept
		t.Annotations = compactJSON(a)
	}
	if ic := n.Get("icons"); ic != nil && c.want(ic, KindArray, "icons") {
		for _, icon := range ic.Items {
			c.checkIcon(icon)
		}
		t.Icons = compactJSON(ic)
	}
	if m := n.Get("_meta"); m != nil && c.want(m, KindObject, "_meta") {
		t.Meta = compactJSON(m)
	}
	if ex := n.Get("execution"); ex != nil && c.want(ex, KindObject, "execution") {
		for _, m := range ex.Members {
			if m.Key != "taskSupport" {
				c.errorAtKey(m, "execution: unknown key %q; allowed: taskSupport", m.Key)
				continue
			}
			if m.Value.Kind != KindString || !contains(taskSupports, m.Value.Str) {
				c.errorf(m.Value, "execution.taskSupport must be one of %s, got %s", strings.Join(taskSupports, ", "), describe(m.Value))
			}
		}
		t.Execution = compactJSON(ex)
	}
	if rl := n.Get("x-rate-limit"); rl != nil && c.want(rl, KindObject, "x-rate-limit") {
		for _, m := range rl.Members {
			if m.Key != "perMinute" {
				c.errorAtKey(m, "x-rate-limit: unknown key %q; allowed: perMinute", m.Key)
			}
		}
		pm := rl.Get("perMinute")
		if pm == nil {
			c.errorf(rl, "x-rate-limit needs perMinute, an integer 1..1000000")
		} else if v, err := strconv.Atoi(pm.Str); pm.Kind != KindNumber || err != nil || v < 1 || v > 1_000_000 {
			c.errorf(pm, "x-rate-limit.perMinute must be an integer 1..1000000, got %s", describe(pm))
		} else {
			t.RateLimitPerMinute = v
		}
	}
	if mb := n.Get("x-max-args-bytes"); mb != nil {
		if v, err := strconv.Atoi(mb.Str); mb.Kind != KindNumber || err != nil || v < 1 || v > maxArgsBytesLimit {
			c.errorf(mb, "x-max-args-bytes must be an integer 1..%d (the request body cap), got %s", maxArgsBytesLimit, describe(mb))
		} else {
			t.MaxArgsBytes = v
		}
	}
	if a := n.Get("x-audit"); a != nil {
		if a.Kind == KindObject {
			t.AuditClass, t.DataAccess = c.parseAudit(a, n.Get("inputSchema"))
		} else if a.Kind != KindString || !contains(auditClasses, a.Str) {
			c.errorf(a, "x-audit must be one of %s, got %s", strings.Join(auditClasses, ", "), describe(a))
		} else {
			t.AuditClass = a.Str
		}
	}
	if to := n.Get("x-timeout"); to != nil {
		d, err := time.ParseDuration(to.Str)
		if to.Kind != KindString || err != nil || d <= 0 || d > time.Hour {
			c.errorf(to, "x-timeout must be a Go duration between 1ns and 1h such as \"5s\", got %s", describe(to))
		} else {
			t.Timeout = d
		}
	}
	if sc := n.Get("x-scopes"); sc != nil {
		t.Scopes = c.parseScopes(sc)
	}
	return t
}

// auditKeys are the members of the object form of x-audit.
var auditKeys = []string{"class", "action", "resource", "store"}

var (
	auditActions = []string{"read", "write", "delete"}
	auditStoreRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
)

// parseAudit reads the object form of x-audit: the class and, for class
// data_access, the action, the argument that names the resource (a
// required property of in, not x-sensitive, of a scalar type) and the
// store that holds it.
func (c *compiler) parseAudit(a, in *Node) (string, *DataAccess) {
	for _, m := range a.Members {
		if !contains(auditKeys, m.Key) {
			c.errorAtKey(m, "x-audit: unknown key %q%s", m.Key, suggestFrom(m.Key, auditKeys))
		}
	}
	class := a.Get("class")
	if class == nil || class.Kind != KindString || !contains(auditClasses, class.Str) {
		at, got := a, "nothing"
		if class != nil {
			at, got = class, describe(class)
		}
		c.errorf(at, "x-audit.class must be one of %s, got %s", strings.Join(auditClasses, ", "), got)
		return "", nil
	}
	if class.Str != "data_access" {
		for _, k := range auditKeys[1:] {
			if v := a.Get(k); v != nil {
				c.errorf(v, "x-audit.%s is for class data_access, not %s", k, class.Str)
			}
		}
		return class.Str, nil
	}
	da := &DataAccess{}
	switch action := a.Get("action"); {
	case action == nil:
		c.errorf(a, "x-audit with class data_access needs action, one of %s", strings.Join(auditActions, ", "))
	case action.Kind != KindString || !contains(auditActions, action.Str):
		c.errorf(action, "x-audit.action must be one of %s, got %s", strings.Join(auditActions, ", "), describe(action))
	default:
		da.Action = action.Str
	}
	if st := a.Get("store"); st != nil {
		if st.Kind != KindString || !auditStoreRE.MatchString(st.Str) {
			c.errorf(st, "x-audit.store must be 1 to 64 characters of A-Z a-z 0-9 _ . -, such as \"shared_state\", got %s", describe(st))
		} else {
			da.Store = st.Str
		}
	}
	if r := a.Get("resource"); r != nil {
		if r.Kind != KindString || !strings.HasPrefix(r.Str, "/") || len(r.Str) < 2 {
			c.errorf(r, "x-audit.resource must be the JSON pointer of the argument that names the resource, such as \"/key\", got %s", describe(r))
		} else if problem := auditResourceProblem(in, r.Str); problem != "" {
			c.errorf(r, "x-audit.resource %q %s", r.Str, problem)
		} else {
			da.Resource = r.Str
		}
	}
	return class.Str, da
}

// auditResourceProblem says what is wrong with ptr as the argument naming
// a data-access record's resource, as far as the input schema in shows it
// (local "$ref"s followed; a schema it cannot see into is taken on trust,
// and the server redacts an x-sensitive value there anyway): each step a
// required property, the last one not x-sensitive and of a scalar type.
func auditResourceProblem(in *Node, ptr string) string {
	root, at := in, in
	resolve := func(n *Node) *Node {
		for i := 0; i < 8 && n != nil; i++ {
			ref := n.Get("$ref")
			if ref == nil || ref.Kind != KindString || !strings.HasPrefix(ref.Str, "#/") {
				return n
			}
			target := root
			for _, seg := range strings.Split(ref.Str[2:], "/") {
				target = target.Get(strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~"))
			}
			if target == nil {
				return nil
			}
			if n.Get("x-sensitive") != nil && n.Get("x-sensitive").Bool {
				return n
			}
			n = target
		}
		return n
	}
	for _, seg := range strings.Split(ptr[1:], "/") {
		name := strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		at = resolve(at)
		props := at.Get("properties")
		if at == nil || props == nil {
			return "" // a schema the generator cannot see into
		}
		next := props.Get(name)
		if next == nil {
			return "names no property of the inputSchema"
		}
		listed := false
		if req := at.Get("required"); req != nil {
			for _, it := range req.Items {
				listed = listed || it.Kind == KindString && it.Str == name
			}
		}
		if !listed {
			return "must name a required property: every call has its value"
		}
		if s := next.Get("x-sensitive"); s != nil && s.Bool {
			return "names an x-sensitive property, whose values are never written to the audit log"
		}
		at = next
	}
	at = resolve(at)
	if at == nil {
		return ""
	}
	if s := at.Get("x-sensitive"); s != nil && s.Bool {
		return "names an x-sensitive property, whose values are never written to the audit log"
	}
	if ty := at.Get("type"); ty != nil && ty.Kind == KindString && !contains([]string{"string", "integer", "number", "boolean"}, ty.Str) {
		return "must name a string, number or boolean property, got type " + ty.Str
	}
	return ""
}

// scopeTokenRE is RFC 6749's scope-token: printable ASCII but space, '"'
// and '\'.
var scopeTokenRE = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]+$`)

// parseScopes reads x-scopes: the OAuth scopes a call of the tool needs, a
// non-empty array of distinct scope tokens.
func (c *compiler) parseScopes(n *Node) []string {
	if n.Kind != KindArray || len(n.Items) == 0 {
		got := describe(n)
		if n.Kind == KindArray {
			got = "[]"
		}
		c.errorf(n, "x-scopes must be a non-empty array of OAuth scope names such as [\"market:read\"], got %s", got)
		return nil
	}
	var scopes []string
	for _, item := range n.Items {
		switch {
		case item.Kind != KindString || !scopeTokenRE.MatchString(item.Str):
			c.errorf(item, "x-scopes items must be OAuth scope tokens (printable ASCII without space, \" or \\), got %s", describe(item))
		case contains(scopes, item.Str):
			c.errorf(item, "x-scopes lists %q twice", item.Str)
		default:
			scopes = append(scopes, item.Str)
		}
	}
	return scopes
}

// taskSupports are the values of execution.taskSupport (MCP 2025-11-25).
var taskSupports = []string{"forbidden", "optional", "required"}

var iconKeys = map[string]NodeKind{"src": KindString, "mimeType": KindString, "sizes": KindArray, "theme": KindString}

// checkIcon checks one MCP Icon object: a src, and the optional members with
// their types, so that the server can publish it.
func (c *compiler) checkIcon(n *Node) {
	if !c.want(n, KindObject, "icons item") {
		return
	}
	if n.Get("src") == nil {
		c.errorf(n, "an icon needs \"src\", a URI of the image")
	}
	kept := n.Members[:0]
	for _, m := range n.Members {
		kind, ok := iconKeys[m.Key]
		switch {
		case m.Value.Kind == KindNull && m.Key != "src":
			continue // absent
		case !ok:
			c.warnAtKey(m, "icon key %q is not part of the MCP Icon object; ignored and not published%s", m.Key, suggestFrom(m.Key, sortedKeys(iconKeys)))
			continue
		default:
			c.want(m.Value, kind, "icon "+m.Key)
		}
		kept = append(kept, m)
	}
	n.Members = kept
}

// readToolKeys drops what a tool object holds beyond the MCP Tool object
// and mcpgen's keys, with a warning, and optional members that are null.
// An unknown x- key is an error: that namespace is mcpgen's, and a typo
// such as "x-rate-limits" must not pass.
// It returns the required keys that were null (and reported).
func (c *compiler) readToolKeys(n *Node) (nulls []string) {
	kept := n.Members[:0]
	for _, m := range n.Members {
		switch {
		case contains(toolKeys, m.Key):
			if m.Value.Kind == KindNull && contains(requiredToolKeys, m.Key) {
				c.errorf(m.Value, "%s may not be null; %s", m.Key, requiredWhat[m.Key])
				nulls = append(nulls, m.Key)
				continue
			}
			if m.Value.Kind == KindNull {
				continue
			}
		case strings.HasPrefix(m.Key, "x-"):
			c.errorAtKey(m, "unknown tool key %q%s", m.Key, suggestFrom(m.Key, extToolKeys[2:]))
		default:
			hint := ""
			if s := suggestFrom(m.Key, toolKeys); strings.HasPrefix(s, "; did") {
				hint = s
			}
			c.warnAtKey(m, "key %q is not part of the MCP Tool object nor an mcpgen x- key; ignored and not published%s", m.Key, hint)
			continue
		}
		kept = append(kept, m)
	}
	n.Members = kept
	return nulls
}

var requiredWhat = map[string]string{
	"name":        "every tool needs a name, 1 to 128 characters of A-Z a-z 0-9 _ . -",
	"inputSchema": "every tool needs one, an object schema such as {\"type\": \"object\"}",
}

func (c *compiler) optString(n *Node, key string) string {
	v := n.Get(key)
	if v == nil {
		return ""
	}
	if c.want(v, KindString, key) {
		return v.Str
	}
	return ""
}

func suggestFrom(key string, list []string) string {
	best, bestDist := "", 3
	for _, k := range list {
		if d := editDistance(key, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return "; allowed: " + strings.Join(list, ", ")
	}
	return fmt.Sprintf("; did you mean %q?", best)
}
