package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mcpgen/mcpgen/runtime/security/auth"
	"github.com/mcpgen/mcpgen/runtime/security/secrets"
)

// token prints a new random secret: a bearer token (AUTH_TOKEN) or an HMAC
// secret (API_KEY_HMAC_SECRET).
func token(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mcpgen token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("bytes", auth.MinSecretBytes, "random bytes in the token (at least 32)")
	if err := fs.Parse(args); err != nil {
		return usageError(err, stderr)
	}
	if *n < auth.MinSecretBytes {
		fmt.Fprintf(stderr, "mcpgen: -bytes must be at least %d\n", auth.MinSecretBytes)
		return 2
	}
	fmt.Fprintln(stdout, secrets.NewToken(*n))
	return 0
}

// keygen creates a Fernet key file (mode 0600, never overwriting one), or
// prints a key for MCP_ENCRYPTION_KEY with -print.
func keygen(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mcpgen keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("file", "", "write the key to this new file (mode 0600; refuses an existing file)")
	print := fs.Bool("print", false, "print the key (for MCP_ENCRYPTION_KEY) instead of writing a file")
	if err := fs.Parse(args); err != nil {
		return usageError(err, stderr)
	}
	switch {
	case *print == (*file != ""):
		fmt.Fprintln(stderr, "mcpgen: give exactly one of -file PATH and -print")
		return 2
	case *print:
		fmt.Fprintln(stdout, secrets.NewKey().Encode())
	default:
		if _, err := secrets.GenerateKeyFile(*file); err != nil {
			fmt.Fprintf(stderr, "mcpgen: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "mcpgen: wrote a new key to %s (mode 0600); point MCP_ENCRYPTION_KEY_FILE at it\n", *file)
	}
	return 0
}

// encrypt reads a value from stdin (never from the command line, where it
// would reach the shell history) and prints its Fernet token, for ENCRYPTED_*
// variables.
func encrypt(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mcpgen encrypt", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return usageError(err, stderr)
	}
	key, err := secrets.LoadKey(os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "mcpgen: %v\n", err)
		return 1
	}
	value, err := bufio.NewReader(io.LimitReader(stdin, 1<<20)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintf(stderr, "mcpgen: reading the value from stdin: %v\n", err)
		return 1
	}
	value = strings.TrimRight(value, "\r\n")
	if value == "" {
		fmt.Fprintln(stderr, "mcpgen: no value on stdin; pipe the value to encrypt, e.g. mcpgen encrypt < password.txt")
		return 2
	}
	fmt.Fprintln(stdout, key.Encrypt([]byte(value)))
	return 0
}
