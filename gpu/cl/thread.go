package cl

import (
	"os"
	"runtime"
	"strings"
)

// oneThreadEnv, set to 1, makes every OpenCL call go through one OS thread.
// That is the default when LD_PRELOAD holds oclgrind: its --uninitialized
// plugin keeps state in thread-local storage of the thread that created the
// context, and crashes when called from another, while goroutines move
// between threads from one call to the next.
const oneThreadEnv = "CLNMF_CL_ONE_THREAD"

// oneThread receives the calls to run on the dedicated thread; nil when
// calls run on the caller's thread.
var oneThread chan *threadCall

type threadCall struct {
	fn   uintptr
	args []uintptr
	r    uintptr
	done chan struct{}
}

// wantOneThread reports whether the environment asks for one thread.
func wantOneThread() bool {
	switch os.Getenv(oneThreadEnv) {
	case "1", "true":
		return true
	case "0", "false":
		return false
	}
	return strings.Contains(os.Getenv("LD_PRELOAD"), "oclgrind")
}

// startOneThread starts the goroutine, locked to its OS thread, that runs
// the calls sent on oneThread. It runs once, from Load, before any call.
func startOneThread() {
	ch := make(chan *threadCall)
	go func() {
		runtime.LockOSThread()
		for c := range ch {
			c.r = syscallN(c.fn, c.args)
			close(c.done)
		}
	}()
	oneThread = ch
}

// callOnThread runs a call on the dedicated thread and waits for it. The
// caller (ccall) keeps the memory its arguments point to alive until then.
func callOnThread(fn uintptr, args []uintptr) uintptr {
	c := &threadCall{fn: fn, args: append([]uintptr(nil), args...), done: make(chan struct{})}
	oneThread <- c
	<-c.done
	return c.r
}
