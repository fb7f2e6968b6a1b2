// Package server runs MCP tool servers built with mcpgen: it publishes the
// tools that generated Register functions hand it, runs every call behind the
// argument cap, the tool gates, the deadline and panic recovery, and serves
// stdio or Streamable HTTP on the official MCP Go SDK.
//
// A server author's main builds a Server, registers the generated tools and
// calls Main, which reads the configuration from the environment (flags
// override it), builds the security stack (runtime/security) from it and
// serves until SIGINT or SIGTERM:
//
//	srv := server.New(&mcp.Implementation{Name: "desk", Version: "1.0.0"})
//	if err := tools.Register(srv, &handlers{}); err != nil {
//		log.Fatal(err)
//	}
//	srv.Main()
//
// Handlers reach their call through the context: Request (the MCP request,
// its _meta and session), ClientID, CorrelationID, NotifyProgress and
// AddContent. Hand-written tools are a Tool literal passed to AddTools, and
// go through the same gates as generated ones.
package server
