package gpu

import "github.com/clnmf/clnmf/nmf/backend"

// ReleaseData releases the device buffers of x (dense, or CSR with its
// transpose) before Close, for minibatch fits that load X a batch at a time.
// x must not be used afterwards; releasing it twice is harmless.
func (b *Backend) ReleaseData(x backend.Data) error {
	d := b.dat("ReleaseData", x)
	if d.stage != nil {
		return b.releaseStaged(d)
	}
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = b.wrap("ReleaseData", err)
		}
	}
	keep(d.x.Close())
	for _, s := range []*csr{d.sp, d.spT} {
		if s != nil {
			keep(s.ptr.Close())
			keep(s.idx.Close())
			keep(s.rowidx.Close())
			keep(s.val.Close())
		}
	}
	return first
}

// ReleaseMatrix releases m's device buffer before Close. m must not be used
// afterwards; releasing it twice is harmless. Work already queued on it
// completes (OpenCL frees the buffer once no command uses it).
func (b *Backend) ReleaseMatrix(m backend.Matrix) error {
	mm := b.mat("ReleaseMatrix", m)
	if b.ht.src == mm { // hT's copy of it goes too
		b.ht = htCache{}
	}
	if err := mm.buf.Close(); err != nil {
		return b.wrap("ReleaseMatrix", err)
	}
	return nil
}
