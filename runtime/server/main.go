package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/mcpgen/mcpgen/runtime/security"
)

// Main runs the server as a program and exits the process: it reads the
// configuration from the environment, with flags overriding it (-h lists
// both), serves until SIGINT or SIGTERM, reloading the keys, tokens,
// allowlist and settings files on SIGHUP (Reload), shuts down gracefully, and exits
// with status 0, 2 for a configuration problem (MCP-011, reported with
// every problem at once) or 1 for any other failure. A server's main is the
// tools registered, then Main:
//
//	func main() {
//		srv := server.New(&mcp.Implementation{Name: "desk", Version: "1.0.0"})
//		if err := tools.Register(srv, &handlers{}); err != nil {
//			log.Fatal(err)
//		}
//		srv.Main()
//	}
func (s *Server) Main() {
	os.Exit(s.command(filepath.Base(os.Args[0]), os.Args[1:], os.Getenv, os.Stderr))
}

// command is Main without the process.
func (s *Server) command(name string, args []string, getenv func(string) string, stderr io.Writer) int {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := ConfigFlags(fs, getenv)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage of %s (settings come from the environment; flags override it):\n", name)
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nSecurity settings (environment only, so secrets stay out of process listings):\n")
		lines := append([]string{"MCP_REDIS_URL: Redis holding rate limits, nonces, idempotency records and shared state for several replicas: redis://, rediss:// (TLS) or a Cluster (default: in memory)"}, security.EnvUsage()...)
		for _, line := range lines {
			fmt.Fprintf(fs.Output(), "  %s\n", line)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg, err := LoadConfig(env)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1) // SIGHUP reloads the configuration (Reload)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go s.reloadOn(ctx, hup)
	if err := s.Run(ctx, cfg); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		if isConfigError(err) {
			return 2
		}
		return 1
	}
	return 0
}
