package nmf

import (
	"context"
	"errors"
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

// share is this process's share of the whole X of a distributed fit: its
// rows lo..lo+l of the whole X's rows (lo 0 and rows l for one process),
// or with cols its columns lo..lo+n of the whole X's columns.
type share struct {
	lo, rows int
	cols     bool
}

// whole is the whole X's shape for this process's l×n part.
func (pt share) whole(l, n int) (int, int) {
	if pt.cols {
		return l, pt.rows
	}
	return pt.rows, n
}

// partOf is wholeRows for a distributed fit (c not nil); for one process
// the part is all of X's l rows.
func partOf(c Comm, l int, hasZero bool) (share, bool, error) {
	if c == nil {
		return share{rows: l}, hasZero, nil
	}
	return wholeRows(c, l, hasZero)
}

// wholeRows returns this process's part of the whole X of a distributed
// fit, its rows l given, and whether any process's rows hold a zero: the
// processes' row counts (summed in rank order, so the part is where this
// rank's rows lie) and zero flags summed over c.
func wholeRows(c Comm, l int, hasZero bool) (share, bool, error) {
	size, rank := c.Size(), c.Rank()
	v := make([]float64, size+1)
	v[rank] = float64(l)
	if hasZero {
		v[size] = 1
	}
	if err := c.SumFloat64(v); err != nil {
		return share{}, false, fmt.Errorf("nmf: summing over the processes: %w", err)
	}
	pt := share{}
	for r, rows := range v[:size] {
		if r < rank {
			pt.lo += int(rows)
		}
		pt.rows += int(rows)
	}
	return pt, v[size] > 0, nil
}

// ErrPeerStopped is wrapped by the error of a process of a distributed fit
// that stopped because another process was cancelled: every process stops
// at the same iteration (errors.Is context.Canceled too).
var ErrPeerStopped = fmt.Errorf("another process of the distributed fit was interrupted: %w", context.Canceled)

// cancelled is ctx's error at the start of an iteration. In a distributed
// fit a flag is summed over the processes, so that all of them stop at the
// same iteration, those whose context is live with ErrPeerStopped.
func (pr *problem) cancelled(ctx context.Context) error {
	err := ctx.Err()
	if pr.comm == nil {
		return err
	}
	flag := 0.0
	if err != nil {
		flag = 1
	}
	any, serr := commScalar(pr.comm, flag)
	switch {
	case serr != nil:
		return serr
	case any == 0 || err != nil:
		return err
	}
	return ErrPeerStopped
}

// stopped says whether cancelled's error is a stop (the state is a
// checkpoint), not a failure to agree on one.
func stopped(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
