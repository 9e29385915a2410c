package cpu

import (
	"testing"

	"github.com/clnmf/clnmf/nmf/backend"
	"github.com/clnmf/clnmf/nmf/backend/backendtest"
)

// TestBoundedBlocks runs the conformance checks with the blocks of W·H that
// the dense update without the kernels and the dense divergence form cut
// down to 1 and 7 entries (so one row or column, or a few, at a time, and
// uneven last blocks), with one worker and with three.
func TestBoundedBlocks(t *testing.T) {
	saved := fusedBlockElems
	defer func() { fusedBlockElems = saved }()
	for _, elems := range []int{1, 7} {
		for _, workers := range []int{1, 3} {
			fusedBlockElems = elems
			newB := func() (backend.Backend, error) {
				return NewWith(Options{BLAS: BLASGo, Workers: workers, NoKernels: true})
			}
			t.Run("", func(t *testing.T) { backendtest.RunQuick(t, newB) })
		}
	}
}
