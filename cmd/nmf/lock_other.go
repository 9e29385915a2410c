//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package main

// Where flock(2) is missing (Windows, Solaris, Plan 9) folders are not
// locked: two runs committing to one --out at the same moment are not
// told apart, and staging folders left by dead runs stay (they are named
// OUT.tmp-XXXXXXXX and can be removed by hand).

type dirLock struct{}

// staleKnown says whether a staging folder nobody holds is known to be stale.
const staleKnown = false

func lockDir(string) (*dirLock, error) { return &dirLock{}, nil }

func tryLockDir(string) (*dirLock, bool, error) { return &dirLock{}, true, nil }

func (*dirLock) unlock() {}
