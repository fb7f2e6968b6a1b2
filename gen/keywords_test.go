package gen_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/schemas"
)

// TestAddingAKeywordTable keeps docs/adding-a-keyword.md complete: every
// keyword mcpgen's meta-schema allows in a schema has a row in its table.
func TestAddingAKeywordTable(t *testing.T) {
	var meta struct {
		Defs map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(schemas.ToolDefinition, &meta); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/adding-a-keyword.md")
	if err != nil {
		t.Fatal(err)
	}
	keywords := meta.Defs["schema"].Properties
	if len(keywords) < 50 {
		t.Fatalf("the meta-schema lists %d keywords; want the full set", len(keywords))
	}
	for k := range keywords {
		if !strings.Contains(string(doc), "\n| `"+k+"` |") {
			t.Errorf("docs/adding-a-keyword.md has no row for keyword %q", k)
		}
	}
}
