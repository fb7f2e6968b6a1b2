// Package templates holds the text/template sources of the files mcpgen
// writes once and then leaves to their owner: handler stubs today.
package templates

import (
	"embed"
	"text/template"
)

//go:embed *.tmpl
var files embed.FS

// Handlers renders the scaffold-once handler stub file.
var Handlers = template.Must(template.ParseFS(files, "handlers.go.tmpl"))
