//go:build !(darwin || freebsd || linux || netbsd)

package mpi

import (
	"errors"
	"runtime"
)

// MPI is loaded the Unix way (dlopen of Open MPI's or MPICH's libmpi);
// elsewhere, Windows included, Open reports ErrNoMPI.
var errNoLoader = errors.New("loading an MPI library is supported on Linux, macOS and the BSDs, not on " + runtime.GOOS)

func dlopen(string) (uintptr, error) { return 0, errNoLoader }

func dlsym(uintptr, string) (uintptr, error) { return 0, errNoLoader }
