//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package main

import (
	"errors"
	"os"
	"syscall"
)

// dirLock is an flock(2) lock on a folder: advisory, between runs of nmf,
// and dropped by the system when its process ends however it ends.
type dirLock struct{ f *os.File }

// staleKnown says whether a staging folder nobody holds is known to be
// stale: its run is gone, since a living one holds its lock.
const staleKnown = true

// lockDir waits for the exclusive lock of the folder path.
func lockDir(path string) (*dirLock, error) {
	l, ok, err := flockDir(path, syscall.LOCK_EX)
	if err == nil && !ok {
		err = errors.New("not locked")
	}
	return l, err
}

// tryLockDir takes the exclusive lock of the folder path if nobody holds
// it; ok is false when somebody does.
func tryLockDir(path string) (*dirLock, bool, error) {
	return flockDir(path, syscall.LOCK_EX|syscall.LOCK_NB)
}

func flockDir(path string, how int) (*dirLock, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if errors.Is(err, syscall.EWOULDBLOCK) {
		f.Close()
		return nil, false, nil
	}
	if err != nil {
		f.Close()
		return nil, false, &os.PathError{Op: "flock", Path: path, Err: err}
	}
	return &dirLock{f}, true, nil
}

// unlock drops the lock; harmless on nil.
func (l *dirLock) unlock() {
	if l != nil && l.f != nil {
		l.f.Close()
		l.f = nil
	}
}
