package market

import (
	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/memstore"
)

// NewMemoryState returns the store of the shared_state tools, in memory:
// values of at most maxValueBytes, maxTotalBytes in all (keys, values and
// memstore.StateEntryOverhead per entry). Several replicas share a
// networked store.State instead; the tools need nothing but its two
// methods.
func NewMemoryState(maxValueBytes, maxTotalBytes int) store.State {
	return memstore.NewState(memstore.StateOptions{MaxValueBytes: maxValueBytes, MaxTotalBytes: maxTotalBytes})
}
