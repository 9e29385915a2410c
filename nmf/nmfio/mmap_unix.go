//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package nmfio

import (
	"os"
	"syscall"
)

// mapFile maps the first size bytes of f read-only and shared; nil where
// size is 0 or larger than the address space.
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	if size <= 0 || int64(int(size)) != size {
		return nil, nil, nil
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return mem, func() error { return syscall.Munmap(mem) }, nil
}
