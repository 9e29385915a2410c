//go:build windows

package gpu

import "syscall"

// dlopen loads a DLL for the process's lifetime.
func dlopen(name string) (uintptr, error) {
	h, err := syscall.LoadLibrary(name)
	return uintptr(h), err
}

// dlsym returns the address of a procedure of a DLL dlopen loaded.
func dlsym(lib uintptr, name string) (uintptr, error) {
	return syscall.GetProcAddress(syscall.Handle(lib), name)
}
