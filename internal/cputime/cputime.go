//go:build unix

package cputime

import (
	"syscall"
	"time"
)

// Process is the process's user and system CPU time, all its threads
// included (PoCL's device threads run in the process).
func Process() time.Duration { return usage(syscall.RUSAGE_SELF) }

func usage(who int) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(who, &u); err != nil {
		panic("cputime: getrusage: " + err.Error())
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
