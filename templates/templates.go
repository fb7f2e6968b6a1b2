// Package templates holds the text/template sources of the files mcpgen
// scaffolds and then leaves to their owner: handler stubs today.
package templates

import (
	"embed"
	"text/template"
)

//go:embed *.tmpl
var files embed.FS

// Handlers renders the handler stub file; its "method" template renders
// one method, which is what a later run appends for a new tool.
var Handlers = template.Must(template.ParseFS(files, "handlers.go.tmpl"))
