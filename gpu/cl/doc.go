// Package cl is a thin binding of the OpenCL 1.2 C API, enough to run
// compute kernels: platforms and devices, a context with one in-order
// command queue, buffers and their transfers, programs built from source,
// and kernels.
//
// # Loading at run time
//
// The package uses no cgo: the OpenCL library is opened with dlopen (through
// github.com/ebitengine/purego) on first use, once, by [Load], which every
// function that needs OpenCL calls. Nothing is loaded when the program
// starts, so a program built with CGO_ENABLED=0 runs on a machine without
// OpenCL and finds out only when it asks: the error then wraps
// [ErrNoOpenCL]. On Linux the library is libOpenCL.so.1, else libOpenCL.so
// (normally the ICD loader, which finds the drivers through
// /etc/OpenCL/vendors or OCL_ICD_VENDORS); on macOS it is the OpenCL
// framework. When the process already holds the OpenCL symbols, preloaded
// (LD_PRELOAD, as the oclgrind wrapper does) or linked in, those are used.
// Only 64-bit platforms are supported.
//
// # Ownership and Close
//
// [Platform] and [Device] values need no closing. A [Context] owns its
// [Queue] and every [Buffer], [Program] and [Kernel] created from it:
// closing the context waits for the queue, then releases them all in
// reverse order of creation and the context last. Buffers, programs and
// kernels may also be closed one by one before that, e.g. to free device
// memory. Every Close is idempotent; any other method of a closed object
// returns an error wrapping [ErrClosed] and never crashes.
//
// # Memory and concurrency
//
// [Write] and [Read] are blocking, so OpenCL never keeps a pointer to Go
// memory after a call returns. [Queue.Fill], [Queue.Copy] and [Queue.Run]
// only enqueue; they run in order on the context's queue. A context's
// methods are safe for concurrent use (commands go to the queue one at a
// time); a kernel's arguments are state kept between launches, so use
// [Queue.Launch] to set them and launch at once when several goroutines
// share a kernel.
//
// # Oclgrind
//
// Run a test binary under the oclgrind simulator with its wrapper, as
// "go test -exec 'oclgrind --check-api --data-races --uninitialized --log
// FILE' ./pkg": the wrapper preloads liboclgrind-rt.so, whose symbols Load
// then finds in the process, so the only platform is Oclgrind. oclgrind
// exits 0 even when it reports faults; FILE is empty when it reported none.
// Under oclgrind (LD_PRELOAD naming it), or with CLNMF_CL_ONE_THREAD=1, all
// OpenCL calls run on one locked OS thread, as oclgrind's --uninitialized
// plugin needs; CLNMF_CL_ONE_THREAD=0 turns that off.
//
// Errors of OpenCL calls are *[Error] values (the call and its status code,
// see [StatusName]); a failed build is a *[BuildError] with the compiler's
// log.
package cl
