package tools

import (
	"time"

	"github.com/mcpgen/mcpgen/runtime/typed"
)

// setClock pins the runtime clock that date windows are relative to.
func setClock(rfc3339 string) (restore func()) {
	now, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		panic(err)
	}
	return typed.SetClock(func() time.Time { return now })
}
