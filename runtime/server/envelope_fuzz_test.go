package server

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// FuzzEnvelope reads arbitrary bytes with the envelope reader. It must never
// panic; a refusal must be a well-formed JSON-RPC error with a code the spec
// gives; and whatever it hands the SDK must decode, with encoding/json and
// with the SDK's own decoder, to the jsonrpc, method and id it read, so that
// no reader downstream sees a different call and the stdio session, which
// ends on a message the SDK cannot decode, never does. The seed corpus is in
// testdata/fuzz/FuzzEnvelope (go test -fuzz FuzzEnvelope ./runtime/server).
func FuzzEnvelope(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get","name":"set"}}`), false)
	f.Add([]byte(`[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/x"}]`), true)
	f.Fuzz(func(t *testing.T, data []byte, allowBatch bool) {
		env := readEnvelope(data, allowBatch)
		switch env.verdict {
		case refuse:
			checkRefusal(t, env.err)
			return
		case ignore:
			return
		}
		if !env.batch {
			if !bytes.Equal(env.data, data) {
				t.Fatalf("a message was changed on its way to the SDK: %q became %q", data, env.data)
			}
			checkForwarded(t, env.data, env.method, env.id)
			return
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(env.data, &elems); err != nil || len(elems) == 0 {
			t.Fatalf("forwarded batch %q does not decode as a JSON array: %v", env.data, err)
		}
		for _, e := range elems {
			sub := readEnvelope(e, false)
			if sub.verdict != forward {
				t.Fatalf("batch element %q is not a message that passes alone: %+v", e, sub.err)
			}
			checkForwarded(t, e, sub.method, sub.id)
		}
	})
}

func checkRefusal(t *testing.T, e *rpcError) {
	t.Helper()
	switch e.code {
	case codeParseError, codeInvalidRequest, codeMethodNotFound, codeInvalidParams:
	default:
		t.Fatalf("refused with code %d", e.code)
	}
	out := e.appendJSON(nil)
	var resp struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("refusal %q is not JSON: %v", out, err)
	}
	if resp.JSONRPC != "2.0" || resp.Error.Code != e.code || resp.Error.Message != e.message {
		t.Fatalf("refusal %q does not say what was meant: %+v", out, e)
	}
	if e.id == nil && string(resp.ID) != "null" {
		t.Fatalf("refusal %q has an id where none was read", out)
	}
	if _, err := jsonrpc.DecodeMessage(out); err != nil && e.id != nil {
		t.Fatalf("refusal %q does not decode as a JSON-RPC response: %v", out, err)
	}
}

// checkForwarded checks that a message the reader let through reads the same
// to encoding/json and to the SDK.
func checkForwarded(t *testing.T, data []byte, method string, id []byte) {
	t.Helper()
	var std struct {
		JSONRPC string          `json:"jsonrpc"`
		Method  *string         `json:"method"`
		ID      json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(data, &std); err != nil {
		t.Fatalf("accepted %q, which encoding/json refuses: %v", data, err)
	}
	if std.JSONRPC != "2.0" {
		t.Fatalf("accepted %q, whose jsonrpc encoding/json reads as %q", data, std.JSONRPC)
	}
	if std.Method != nil && method != "" && *std.Method != method {
		t.Fatalf("accepted %q as method %q, which encoding/json reads as %q", data, method, *std.Method)
	}
	if id != nil && !sameJSON(id, std.ID) {
		t.Fatalf("accepted %q with id %s, which encoding/json reads as %s", data, id, std.ID)
	}
	msg, err := jsonrpc.DecodeMessage(data)
	if err != nil {
		t.Fatalf("accepted %q, which the SDK cannot decode: %v", data, err)
	}
	if req, ok := msg.(*jsonrpc.Request); ok {
		if method != "" && req.Method != method {
			t.Fatalf("accepted %q as method %q, which the SDK reads as %q", data, method, req.Method)
		}
		if id != nil {
			sdkID, _ := json.Marshal(req.ID.Raw())
			if !sameJSON(id, sdkID) {
				t.Fatalf("accepted %q with id %s, which the SDK reads as %s", data, id, sdkID)
			}
		}
	}
}

// sameJSON reports whether two JSON texts are the same value, numbers
// compared exactly.
func sameJSON(a, b []byte) bool {
	var x, y any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	if da.Decode(&x) != nil || db.Decode(&y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}
