package nmf

import (
	"fmt"

	"github.com/clnmf/clnmf/nmf/backend"
)

// Comm joins the processes of a distributed fit (Options.Comm; package
// nmf/mpi provides one over MPI). Every process calls the methods in the
// same order.
type Comm interface {
	// Rank is this process's number, 0..Size()−1.
	Rank() int
	Size() int
	// SumFloat64 and SumFloat32 replace v, on every process, by the sum
	// over the processes of their v: the same values on every process.
	SumFloat64(v []float64) error
	SumFloat32(v []float32) error
}

// commSum sums the host matrix m over the processes of c (nothing when c is
// nil).
func commSum(c Comm, m backend.HostMatrix) error {
	if c == nil {
		return nil
	}
	var err error
	switch d := m.(type) {
	case *Dense[float32]:
		err = c.SumFloat32(d.Data)
	case *Dense[float64]:
		err = c.SumFloat64(d.Data)
	default:
		err = fmt.Errorf("a %T", m)
	}
	if err != nil {
		return fmt.Errorf("nmf: summing over the processes: %w", err)
	}
	return nil
}

// commScalar is v summed over the processes of c.
func commScalar(c Comm, v float64) (float64, error) {
	if c == nil {
		return v, nil
	}
	s := []float64{v}
	if err := c.SumFloat64(s); err != nil {
		return 0, fmt.Errorf("nmf: summing over the processes: %w", err)
	}
	return s[0], nil
}

// wholeRows is the number of rows of the whole X of a distributed fit, and
// whether any process's rows hold a zero.
func wholeRows(c Comm, l int, hasZero bool) (int, bool, error) {
	v := []float64{float64(l), 0}
	if hasZero {
		v[1] = 1
	}
	if err := c.SumFloat64(v); err != nil {
		return 0, false, fmt.Errorf("nmf: summing over the processes: %w", err)
	}
	return int(v[0]), v[1] > 0, nil
}
