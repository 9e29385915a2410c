//go:build unix

package main

import (
	"os"
	"syscall"
)

// stopSignals cancel a run: Ctrl-C, SIGTERM, and SIGUSR1, which Open MPI's
// mpirun forwards to every rank without ending the job (kill -USR1 on
// mpirun checkpoints a distributed fit; Slurm's --signal=USR1@T sends it
// before a time limit).
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGUSR1}
