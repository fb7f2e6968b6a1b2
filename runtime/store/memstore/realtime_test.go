package memstore

import (
	"testing"

	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/storetest"
)

// The suites on real time, as a store that keeps its own clock (Redis)
// runs them: the memory stores on time.Now, and the suites sleeping. It
// shows the suites hold up without a fake clock.
func TestSuitesOnRealTime(t *testing.T) {
	if testing.Short() {
		t.Skip("sleeps for several seconds")
	}
	t.Parallel()
	t.Run("limiter", func(t *testing.T) {
		t.Parallel()
		storetest.Limiter(t, func(t *testing.T, clock *storetest.Clock) store.Limiter {
			clock.UseRealTime()
			return NewLimiter(LimiterOptions{})
		})
	})
	t.Run("nonces", func(t *testing.T) {
		t.Parallel()
		storetest.Nonces(t, func(t *testing.T, clock *storetest.Clock, maxPerClient int) store.Nonces {
			clock.UseRealTime()
			return NewNonces(NonceOptions{MaxPerClient: maxPerClient})
		})
	})
	t.Run("idempotency", func(t *testing.T) {
		t.Parallel()
		storetest.Idempotency(t, func(t *testing.T, clock *storetest.Clock) store.Idempotency {
			clock.UseRealTime()
			return NewIdempotency(IdempotencyOptions{})
		})
	})
	t.Run("state", func(t *testing.T) {
		t.Parallel()
		storetest.State(t, func(t *testing.T, clock *storetest.Clock, maxValueBytes, maxTotalBytes int) store.State {
			clock.UseRealTime()
			return NewState(StateOptions{MaxValueBytes: maxValueBytes, MaxTotalBytes: maxTotalBytes})
		})
	})
}
