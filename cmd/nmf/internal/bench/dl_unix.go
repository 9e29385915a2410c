//go:build !windows

package bench

import "github.com/ebitengine/purego"

// dlopen loads a shared library for the process's lifetime.
func dlopen(name string) (uintptr, error) {
	return purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_GLOBAL)
}
