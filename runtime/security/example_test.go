package security_test

import (
	"fmt"
	"net/http"
	"os"

	"github.com/mcpgen/mcpgen/runtime/security"
)

// A server reads its security from the environment and puts the stack in
// front of its MCP endpoint; runtime/server does this for every server.
func Example() {
	cfg, err := security.ConfigFromEnv(os.Getenv) // AUTH_MODE, AUTH_TOKEN, API_KEY_HMAC_SECRET, MCP_*
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // MCP-011, naming every variable that is wrong
		os.Exit(2)
	}
	stack, err := security.New(cfg, security.Options{SensitiveKeys: []string{"/account/iban"}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer stack.Close()
	if err := stack.CheckListenAddr("0.0.0.0:8080"); err != nil {
		fmt.Fprintln(os.Stderr, err) // no authentication beyond loopback
		os.Exit(2)
	}
	var mcpHandler http.Handler // the MCP endpoint
	_ = http.ListenAndServe("0.0.0.0:8080", stack.HTTP(mcpHandler))
}
