package main

import (
	"github.com/mcpgen/mcpgen/examples/trading/tools"
)

// handlers implements tools.Handlers over the market package.
type handlers struct {
	tools.UnimplementedHandlers
}

func newHandlers() (*handlers, error) { return &handlers{}, nil }
