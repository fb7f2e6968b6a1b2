package ratelimit

import (
	"fmt"
	"time"
)

// Rule is a limit of Limit requests per Window.
type Rule struct {
	Limit  int
	Window time.Duration
}

// DefaultRule is the per-client limit of the HTTP layer when none is
// configured: the seed's 1000 requests per minute.
var DefaultRule = Rule{Limit: 1000, Window: time.Minute}

// String returns the rule as "1000 per 1m0s".
func (r Rule) String() string { return fmt.Sprintf("%d per %s", r.Limit, r.Window) }

// Validate returns an error unless the limit and the window are positive.
func (r Rule) Validate() error {
	if r.Limit <= 0 || r.Window <= 0 {
		return fmt.Errorf("ratelimit: a rule needs a positive limit and window, got %d per %s", r.Limit, r.Window)
	}
	return nil
}
