// Command mcpgen compiles JSON Schema MCP tool definitions into Go: typed
// inputs and outputs, strict decoders and validators, a handler interface
// and registration code for the mcpgen runtime.
//
// Usage:
//
//	mcpgen generate [-out DIR] [-pkg NAME] [-stubs FILE] PATH...
//	mcpgen check    [-out DIR] [-pkg NAME] PATH...
//	mcpgen lint     PATH...
//	mcpgen sign     [-method M] [-url URL] [-body FILE] [-key-id ID]
//	mcpgen token    [-bytes N]
//	mcpgen keygen   -file PATH | -print
//	mcpgen encrypt  < value
//
// PATH is a definition file or a folder of them. Exit status: 0 on success,
// 1 when check finds stale output or an I/O step fails, 2 for bad
// definitions or usage.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage:
  mcpgen generate [-out DIR] [-pkg NAME] [-stubs FILE] PATH...   write the generated package
  mcpgen check    [-out DIR] [-pkg NAME] PATH...                 fail with a diff when committed output is stale
  mcpgen lint     PATH...                                        check definitions only
  mcpgen sign     [-method M] [-url URL] [-body FILE]             print HMAC v1 headers for curl (secret from API_KEY_HMAC_SECRET)
  mcpgen token    [-bytes N]                                     print a new random bearer token or HMAC secret
  mcpgen keygen   -file PATH | -print                            create a Fernet key (file mode 0600, never overwritten)
  mcpgen encrypt  < value                                        encrypt stdin with the key from MCP_ENCRYPTION_KEY(_FILE)
Run "mcpgen COMMAND -h" for a command's flags.
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "generate":
		return generate(rest, stdout, stderr)
	case "check":
		return check(rest, stdout, stderr)
	case "lint":
		return lint(rest, stdout, stderr)
	case "sign":
		return sign(rest, stdout, stderr)
	case "token":
		return token(rest, stdout, stderr)
	case "keygen":
		return keygen(rest, stdout, stderr)
	case "encrypt":
		return encrypt(rest, os.Stdin, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "mcpgen: unknown command %q\n%s", cmd, usage)
	return 2
}
