package nmf

import "gonum.org/v1/gonum/mat"

// InverseTransform returns W·H.
func InverseTransform[T Float](w, h *Dense[T]) (*Dense[T], error) {
	if w == nil || h == nil {
		return nil, inputErr("W", -1, -1, ErrShape, "missing W or H")
	}
	if w.Cols != h.Rows {
		return nil, inputErr("W", -1, -1, ErrShape, "W is %d×%d and H %d×%d: they do not multiply", w.Rows, w.Cols, h.Rows, h.Cols)
	}
	if len(w.Data) < w.Rows*w.Cols || w.Rows < 0 || w.Cols < 0 {
		return nil, inputErr("W", -1, -1, ErrShape, "%d×%d needs %d values, have %d", w.Rows, w.Cols, w.Rows*w.Cols, len(w.Data))
	}
	if len(h.Data) < h.Rows*h.Cols || h.Rows < 0 || h.Cols < 0 {
		return nil, inputErr("H", -1, -1, ErrShape, "%d×%d needs %d values, have %d", h.Rows, h.Cols, h.Rows*h.Cols, len(h.Data))
	}
	var out mat.Dense
	out.Mul(mat.NewDense(w.Rows, w.Cols, toFloat64(w.Data[:w.Rows*w.Cols])), mat.NewDense(h.Rows, h.Cols, toFloat64(h.Data[:h.Rows*h.Cols])))
	return &Dense[T]{Rows: w.Rows, Cols: h.Cols, Data: fromFloat64[T](out.RawMatrix().Data)}, nil
}

// Divergence returns scikit-learn's _beta_divergence(X, W, H, β) without
// the square root, computed on the CPU; sparse X is not densified.
func Divergence[T Float](x Matrix[T], w, h *Dense[T], beta float64) (float64, error) {
	if _, err := checkData("X", x); err != nil {
		return 0, err
	}
	l, n := x.Dims()
	if w == nil || h == nil {
		return 0, inputErr("W", -1, -1, ErrInvalid, "missing W or H")
	}
	k := w.Cols
	if _, err := checkValues("W", w, l, k); err != nil {
		return 0, err
	}
	if _, err := checkValues("H", h, k, n); err != nil {
		return 0, err
	}
	b, _, err := openBackend(Options{Device: "cpu"}, precisionOf[T]())
	if err != nil {
		return 0, err
	}
	defer b.Close()
	xd, err := b.NewData(x)
	if err != nil {
		return 0, err
	}
	pr := &problem{b: b, x: xd, prec: precisionOf[T](), l: l, n: n, k: k}
	wm, err := pr.matrix(l, k, &Dense[T]{Rows: l, Cols: k, Data: w.Data[:l*k]})
	if err != nil {
		return 0, err
	}
	hm, err := pr.matrix(k, n, &Dense[T]{Rows: k, Cols: n, Data: h.Data[:k*n]})
	if err != nil {
		return 0, err
	}
	return b.Divergence(xd, wm, hm, beta)
}
