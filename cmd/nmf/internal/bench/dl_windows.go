//go:build windows

package bench

import "syscall"

// dlopen loads a DLL for the process's lifetime.
func dlopen(name string) (uintptr, error) {
	h, err := syscall.LoadLibrary(name)
	return uintptr(h), err
}
