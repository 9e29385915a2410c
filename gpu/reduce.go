package gpu

import (
	"github.com/clnmf/clnmf/gpu/cl"
	"github.com/clnmf/clnmf/nmf/backend"
)

// The reductions (reduce.cl): per-work-group partial sums on the device,
// added in float64 on the host.

// dot returns Σ a[e]·c[e] (Σ a[e] when c is nil) over e < n, summed per
// work-group on the device and over the groups here.
func (b *Backend) dot(p backend.Precision, n int64, a, c *cl.Buffer) (float64, error) {
	if n == 0 {
		return 0, nil
	}
	g := b.groups(n, b.kp.elem.wg)
	part, err := b.partialBuf(g)
	if err != nil {
		return 0, err
	}
	one := flag(c == nil)
	if c == nil {
		c = a
	}
	if err := b.launch(p, "dot_partials", []int{g * b.kp.elem.wg}, []int{b.kp.elem.wg}, n, a, c, one, part); err != nil {
		return 0, err
	}
	return b.sumPartials(part, g)
}

// groups is the number of work-groups a grid-stride reduction over n items
// uses: enough to fill the device, at most 1024.
func (b *Backend) groups(n int64, per int) int {
	g := (n + int64(per) - 1) / int64(per)
	limit := int64(8 * b.dev.ComputeUnits)
	if limit < 16 {
		limit = 16
	}
	if limit > 1024 {
		limit = 1024
	}
	if g > limit {
		g = limit
	}
	if g < 1 {
		g = 1
	}
	return int(g)
}

// partialBuf returns the scratch buffer for g partial sums.
func (b *Backend) partialBuf(g int) (*cl.Buffer, error) {
	return b.scratchBuf("partial", int64(g)*b.accSize())
}

func (b *Backend) accSize() int64 {
	if b.acc64 {
		return 8
	}
	return 4
}

// sumPartials reads the first g partial sums and adds them in float64.
func (b *Backend) sumPartials(buf *cl.Buffer, g int) (float64, error) {
	var s float64
	if b.acc64 {
		v := make([]float64, g)
		if err := cl.Read(b.q, buf, 0, v); err != nil {
			return 0, err
		}
		for _, x := range v {
			s += x
		}
		return s, nil
	}
	v := make([]float32, g)
	if err := cl.Read(b.q, buf, 0, v); err != nil {
		return 0, err
	}
	for _, x := range v {
		s += float64(x)
	}
	return s, nil
}

// Sums returns Σ m and Σ m² (see backend.Backend): two passes of
// dot_partials, summed in acc (double where the device has it) per
// work-group and in float64 over the groups.
func (b *Backend) Sums(m backend.Matrix) (sum, sumSq float64, err error) {
	mm := b.mat("Sums", m)
	if b.closed {
		return 0, 0, b.wrap("Sums", errClosed)
	}
	n := int64(mm.len())
	if sum, err = b.dot(mm.prec, n, mm.buf, nil); err != nil {
		return 0, 0, b.wrap("Sums", err)
	}
	if sumSq, err = b.dot(mm.prec, n, mm.buf, mm.buf); err != nil {
		return 0, 0, b.wrap("Sums", err)
	}
	return sum, sumSq, nil
}
