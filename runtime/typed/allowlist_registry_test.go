package typed_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mcpgen/mcpgen/runtime/typed"
)

func TestAllowlistRegistry(t *testing.T) {
	a := typed.NewAllowlist("registry-test", "B", "A")
	b := typed.NewAllowlist("registry-test", "C")
	assert.Equal(t, []*typed.Allowlist{a, b}, typed.Allowlists("registry-test"))
	assert.Contains(t, typed.AllowlistNames(), "registry-test")
	assert.Nil(t, typed.Allowlists("registry-test-none"))

	a.Replace([]string{"Z", "Y", "Y"})
	assert.Equal(t, []string{"Y", "Z"}, a.Values())
	assert.Equal(t, []string{"B", "A"}, a.Defaults(), "the values it was made with")
	a.Replace(a.Defaults())
	assert.Equal(t, []string{"A", "B"}, a.Values())
}
