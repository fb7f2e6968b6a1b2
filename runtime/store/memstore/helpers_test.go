package memstore

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
)

var ctx = context.Background()

// fakeClock is a settable clock for tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	// An epoch-aligned start makes window boundaries easy to reason about.
	return &fakeClock{t: time.Unix(1_700_000_040, 0)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *fakeClock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// assertCode asserts that err is a *mcperr.Error with code and message.
func assertCode(t *testing.T, err error, code mcperr.Code, message string) {
	t.Helper()
	var e *mcperr.Error
	require.True(t, errors.As(err, &e), "want a *mcperr.Error, got %v", err)
	assert.Equal(t, code, e.Code)
	assert.Equal(t, message, e.Message)
}
