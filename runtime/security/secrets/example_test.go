package secrets_test

import (
	"fmt"

	"github.com/mcpgen/mcpgen/runtime/security/secrets"
)

func ExampleDecrypt() {
	env := map[string]string{
		"MCP_ENCRYPTION_KEY":    "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=",
		"ENCRYPTED_DB_PASSWORD": "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==",
	}
	getenv := func(k string) string { return env[k] }

	pw, err := secrets.Decrypt(getenv, "ENCRYPTED_DB_PASSWORD")
	fmt.Println(pw, err)
	_, err = secrets.Require(getenv, "AUTH_TOKEN")
	fmt.Println(err)
	// Output:
	// hello <nil>
	// MCP-011 MISSING_CONFIGURATION: required secret AUTH_TOKEN is not set
}
