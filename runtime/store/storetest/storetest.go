// Package storetest is the behavioural test suite of the runtime/store
// interfaces. Every implementation runs it from its own tests, so that the
// memory stores and a networked store answer alike:
//
//	func TestLimiter(t *testing.T) {
//		storetest.Limiter(t, func(t *testing.T, clock *storetest.Clock) store.Limiter {
//			return memstore.NewLimiter(memstore.LimiterOptions{Now: clock.Now})
//		})
//	}
//
// Each suite makes a fresh store per case through the function it is given,
// and uses nothing but the interface: no case reaches into a store's
// internals. Cases that need time to pass move the Clock handed to that
// function; a store that keeps its own time (Redis expires keys by its own
// clock) calls Clock.UseRealTime, and the suite then sleeps instead. Every
// duration in the suites is a few seconds at most, so that such a store's
// run stays short.
//
// Who imports it: the tests of store implementations, never a server.
package storetest

import (
	"sync"
	"testing"
	"time"
)

// start is where a Clock begins: a whole number of minutes since the
// epoch, so rate-limit windows start on it.
var start = time.Unix(1_767_225_600, 0)

// Clock is the time a suite's store runs on: a fake clock the suite moves
// forward, or the real time once UseRealTime is called.
type Clock struct {
	mu   sync.Mutex
	now  time.Time
	real bool
}

func newClock() *Clock { return &Clock{now: start} }

// Now returns the clock's time. Pass it to the store under test as its
// clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.real {
		return time.Now()
	}
	return c.now
}

// UseRealTime tells the suite that the store keeps its own time and cannot
// be handed this clock: Advance then sleeps.
func (c *Clock) UseRealTime() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.real = true
}

// Advance moves the clock forward by d, or sleeps for d in real time.
func (c *Clock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	if !c.real {
		c.now = c.now.Add(d)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	time.Sleep(d)
}

// alignTo moves the clock to just after the next multiple of w since the
// epoch, so a case starts at the beginning of a rate-limit window.
func (c *Clock) alignTo(w time.Duration) {
	now := c.Now()
	next := now.Truncate(w).Add(w)
	if c.isReal() {
		// A margin for the store's clock to be past the boundary too.
		c.Advance(next.Sub(now) + 20*time.Millisecond)
		return
	}
	if !now.Equal(now.Truncate(w)) {
		c.Advance(next.Sub(now))
	}
}

func (c *Clock) isReal() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.real
}

// slack is the tolerance of comparisons between times the store reports
// and the suite's clock: none on the fake clock, some in real time, where
// the store's clock and the suite's drift apart by the calls between them.
func (c *Clock) slack() time.Duration {
	if c.isReal() {
		return 500 * time.Millisecond
	}
	return 0
}

// run runs one case with a fresh clock and store.
func run[S any](t *testing.T, name string, newStore func(*testing.T, *Clock) S, f func(t *testing.T, clock *Clock, s S)) {
	t.Run(name, func(t *testing.T) {
		clock := newClock()
		s := newStore(t, clock)
		f(t, clock, s)
	})
}
