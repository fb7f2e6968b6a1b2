// Package server runs MCP tool servers built with mcpgen: it publishes the
// tools that generated Register functions hand it, runs every call behind the
// argument cap, the tool gates, the deadline and panic recovery, and serves
// stdio or Streamable HTTP on the official MCP Go SDK.
//
// A server author's main builds a Server, registers the generated tools and
// runs it with the configuration read from the environment.
package server
