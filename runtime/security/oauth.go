package security

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/mcpgen/mcpgen/runtime/internal/httperr"
	"github.com/mcpgen/mcpgen/runtime/internal/principal"
	"github.com/mcpgen/mcpgen/runtime/internal/reqbody"
	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/mcpgen/mcpgen/runtime/security/audit"
	"github.com/mcpgen/mcpgen/runtime/security/auth"
	"github.com/mcpgen/mcpgen/runtime/security/ratelimit"
)

// Endpoints returns the HTTP endpoints the server must serve beside the
// MCP endpoint at mcpPath, by path, outside the MCP path and its
// authentication; none outside oauth mode. In oauth mode they are the
// protected-resource metadata (RFC 9728), at
// /.well-known/oauth-protected-resource and at its path forms for mcpPath
// and for the path of OAUTH_AUDIENCE (such as
// /.well-known/oauth-protected-resource/mcp): the resource (the
// audience), its authorization server (the issuer), the scopes the tools
// declare, and bearer tokens in the Authorization header. The 401 and 403
// challenges point to it (resource_metadata).
func (s *Stack) Endpoints(mcpPath string) map[string]http.Handler {
	out := make(map[string]http.Handler)
	if s.metadata == nil {
		return out
	}
	out[auth.WellKnownResourcePath] = s.metadata
	if p := strings.TrimSuffix(mcpPath, "/"); p != "" {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		out[auth.WellKnownResourcePath+p] = s.metadata
	}
	cfg, _ := s.authn.OAuth()
	out[cfg.MetadataPath()] = s.metadata
	return out
}

// resourceMetadata is the protected-resource metadata document (RFC 9728
// §2).
type resourceMetadata struct {
	Resource             string   `json:"resource"`
	AuthorizationServers []string `json:"authorization_servers"`
	ScopesSupported      []string `json:"scopes_supported,omitempty"`
	BearerMethods        []string `json:"bearer_methods_supported"`
}

// metadataHandler serves doc to anyone (it is public, and browser-based
// clients read it across origins): GET and HEAD, and OPTIONS for CORS
// preflights.
func metadataHandler(doc resourceMetadata) http.Handler {
	body, _ := json.Marshal(doc)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Content-Type, MCP-Protocol-Version")
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			h.Set("Content-Type", "application/json")
			h.Set("Cache-Control", "public, max-age=300")
			h.Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(http.StatusOK)
			if r.Method == http.MethodGet {
				w.Write(body)
			}
		case http.MethodOptions:
			w.WriteHeader(http.StatusNoContent)
		default:
			h.Set("Allow", "GET, HEAD, OPTIONS")
			httperr.Write(w, http.StatusMethodNotAllowed, mcperr.Errorf(mcperr.CodeInvalidArgs, "the protected-resource metadata is read with GET"))
		}
	})
}

// ToolScopes is the tool gate of x-scopes: in oauth mode, a call to tool,
// whose definition declares scopes, passes only when the call's access
// token holds every one of them (auth.Scopes(ctx), which the server sets
// for the call with auth.WithTokenInfo). A call without them gets
// auth.ScopeError's MCP-002, whose details name the tool's scopes and the
// missing ones; a call with no token in its context, MCP-002 too. In other
// modes, and for a tool without scopes, every call passes. The call's
// security event (insufficient_scope) is written when the server records
// it (Record).
func (s *Stack) ToolScopes(ctx context.Context, tool string, scopes []string) error {
	if s.metadata == nil || len(scopes) == 0 {
		return nil
	}
	granted, ok := auth.Scopes(ctx)
	if !ok {
		return mcperr.Errorf(mcperr.CodeUnauthorized, "the call to the tool %s carries no access token", tool)
	}
	if err := auth.ScopeError(tool, scopes, granted); err != nil {
		return err
	}
	return nil
}

// ToolVisible reports whether tools/list shows, to the client whose
// request or call is ctx, a tool that declares scopes: always, unless the
// stack is in oauth mode with OAUTH_FILTER_TOOLS_LIST=true; then only when
// the token (auth.Scopes(ctx)) holds every scope. Responses in oauth mode
// carry Cache-Control: private, since they differ by token.
func (s *Stack) ToolVisible(ctx context.Context, scopes []string) bool {
	if s.metadata == nil || !s.listByScope || len(scopes) == 0 {
		return true
	}
	granted, _ := auth.Scopes(ctx)
	return len(auth.MissingScopes(granted, scopes)) == 0
}

// private marks every response of the MCP endpoint as one no shared cache
// may keep: in oauth mode what it answers depends on the token. A handler
// that sets Cache-Control itself (the SDK's event streams say "no-cache,
// no-transform") gets "private" added to it.
func private(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "private")
		next.ServeHTTP(&privateWriter{ResponseWriter: w}, r)
	})
}

type privateWriter struct {
	http.ResponseWriter
	marked bool
}

func (p *privateWriter) mark() {
	if p.marked {
		return
	}
	p.marked = true
	h := p.Header()
	cc := h.Get("Cache-Control")
	lower := strings.ToLower(cc)
	switch {
	case cc == "":
		h.Set("Cache-Control", "private")
	case !strings.Contains(lower, "private") && !strings.Contains(lower, "no-store"):
		h.Set("Cache-Control", cc+", private")
	}
}

func (p *privateWriter) WriteHeader(status int) {
	p.mark()
	p.ResponseWriter.WriteHeader(status)
}

func (p *privateWriter) Write(b []byte) (int, error) {
	p.mark()
	return p.ResponseWriter.Write(b)
}

func (p *privateWriter) Flush() {
	p.mark()
	http.NewResponseController(p.ResponseWriter).Flush()
}

func (p *privateWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// scopeCheck refuses, before the protocol layer, a POST whose tools/call
// requests name tools that need scopes the token lacks: 403 with
// WWW-Authenticate: Bearer error="insufficient_scope" and every scope the
// request's calls need (SEP-2350), so that a client can step up its
// authorization. It reads the body (already capped by the server) and
// hands it on unchanged. It only refuses: the tool gate (ToolScopes)
// decides for every call that reaches a tool, so a body this reading
// misunderstands is refused there, as a tool error.
func (s *Stack) scopeCheck(next http.Handler) http.Handler {
	if !s.scopeLayer() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		granted, ok := auth.Scopes(r.Context())
		if r.Method != http.MethodPost || !ok {
			next.ServeHTTP(w, r)
			return
		}
		body, r2, err := reqbody.Read(r)
		if err != nil { // the server's body cap, or a slow body: the layers behind answer
			next.ServeHTTP(w, r2)
			return
		}
		var required []string
		var refused string // the first tool refused, for the event
		for _, tool := range toolCalls(body) {
			scopes := s.toolScopes[tool]
			for _, sc := range scopes {
				if !slices.Contains(required, sc) {
					required = append(required, sc)
				}
			}
			if refused == "" && len(auth.MissingScopes(granted, scopes)) > 0 {
				refused = tool
			}
		}
		if refused == "" {
			next.ServeHTTP(w, r2)
			return
		}
		e := auth.ScopeError(refused, required, granted)
		w.Header().Set("WWW-Authenticate", s.authn.ScopeChallenge(required))
		s.refusedScope(r, e, refused)
		httperr.Write(w, http.StatusForbidden, e)
	})
}

// refusedScope writes the security event of a request refused by
// scopeCheck, with the tool.
func (s *Stack) refusedScope(r *http.Request, e *mcperr.Error, tool string) {
	var ip string
	if addr, ok := ratelimit.ClientAddr(r, s.cfg.TrustedProxies); ok {
		ip = addr.String()
	} else if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ip = host
	}
	if werr := s.audit.Security(audit.Security{
		Type:     audit.InsufficientScope,
		ClientID: principal.ClientID(r.Context()),
		ClientIP: ip,
		Tool:     tool,
		Code:     e.Code,
		Reason:   e.Message,
		Details: map[string]any{"status": http.StatusForbidden, "method": r.Method, "path": r.URL.Path,
			"required_scopes": e.Details["required_scopes"], "missing_scopes": e.Details["missing_scopes"]},
	}); werr != nil {
		s.logger.Error("security event not written", "error", werr, "event_type", string(audit.InsufficientScope))
	}
}

// scopesSupported returns every scope the tools declare, sorted.
func scopesSupported(toolScopes map[string][]string) []string {
	var all []string
	for _, scopes := range toolScopes {
		for _, s := range scopes {
			if !slices.Contains(all, s) {
				all = append(all, s)
			}
		}
	}
	sort.Strings(all)
	return all
}
