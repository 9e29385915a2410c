//go:build !(darwin || freebsd || linux || netbsd || windows)

package cl

import (
	"errors"
	"runtime"
)

var defaultLibNames = []string{}

func openLibrary(name string) (uintptr, error) {
	return 0, errors.New("loading libraries is not supported on " + runtime.GOOS)
}

func closeLibrary(uintptr) {}

func lookup(uintptr, string) uintptr { return 0 }

func ccall(uintptr, ...uintptr) uintptr { panic("cl: no OpenCL on " + runtime.GOOS) }

func syscallN(uintptr, []uintptr) uintptr { panic("cl: no OpenCL on " + runtime.GOOS) }
