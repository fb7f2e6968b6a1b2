package server

import (
	"context"
	"encoding/json"

	"github.com/mcpgen/mcpgen/runtime/security/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// publishExtras is a receiving middleware that adds to the tools/list result
// the members of the MCP Tool object the SDK's Tool type does not have
// (execution, from the 2025-11-25 revision), so that every field a
// definition declares is published.
func (s *Server) publishExtras(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		res, err := next(ctx, method, req)
		list, ok := res.(*mcp.ListToolsResult)
		if err != nil || method != "tools/list" || !ok {
			return res, err
		}
		s.filterByScope(ctx, req, list)
		extras := s.toolExtras()
		if len(extras) == 0 {
			return res, nil
		}
		raw, err := json.Marshal(list)
		if err != nil {
			return nil, err
		}
		var members map[string]json.RawMessage
		if err := json.Unmarshal(raw, &members); err != nil {
			return nil, err
		}
		tools := make([]json.RawMessage, len(list.Tools))
		for i, t := range list.Tools {
			b, err := json.Marshal(t)
			if err != nil {
				return nil, err
			}
			if exec := extras[t.Name]; exec != nil {
				// b is a JSON object with members; the last byte is '}'.
				b = append(append(append(b[:len(b)-1:len(b)-1], `,"execution":`...), exec...), '}')
			}
			tools[i] = b
		}
		if members["tools"], err = json.Marshal(tools); err != nil {
			return nil, err
		}
		out, err := json.Marshal(members)
		if err != nil {
			return nil, err
		}
		return &rawResult{raw: out}, nil
	}
}

// filterByScope keeps in list only the tools the request's token may call,
// when the security stack filters tools/list (OAUTH_FILTER_TOOLS_LIST=true);
// the stack marks such responses private to caches.
func (s *Server) filterByScope(ctx context.Context, req mcp.Request, list *mcp.ListToolsResult) {
	if s.stack == nil {
		return
	}
	if extra := req.GetExtra(); extra != nil {
		ctx = auth.WithTokenInfo(ctx, extra.TokenInfo)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := list.Tools[:0]
	for _, t := range list.Tools {
		if tool := s.tools[t.Name]; tool == nil || s.stack.ToolVisible(ctx, tool.Policy.Scopes) {
			kept = append(kept, t)
		}
	}
	list.Tools = kept
}

// toolExtras returns the execution objects of the tools that have one, by
// name.
func (s *Server) toolExtras() map[string]json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out map[string]json.RawMessage
	for name, t := range s.tools {
		if len(t.Execution) > 0 {
			if out == nil {
				out = make(map[string]json.RawMessage)
			}
			out[name] = t.Execution
		}
	}
	return out
}

// rawResult is a result already encoded as JSON.
type rawResult struct {
	mcp.ResultBase
	raw []byte
}

func (r *rawResult) MarshalJSON() ([]byte, error) { return r.raw, nil }
