//go:build windows

package cl

import (
	"errors"
	"syscall"
)

var defaultLibNames = []string{"OpenCL.dll"}

func openLibrary(name string) (uintptr, error) {
	if name == "" {
		return 0, errors.New("not supported on windows")
	}
	h, err := syscall.LoadLibrary(name)
	return uintptr(h), err
}

func closeLibrary(h uintptr) { _ = syscall.FreeLibrary(syscall.Handle(h)) }

func lookup(h uintptr, name string) uintptr {
	addr, err := syscall.GetProcAddress(syscall.Handle(h), name)
	if err != nil {
		return 0
	}
	return addr
}

// ccall calls the C function at fn. Pointer arguments must be converted to
// uintptr in the call expression itself: the uintptrescapes directive then
// moves the pointed-to memory to the heap and keeps it alive until ccall
// returns, as for syscall.Syscall.
//
//go:uintptrescapes
func ccall(fn uintptr, args ...uintptr) uintptr {
	if oneThread != nil {
		return callOnThread(fn, args)
	}
	return syscallN(fn, args)
}

func syscallN(fn uintptr, args []uintptr) uintptr {
	r, _, _ := syscall.SyscallN(fn, args...)
	return r
}
