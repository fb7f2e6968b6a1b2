// Package schemas holds mcpgen's meta-schema for tool definition files,
// embedded for the generator and published for editors
// (tooldef.schema.json).
package schemas

import _ "embed"

// ToolDefinition is the JSON Schema (2020-12) of a tool definition file,
// including the grammar of every x- extension keyword.
//
//go:embed tooldef.schema.json
var ToolDefinition []byte

// ToolDefinitionURL is the $id of ToolDefinition.
const ToolDefinitionURL = "https://mcpgen.dev/schemas/tooldef.schema.json"
