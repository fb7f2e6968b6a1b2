package gen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/mcpgen/mcpgen/schemas"
)

// metaSchemas compiles the embedded meta-schema once. It is never used on a
// request path: only at generate time, on the author's own files.
var metaSchemas = sync.OnceValues(func() (map[string]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	// The meta-schema is self-contained; nothing is ever fetched.
	c.LoadURL = func(url string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("mcpgen never fetches schemas (%s)", url)
	}
	if err := c.AddResource(schemas.ToolDefinitionURL, bytes.NewReader(schemas.ToolDefinition)); err != nil {
		return nil, err
	}
	out := map[string]*jsonschema.Schema{}
	for _, def := range []string{"tool", "allowlistFile", "schema"} {
		s, err := c.Compile(schemas.ToolDefinitionURL + "#/$defs/" + def)
		if err != nil {
			return nil, err
		}
		out[def] = s
	}
	return out, nil
})

// metaValidate checks definition files against mcpgen's published
// meta-schema. The compiler has already reported what it knows with better
// messages; this backstop keeps the published grammar and the compiler in
// step, so an editor using the meta-schema never disagrees with mcpgen.
func metaValidate(files []*File, tools []*Node) error {
	ms, err := metaSchemas()
	if err != nil {
		return fmt.Errorf("mcpgen's meta-schema does not compile: %w", err)
	}
	problems := &Problems{}
	check := func(n *Node, def string) {
		err := ms[def].Validate(n.Interface())
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return
		}
		for _, leaf := range leaves(ve) {
			target := nodeAt(n, leaf.InstanceLocation)
			problems.Add(target, "does not match mcpgen's meta-schema: "+leaf.Message+" (at "+metaKeyword(leaf.KeywordLocation)+")")
		}
	}
	for _, t := range tools {
		check(t, "tool")
	}
	for _, f := range files {
		if f.Root == nil || f.Root.Kind != KindObject {
			continue
		}
		switch {
		case f.Root.Get("x-allowlists") != nil:
			check(f.Root, "allowlistFile")
		case f.Root.Get("inputSchema") == nil && f.Root.Get("name") == nil && f.Root.Get("tools") == nil:
			check(f.Root, "schema")
		}
	}
	return problems.Err()
}

func leaves(ve *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(ve.Causes) == 0 {
		return []*jsonschema.ValidationError{ve}
	}
	var out []*jsonschema.ValidationError
	for _, c := range ve.Causes {
		out = append(out, leaves(c)...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].InstanceLocation < out[j].InstanceLocation })
	return out
}

func metaKeyword(loc string) string {
	if i := strings.Index(loc, "#"); i >= 0 {
		return loc[i:]
	}
	return loc
}

// nodeAt finds the node at a JSON pointer below n (or the deepest one found).
func nodeAt(n *Node, ptr string) *Node {
	if ptr == "" || ptr == "/" {
		return n
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = unescapePointer(tok)
		var next *Node
		switch n.Kind {
		case KindObject:
			next = n.Get(tok)
		case KindArray:
			var i int
			if _, err := fmt.Sscan(tok, &i); err == nil && i >= 0 && i < len(n.Items) {
				next = n.Items[i]
			}
		}
		if next == nil {
			return n
		}
		n = next
	}
	return n
}
