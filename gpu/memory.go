package gpu

import "github.com/clnmf/clnmf/nmf/backend"

// MemoryLimits returns the device's largest single allocation and its
// memory, the cap (SetMemoryCap) when that is smaller.
func (b *Backend) MemoryLimits() (maxAlloc, memory int64) {
	memory = b.dev.GlobalMem
	if b.memCap > 0 && b.memCap < memory {
		memory = b.memCap
	}
	maxAlloc = min(b.dev.MaxAlloc, memory)
	if b.allocCap > 0 {
		maxAlloc = min(maxAlloc, b.allocCap)
	}
	return maxAlloc, memory
}

// SetMemoryCap makes the backend plan its scratch (the fused or
// materialised dense update) as if the device had bytes of memory; 0
// removes the cap.
func (b *Backend) SetMemoryCap(bytes int64) { b.memCap = max(bytes, 0) }

// memory is the device's memory as the backend may use it.
func (b *Backend) memory() int64 {
	_, m := b.MemoryLimits()
	return m
}

// Add sets dst += src, on the device: both are copied side by side into
// scratch and summed by gemm_slices, the kernel that adds split-K slices.
func (b *Backend) Add(dst, src backend.Matrix) error {
	d, s := b.mat("Add", dst), b.mat("Add", src)
	precCheck("Add", d.prec, s)
	shapeCheck("Add", "src", s, d.rows, d.cols)
	noAlias("Add", d, s)
	if b.closed {
		return b.wrap("Add", errClosed)
	}
	d.written()
	if d.len() == 0 {
		return nil
	}
	bytes := int64(d.len()) * int64(d.prec.Size())
	pair, err := b.scratchBuf("add", 2*bytes)
	if err != nil {
		return b.wrap("Add", err)
	}
	if err := b.q.Copy(d.buf, pair, 0, 0, bytes); err != nil {
		return b.wrap("Add", err)
	}
	if err := b.q.Copy(s.buf, pair, 0, bytes, bytes); err != nil {
		return b.wrap("Add", err)
	}
	if err := b.launch(d.prec, "gemm_slices", []int{d.len()}, []int{b.kp.elem.wg},
		int32(d.len()), int32(2), pair, d.buf); err != nil {
		return b.wrap("Add", err)
	}
	return nil
}
