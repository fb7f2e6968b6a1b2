package server

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/security"
	"github.com/mcpgen/mcpgen/runtime/security/audit"
)

// running holds the security stack of every server that has started and
// not closed, for Reload, which a signal or another goroutine may call
// while the server starts.
var running sync.Map // *Server → *security.Stack

// Reload reads the server's reloadable configuration again and applies it,
// all or nothing, as SIGHUP does under Main: the bearer tokens or HMAC
// keys file, the allowlist files (MCP_ALLOWLIST_FILES) and the settings
// file (MCP_SETTINGS_FILE: MCP_CLIENT_RATE_LIMIT, MCP_TOOL_RATE_LIMITS,
// MCP_ALLOWLIST_FILES). Every change is written to the audit log as a
// config_change record with changed_by "api"; a file that does not parse,
// or holds a value not allowed, changes nothing and is reported, with its
// file and line, in the MCP-011 error, the result's Problems and a
// config_rejected security event. Calls in flight finish on the
// configuration they started with. It fails with MCP-011 before the
// server has started (Run or HTTPHandler) and after Close.
//
// security.Stack.Reload is the same with a changed_by of the caller's.
func (s *Server) Reload() (security.ReloadResult, error) { return s.reload(security.ByAPI) }

func (s *Server) reload(by string) (security.ReloadResult, error) {
	stack, ok := running.Load(s)
	if !ok {
		return security.ReloadResult{}, mcperr.Errorf(mcperr.CodeMissingConfiguration, "the server has not started, or has stopped: nothing to reload")
	}
	return stack.(*security.Stack).Reload(by)
}

// reloadOn reloads the configuration (changed_by "signal") for every
// signal received on signals, until ctx is done. A reload refused is
// logged and audited by the stack; the server goes on with the
// configuration it has.
func (s *Server) reloadOn(ctx context.Context, signals <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case sig := <-signals:
			if _, ok := running.Load(s); !ok {
				s.logger.Warn("signal received before the server started, or after it stopped: nothing reloaded", "signal", sig.String())
				continue
			}
			s.logger.Info("reloading the configuration", "signal", sig.String())
			s.reload(security.BySignal) // a refusal is logged and audited by the stack
		}
	}
}

// maxResourceBytes caps the argument value a data_access record names.
const maxResourceBytes = 256

// notAccessed are the codes of calls that read and wrote nothing: refused
// before the handler (the argument cap, scopes, rate limits), with
// arguments that do not validate, or with the store unreachable.
var notAccessed = map[mcperr.Code]bool{
	mcperr.CodeInvalidArgs: true, mcperr.CodeUnauthorized: true, mcperr.CodeBackendUnavailable: true,
	mcperr.CodeRateLimitExceeded: true, mcperr.CodeInvalidSymbol: true, mcperr.CodeSSRFBlocked: true,
	mcperr.CodePayloadTooLarge: true,
}

// dataAccess returns the data_access record of a finished call of a tool
// whose definition declares x-audit data_access, and whether there is one:
// none for other tools, nor for a call that accessed nothing (notAccessed).
func dataAccess(ctx context.Context, c CallInfo) (audit.DataAccess, bool) {
	t := c.Tool
	da := t.Policy.DataAccess
	if da == nil && t.Policy.AuditClass != string(audit.ClassDataAccess) {
		return audit.DataAccess{}, false
	}
	if c.Err != nil && notAccessed[c.Err.Code] {
		return audit.DataAccess{}, false
	}
	rec := audit.DataAccess{CorrelationID: c.CorrelationID, ClientID: ClientID(ctx)}
	if da == nil {
		rec.Resource, rec.Action = t.Name, "write"
		if readOnly(t) {
			rec.Action = "read"
		}
		return rec, true
	}
	rec.Action, rec.Resource = da.Action, da.Store
	if rec.Resource == "" {
		rec.Resource = t.Name
	}
	if da.Resource == "" {
		return rec, true
	}
	value := "[REDACTED]"
	if !sensitive(t.Policy.Sensitive, da.Resource) {
		var args json.RawMessage
		if req := Request(ctx); req != nil && req.Params != nil {
			args = req.Params.Arguments
		}
		value = argumentText(args, da.Resource)
	}
	if value != "" {
		rec.Resource += "/" + value
	}
	return rec, true
}

// readOnly reports whether t's annotations say readOnlyHint.
func readOnly(t *Tool) bool {
	var a struct {
		ReadOnly bool `json:"readOnlyHint"`
	}
	return len(t.Annotations) > 0 && json.Unmarshal(t.Annotations, &a) == nil && a.ReadOnly
}

// sensitive reports whether the argument at ptr is, or is inside, or
// holds, an x-sensitive field.
func sensitive(fields []string, ptr string) bool {
	for _, f := range fields {
		if f == ptr || strings.HasPrefix(ptr, f+"/") || strings.HasPrefix(f, ptr+"/") {
			return true
		}
	}
	return false
}

// argumentText returns the value at the JSON pointer ptr of the arguments
// as a resource name: a string's text, a number's or boolean's literal, cut
// to maxResourceBytes; "" when there is no such value or it is an object,
// an array or null.
func argumentText(args json.RawMessage, ptr string) string {
	raw := args
	for _, seg := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err == nil {
			if raw = obj[seg]; raw == nil {
				return ""
			}
			continue
		}
		var arr []json.RawMessage
		i, err := strconv.Atoi(seg)
		if json.Unmarshal(raw, &arr) != nil || err != nil || i < 0 || i >= len(arr) {
			return ""
		}
		raw = arr[i]
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	var text string
	switch x := v.(type) {
	case string:
		text = x
	case float64, bool:
		text = strings.TrimSpace(string(raw))
	default:
		return ""
	}
	if len(text) > maxResourceBytes {
		cut := maxResourceBytes
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "…"
	}
	return text
}
