//go:build !unix

package main

import (
	"os"
	"syscall"
)

// stopSignals cancel a run: Ctrl-C and SIGTERM (no SIGUSR1 here).
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}
