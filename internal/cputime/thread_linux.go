package cputime

import (
	"syscall"
	"time"
)

// Thread is the calling thread's user and system CPU time; the caller
// holds its goroutine on the thread (runtime.LockOSThread).
func Thread() time.Duration { return usage(syscall.RUSAGE_THREAD) }
