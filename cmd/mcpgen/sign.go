package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/mcpgen/mcpgen/runtime/security/auth"
)

// sign prints the HMAC v1 headers of one request as curl -H arguments. The
// secret comes from API_KEY_HMAC_SECRET, never from the command line.
func sign(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mcpgen sign", flag.ContinueOnError)
	fs.SetOutput(stderr)
	method := fs.String("method", "POST", "HTTP method")
	rawURL := fs.String("url", "http://127.0.0.1:8080/mcp", "absolute URL of the request")
	bodyFile := fs.String("body", "", "file holding the exact request body (- for stdin)")
	keyID := fs.String("key-id", auth.DefaultKeyID, "key ID (X-Key-Id)")
	contentType := fs.String("content-type", "application/json", "Content-Type of the body")
	idem := fs.String("idempotency-key", "", "Idempotency-Key (default: a fresh random key)")
	verbose := fs.Bool("v", false, "also print the canonical string that was signed, to stderr")
	if err := fs.Parse(args); err != nil {
		return usageError(err, stderr)
	}
	secret := os.Getenv("API_KEY_HMAC_SECRET")
	if secret == "" {
		fmt.Fprintln(stderr, "mcpgen: MCP-011: set API_KEY_HMAC_SECRET to the HMAC secret to sign with")
		return 2
	}
	var body []byte
	var err error
	switch *bodyFile {
	case "":
	case "-":
		body, err = io.ReadAll(io.LimitReader(os.Stdin, 10<<20))
	default:
		body, err = os.ReadFile(*bodyFile)
	}
	if err != nil {
		fmt.Fprintf(stderr, "mcpgen: %v\n", err)
		return 1
	}
	ct := *contentType
	if len(body) == 0 {
		ct = ""
	}
	header, canonical, err := auth.SignRequestHeaders(auth.Key{ID: *keyID, Secret: secret},
		auth.SignParams{Method: *method, URL: *rawURL, ContentType: ct, Body: body, IdempotencyKey: *idem})
	if err != nil {
		fmt.Fprintf(stderr, "mcpgen: %v\n", err)
		return 1
	}
	names := make([]string, 0, len(header))
	for name := range header {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(stdout, "-H '%s: %s'\n", name, header.Get(name))
	}
	if *verbose {
		fmt.Fprintf(stderr, "canonical string:\n%s\n", canonical)
	}
	return 0
}
