//go:build !windows

package gpu

import "github.com/ebitengine/purego"

// dlopen loads a shared library for the process's lifetime.
func dlopen(name string) (uintptr, error) {
	return purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_GLOBAL)
}

// dlsym returns the address of a symbol of a library dlopen loaded.
func dlsym(lib uintptr, name string) (uintptr, error) { return purego.Dlsym(lib, name) }
