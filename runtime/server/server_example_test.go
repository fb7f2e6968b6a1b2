package server_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/mcpgen/mcpgen/runtime/server"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The main function of a server: configuration from the environment and
// flags, SIGINT and SIGTERM for a graceful shutdown. Generated Register
// functions hand their tools to AddTools the same way.
func Example() {
	srv := server.New(&mcp.Implementation{Name: "quotes", Version: "1.0.0"})
	err := srv.AddTools(server.Tool{
		Name:        "quote.get",
		Description: "Returns the last price of a symbol.",
		InputSchema: json.RawMessage(`{"type":"object","properties":{"symbol":{"type":"string"}},"required":["symbol"]}`),
		Call: func(ctx context.Context, args []byte) (server.Result, error) {
			return server.Result{Structured: []byte(`{"price":"101.25"}`)}, nil
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	fs := flag.NewFlagSet(os.Args[0], flag.ExitOnError)
	getenv := server.ConfigFlags(fs, os.Getenv)
	fs.Parse(os.Args[1:])
	cfg, err := server.LoadConfig(getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
