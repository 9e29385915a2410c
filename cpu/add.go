package cpu

import (
	"fmt"

	"github.com/clnmf/clnmf/nmf/backend"
)

// Add sets dst += src (backend.Adder).
func (b *Backend) Add(dst, src backend.Matrix) error {
	switch d := dst.(type) {
	case *matrix[float64]:
		addInto(d, src)
	case *matrix[float32]:
		addInto(d, src)
	default:
		panic(foreign("Add", dst))
	}
	return nil
}

func addInto[T backend.Float](d *matrix[T], src backend.Matrix) {
	s, ok := src.(*matrix[T])
	if !ok {
		panic(foreign("Add", src))
	}
	if s.rows != d.rows || s.cols != d.cols {
		panic(fmt.Sprintf("backend: cpu: Add: src is %d×%d, dst %d×%d", s.rows, s.cols, d.rows, d.cols))
	}
	for i, v := range s.data {
		d.data[i] += v
	}
}
