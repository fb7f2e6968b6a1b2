package idempotency

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/store/memstore"
)

// sseSuccess is a tool result as the go-sdk streams it.
const sseSuccess = "event: message\nid: 1_0\ndata: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"{\\\"symbol\\\":\\\"EURUSD\\\",\\\"bid\\\":\\\"1.08520\\\",\\\"ask\\\":\\\"1.08530\\\"}\"}],\"structuredContent\":{\"symbol\":\"EURUSD\",\"bid\":\"1.08520\",\"ask\":\"1.08530\"}}}\n\n"

// BenchmarkIdempotentRequest measures the layer around a handler that
// streams a tool result, for a request with a fresh Idempotency-Key (the
// record claimed, the response recorded, checked for a retryable tool
// error and stored), and the check alone:
//
//	go test ./runtime/security/idempotency -run '^$' -bench . -benchmem
func BenchmarkIdempotentRequest(b *testing.B) {
	h := Middleware(Config{
		Store:  memstore.NewIdempotency(memstore.IdempotencyOptions{MaxEntries: 1 << 20, MaxEntriesPerClient: 1 << 20}),
		Client: func(*http.Request) string { return "desk-a" },
	})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(sseSuccess))
	}))
	body := []byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"quote.get","arguments":{"symbol":"EURUSD"}}}`)
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%d", i)
	}
	b.Run("layer", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			r := httptest.NewRequest(http.MethodPost, "http://localhost/mcp", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set(HeaderKey, keys[i%len(keys)]+fmt.Sprint(i/len(keys)))
			h.ServeHTTP(httptest.NewRecorder(), r)
			i++
		}
	})
	b.Run("retryable-check", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if retryableToolError("text/event-stream", []byte(sseSuccess), DefaultRetryableCodes) {
				b.Fatal("a success taken for a tool error")
			}
		}
	})
}
