package cl

import (
	"fmt"
	"strings"
	"sync"
)

// cfunc is one C function of the OpenCL library, resolved by [Load].
type cfunc struct {
	name     string
	addr     uintptr
	optional bool // OpenCL 1.2 additions: missing ones fail at use, not at load
}

// The OpenCL functions this package calls.
var (
	fnGetPlatformIDs          = &cfunc{name: "clGetPlatformIDs"}
	fnGetPlatformInfo         = &cfunc{name: "clGetPlatformInfo"}
	fnGetDeviceIDs            = &cfunc{name: "clGetDeviceIDs"}
	fnGetDeviceInfo           = &cfunc{name: "clGetDeviceInfo"}
	fnCreateContext           = &cfunc{name: "clCreateContext"}
	fnReleaseContext          = &cfunc{name: "clReleaseContext"}
	fnCreateCommandQueue      = &cfunc{name: "clCreateCommandQueue"}
	fnReleaseCommandQueue     = &cfunc{name: "clReleaseCommandQueue"}
	fnFinish                  = &cfunc{name: "clFinish"}
	fnFlush                   = &cfunc{name: "clFlush"}
	fnCreateBuffer            = &cfunc{name: "clCreateBuffer"}
	fnReleaseMemObject        = &cfunc{name: "clReleaseMemObject"}
	fnEnqueueReadBuffer       = &cfunc{name: "clEnqueueReadBuffer"}
	fnEnqueueWriteBuffer      = &cfunc{name: "clEnqueueWriteBuffer"}
	fnEnqueueCopyBuffer       = &cfunc{name: "clEnqueueCopyBuffer"}
	fnEnqueueFillBuffer       = &cfunc{name: "clEnqueueFillBuffer", optional: true}
	fnCreateProgramWithSource = &cfunc{name: "clCreateProgramWithSource"}
	fnBuildProgram            = &cfunc{name: "clBuildProgram"}
	fnGetProgramBuildInfo     = &cfunc{name: "clGetProgramBuildInfo"}
	fnReleaseProgram          = &cfunc{name: "clReleaseProgram"}
	fnCreateKernel            = &cfunc{name: "clCreateKernel"}
	fnReleaseKernel           = &cfunc{name: "clReleaseKernel"}
	fnSetKernelArg            = &cfunc{name: "clSetKernelArg"}
	fnGetKernelInfo           = &cfunc{name: "clGetKernelInfo"}
	fnGetKernelWorkGroupInfo  = &cfunc{name: "clGetKernelWorkGroupInfo"}
	fnEnqueueNDRangeKernel    = &cfunc{name: "clEnqueueNDRangeKernel"}

	fnWaitForEvents              = &cfunc{name: "clWaitForEvents"}
	fnReleaseEvent               = &cfunc{name: "clReleaseEvent"}
	fnGetEventProfilingInfo      = &cfunc{name: "clGetEventProfilingInfo"}
	fnEnqueueMarkerWithWaitList  = &cfunc{name: "clEnqueueMarkerWithWaitList", optional: true}
	fnEnqueueBarrierWithWaitList = &cfunc{name: "clEnqueueBarrierWithWaitList", optional: true}
)

var allFuncs = []*cfunc{
	fnGetPlatformIDs, fnGetPlatformInfo, fnGetDeviceIDs, fnGetDeviceInfo,
	fnCreateContext, fnReleaseContext, fnCreateCommandQueue, fnReleaseCommandQueue,
	fnFinish, fnFlush, fnCreateBuffer, fnReleaseMemObject,
	fnEnqueueReadBuffer, fnEnqueueWriteBuffer, fnEnqueueCopyBuffer, fnEnqueueFillBuffer,
	fnCreateProgramWithSource, fnBuildProgram, fnGetProgramBuildInfo, fnReleaseProgram,
	fnCreateKernel, fnReleaseKernel, fnSetKernelArg, fnGetKernelInfo,
	fnGetKernelWorkGroupInfo, fnEnqueueNDRangeKernel,
	fnWaitForEvents, fnReleaseEvent, fnGetEventProfilingInfo,
	fnEnqueueMarkerWithWaitList, fnEnqueueBarrierWithWaitList,
}

// libNames lists the libraries Load tries, in order. The empty name stands
// for the symbols already in the process (an OpenCL library linked in or
// preloaded with LD_PRELOAD, as oclgrind does), used only when
// clGetPlatformIDs is found there. Tests override it.
var libNames = defaultLibNames

var loaded struct {
	once sync.Once
	err  error
	name string // the library used; "" before a successful load
}

// Load loads the OpenCL library and resolves its functions. It does the work
// once; later calls return the first call's result. Every function of this
// package that needs OpenCL calls it, so calling it first is needed only to
// check for OpenCL early. Nothing is loaded when the program starts, so a
// program using this package runs on a machine without OpenCL.
//
// When no library can be opened, or one lacks a function this package needs,
// the error wraps [ErrNoOpenCL] and names the libraries tried and why each
// failed.
func Load() error {
	loaded.once.Do(func() {
		var addrs []uintptr
		loaded.name, addrs, loaded.err = load(libNames)
		if loaded.err == nil {
			for i, f := range allFuncs {
				f.addr = addrs[i]
			}
			if wantOneThread() {
				startOneThread()
			}
		}
	})
	return loaded.err
}

// Library returns the name of the loaded OpenCL library ("" for the
// process's own symbols, e.g. under oclgrind), after a successful [Load].
func Library() string { return loaded.name }

// load opens the first library of names that has all required functions and
// returns its name and the addresses of allFuncs, in order.
func load(names []string) (string, []uintptr, error) {
	if sizeofPtr != 8 {
		return "", nil, fmt.Errorf("%w: this package supports 64-bit platforms only", ErrNoOpenCL)
	}
	var tried []string
	for _, name := range names {
		h, err := openLibrary(name)
		if err != nil {
			tried = append(tried, fmt.Sprintf("%s (%v)", displayName(name), err))
			continue
		}
		addrs := make([]uintptr, len(allFuncs))
		var missing []string
		for i, f := range allFuncs {
			addrs[i] = lookup(h, f.name)
			if addrs[i] == 0 && !f.optional {
				missing = append(missing, f.name)
			}
		}
		if len(missing) > 0 {
			closeLibrary(h)
			tried = append(tried, fmt.Sprintf("%s (missing %s)", displayName(name), strings.Join(missing, ", ")))
			continue
		}
		return name, addrs, nil
	}
	if len(tried) == 0 {
		return "", nil, fmt.Errorf("%w: no library names to try", ErrNoOpenCL)
	}
	return "", nil, fmt.Errorf("%w: tried %s", ErrNoOpenCL, strings.Join(tried, "; "))
}

func displayName(name string) string {
	if name == "" {
		return "the process's own symbols"
	}
	return name
}

// available reports an error when an optional function is missing.
func (f *cfunc) available() error {
	if f.addr == 0 {
		return fmt.Errorf("cl: %s is missing from the OpenCL library %s (it needs OpenCL 1.2)", f.name, displayName(loaded.name))
	}
	return nil
}
