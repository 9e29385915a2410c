package nmf

import "context"

// Transform solves for one factor of X with the other held fixed, as
// scikit-learn's NMF.transform. With opt.Hold = HoldH (the zero value) fixed
// is H (k×n) and W (l×k) is solved for: the rows of X are new samples. With
// HoldW fixed is W (l×k) and H (k×n) is solved for: the columns of X are
// new samples, the same as scikit-learn's transform of Xᵀ with components
// Wᵀ (up to rounding). The solved factor starts at sqrt(mean(X)/k) for the
// multiplicative update and at zero for coordinate descent, and takes its
// own penalty (AlphaW for W, AlphaH for H); the solver, loss, MaxIter and
// Tol are those of opt. The Result holds a copy of fixed.
func Transform[T Float](ctx context.Context, x Matrix[T], fixed *Dense[T], opt Options) (*Result[T], error) {
	hasZero, err := checkData("X", x)
	if err != nil {
		return nil, err
	}
	l, n := x.Dims()
	holdW, k, err := checkHeld(l, n, fixed, opt)
	if err != nil {
		return nil, err
	}
	opt.Components, opt.Init = k, InitCustom
	p, err := resolveFor[T](l, n, opt, hasZero)
	if err != nil {
		return nil, err
	}
	if err := checkFitMemory(x, opt); err != nil {
		return nil, err
	}
	init := func(*problem) (*Dense[T], *Dense[T], error) {
		sr, sc := l, k
		if holdW {
			sr, sc = k, n
		}
		s := &Dense[T]{Rows: sr, Cols: sc, Data: make([]T, sr*sc)}
		if p.Solver == MU {
			avg := avgOf(meanOf(x), k)
			for i := range s.Data {
				s.Data[i] = avg
			}
		}
		if holdW {
			return fixed, s, nil
		}
		return s, fixed, nil
	}
	return run(ctx, x, opt, p, init, !holdW, holdW, nil)
}

// checkHeld checks the factor Transform holds for an l×n X and returns
// whether it is W, and k.
func checkHeld[T Float](l, n int, fixed *Dense[T], opt Options) (holdW bool, k int, err error) {
	if opt.Hold != HoldH && opt.Hold != HoldW {
		return false, 0, invalid("Hold", "%d; want HoldH or HoldW", int(opt.Hold))
	}
	name, holdW := opt.Hold.String(), opt.Hold == HoldW
	if fixed == nil {
		return false, 0, inputErr(name, -1, -1, ErrInvalid, "missing")
	}
	k, rows, cols := fixed.Rows, fixed.Rows, n
	if holdW {
		k, rows, cols = fixed.Cols, l, fixed.Cols
		if fixed.Rows != l || k < 1 {
			return false, 0, inputErr(name, -1, -1, ErrShape, "is %d×%d; want %d×k with k ≥ 1 (X has %d rows)", fixed.Rows, fixed.Cols, l, l)
		}
	} else if fixed.Cols != n || k < 1 {
		return false, 0, inputErr(name, -1, -1, ErrShape, "is %d×%d; want k×%d with k ≥ 1 (X has %d columns)", fixed.Rows, fixed.Cols, n, n)
	}
	if opt.Components != 0 && opt.Components != k {
		return false, 0, invalid("Components", "%d, but %s has k = %d", opt.Components, name, k)
	}
	if _, err := checkFactor(name, fixed, rows, cols); err != nil {
		return false, 0, err
	}
	return holdW, k, nil
}
