package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgen/mcpgen/runtime/security/auth"
)

// A Go client signs its requests by giving the SDK's transport an HTTP
// client with a Signer.
func ExampleSigner() {
	key := auth.Key{ID: "desk-a-2026", Secret: os.Getenv("MCP_HMAC_SECRET")}
	transport := &mcp.StreamableClientTransport{
		Endpoint:   "https://mcp.example.com/mcp",
		HTTPClient: &http.Client{Transport: &auth.Signer{Key: key}},
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "desk", Version: "1.0.0"}, nil)
	ctx := context.Background()
	session, err := client.Connect(ctx, transport, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	defer session.Close()
	// Retries of this call under the same key are answered from the first.
	ctx = auth.WithIdempotencyKey(ctx, "order-2026-0001")
	_, _ = session.CallTool(ctx, &mcp.CallToolParams{Name: "order.place", Arguments: map[string]any{"qty": 1}})
}

// mcpgen sign prints the headers of a signed request for curl.
func ExampleSignRequestHeaders() {
	key := auth.Key{ID: "desk-a-2026", Secret: "mcpgen-example-secret-do-not-use-0001"}
	header, _, err := auth.SignRequestHeaders(key, auth.SignParams{
		Method:         "POST",
		URL:            "https://mcp.example.com/mcp",
		ContentType:    "application/json",
		Body:           []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`),
		IdempotencyKey: "list-1",
		Nonce:          "example-nonce-0000000001",
		Time:           time.Unix(1_767_225_600, 0),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"X-Key-Id", "X-Timestamp", "X-Nonce", "Idempotency-Key", "X-API-Version", "X-Signature"} {
		fmt.Printf("-H '%s: %s'\n", name, header.Get(name))
	}
	// Output:
	// -H 'X-Key-Id: desk-a-2026'
	// -H 'X-Timestamp: 1767225600'
	// -H 'X-Nonce: example-nonce-0000000001'
	// -H 'Idempotency-Key: list-1'
	// -H 'X-API-Version: 1.0.0'
	// -H 'X-Signature: 22ae9c87e16ccdb5b015db27412462129f42d8bc5cb029585ef8475a1686f8b6'
}
