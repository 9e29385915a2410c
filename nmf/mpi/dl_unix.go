//go:build darwin || freebsd || linux || netbsd

package mpi

import "github.com/ebitengine/purego"

// dlopen loads an MPI library globally: Open MPI's components (dlopen'ed
// plugins) resolve their symbols against libmpi.
func dlopen(name string) (uintptr, error) {
	return purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_GLOBAL)
}

func dlsym(h uintptr, name string) (uintptr, error) { return purego.Dlsym(h, name) }
