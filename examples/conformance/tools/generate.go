// Package tools holds the conformance server's tools that mcpgen generates
// from ../schemas. Only this file is hand-written.
package tools

//go:generate go run github.com/mcpgen/mcpgen/cmd/mcpgen generate -out . -pkg tools ../schemas
