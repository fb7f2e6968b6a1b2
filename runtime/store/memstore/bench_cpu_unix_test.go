//go:build unix

package memstore

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used so far, user and
// system, on every thread: unlike wall time, other processes on the
// machine do not inflate it.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
