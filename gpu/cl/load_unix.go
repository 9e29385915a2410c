//go:build darwin || freebsd || linux || netbsd

package cl

import (
	"errors"
	"runtime"

	"github.com/ebitengine/purego"
)

var defaultLibNames = func() []string {
	if runtime.GOOS == "darwin" {
		return []string{"", "/System/Library/Frameworks/OpenCL.framework/OpenCL"}
	}
	return []string{"", "libOpenCL.so.1", "libOpenCL.so"}
}()

// openLibrary dlopens name; the empty name is the process's global scope,
// accepted only when it already has clGetPlatformIDs.
func openLibrary(name string) (uintptr, error) {
	if name == "" {
		if _, err := purego.Dlsym(purego.RTLD_DEFAULT, "clGetPlatformIDs"); err != nil {
			return 0, errors.New("no OpenCL symbols loaded")
		}
		return purego.RTLD_DEFAULT, nil
	}
	return purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_LOCAL)
}

func closeLibrary(h uintptr) {
	if h != purego.RTLD_DEFAULT {
		_ = purego.Dlclose(h)
	}
}

// lookup returns the address of a symbol, or 0 when it is missing.
func lookup(h uintptr, name string) uintptr {
	addr, err := purego.Dlsym(h, name)
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
	r, _, _ := purego.SyscallN(fn, args...)
	return r
}
