package nmf_test

// Every bad input to Fit, Transform, Divergence and InverseTransform is a
// returned error, never a panic: an *nmf.InputError that errors.Is the
// right sentinel, names the argument and, for a bad value, its position
// as Arg[i,j]. A fit that breaks down numerically is an
// *nmf.IterationError wrapping nmf.ErrDiverged that names the iteration.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/cpu"
	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/backend"
	"github.com/clnmf/clnmf/nmf/nmftest"
)

// badCase is one bad input and the error it must give.
type badCase struct {
	name     string
	call     func() error
	want     error  // the sentinel
	arg      string // InputError.Arg
	row, col int    // InputError.Row, Col: the position, or -1
	msg      string // a substring the message must hold, or ""
}

// anyRow as badCase.row leaves InputError.Row and Col unchecked: for a
// malformed CSR structure the library may name the row in Row.
const anyRow = -2

// checkBad runs c.call with panics recovered and checks the error.
func checkBad(t *testing.T, c badCase) {
	t.Helper()
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("PANIC: %v", p)
			}
		}()
		return c.call()
	}()
	if err == nil {
		t.Errorf("%s: no error, want %v", c.name, c.want)
		return
	}
	if strings.HasPrefix(err.Error(), "PANIC") {
		t.Errorf("%s: %v; want an error wrapping %q", c.name, err, c.want)
		return
	}
	if !errors.Is(err, c.want) {
		t.Errorf("%s: %v; want errors.Is %q", c.name, err, c.want)
	}
	var ie *nmf.InputError
	if !errors.As(err, &ie) {
		t.Errorf("%s: %v (%T) is not an *nmf.InputError", c.name, err, err)
		return
	}
	if ie.Arg != c.arg || (c.row != anyRow && (ie.Row != c.row || ie.Col != c.col)) {
		t.Errorf("%s: InputError{Arg %q, Row %d, Col %d}, want {%q, %d, %d}: %v", c.name, ie.Arg, ie.Row, ie.Col, c.arg, c.row, c.col, err)
	}
	where := c.arg + ":"
	if c.row >= 0 && c.col >= 0 {
		where = fmt.Sprintf("%s[%d,%d]", c.arg, c.row, c.col)
	}
	if !strings.Contains(err.Error(), where) {
		t.Errorf("%s: message %q does not name %s", c.name, err, where)
	}
	if c.msg != "" && !strings.Contains(err.Error(), c.msg) {
		t.Errorf("%s: message %q does not say %q", c.name, err, c.msg)
	}
}

// positive returns an r×c matrix with entries in [0.1, ∞), no zeros.
func positive(seed uint64, r, c int) *nmf.Dense[float64] {
	d := absNormal(seed, r, c)
	for i := range d.Data {
		d.Data[i] += 0.1
	}
	return d
}

// with returns a copy of d with entry (i, j) set to v.
func with(d *nmf.Dense[float64], i, j int, v float64) *nmf.Dense[float64] {
	c := clone(d)
	c.Data[i*d.Cols+j] = v
	return c
}

// fitErr runs Fit on x with o changed by f and returns its error.
// fitFromErr is fitErr for FitFrom(x, w0, h0).
func fitFromErr[T nmf.Float](x nmf.Matrix[T], w0, h0 *nmf.Dense[T], f func(*nmf.Options)) func() error {
	return func() error {
		o := cpuOptions()
		o.Components = 2
		if f != nil {
			f(&o)
		}
		_, err := nmf.FitFrom(bg, x, w0, h0, o)
		return err
	}
}

func fitErr[T nmf.Float](x nmf.Matrix[T], f func(*nmf.Options)) func() error {
	return func() error {
		o := cpuOptions()
		o.Components = 2
		if f != nil {
			f(&o)
		}
		_, err := nmf.Fit(bg, x, o)
		return err
	}
}

// TestBadX: negative, NaN and infinite entries of X, dense and sparse, are
// reported with their position; empty matrices and short data too.
func TestBadX(t *testing.T) {
	x := positive(1, 4, 5)
	nan, inf := math.NaN(), math.Inf(1)
	cases := []badCase{
		{"negative", fitErr[float64](with(x, 1, 2, -0.5), nil), nmf.ErrNegative, "X", 1, 2, "-0.5"},
		{"negative zero is zero", nil, nil, "", 0, 0, ""},
		{"NaN", fitErr[float64](with(x, 2, 0, nan), nil), nmf.ErrNotFinite, "X", 2, 0, "NaN"},
		{"+Inf", fitErr[float64](with(x, 3, 4, inf), nil), nmf.ErrNotFinite, "X", 3, 4, "+Inf"},
		{"-Inf", fitErr[float64](with(x, 0, 1, -inf), nil), nmf.ErrNotFinite, "X", 0, 1, "-Inf"},
		{"CSR negative", fitErr[float64](nmftest.ToCSR(with(x, 1, 2, -0.5)), nil), nmf.ErrNegative, "X", 1, 2, ""},
		{"CSR NaN", fitErr[float64](nmftest.ToCSR(with(x, 2, 3, nan)), nil), nmf.ErrNotFinite, "X", 2, 3, ""},
		{"CSR +Inf", fitErr[float64](nmftest.ToCSR(with(x, 3, 1, inf)), nil), nmf.ErrNotFinite, "X", 3, 1, ""},
		{"float32 NaN", fitErr[float32](convert[float32](with(x, 2, 2, nan)), nil), nmf.ErrNotFinite, "X", 2, 2, ""},
		{"float32 negative CSR", fitErr[float32](nmftest.ToCSR(convert[float32](with(x, 0, 4, -1))), nil), nmf.ErrNegative, "X", 0, 4, ""},
		{"0 rows", fitErr[float64](&nmf.Dense[float64]{Rows: 0, Cols: 5}, nil), nmf.ErrEmpty, "X", -1, -1, "0×5"},
		{"0 columns", fitErr[float64](&nmf.Dense[float64]{Rows: 4, Cols: 0}, nil), nmf.ErrEmpty, "X", -1, -1, "4×0"},
		{"0×0", fitErr[float64](&nmf.Dense[float64]{}, nil), nmf.ErrEmpty, "X", -1, -1, ""},
		{"negative rows", fitErr[float64](&nmf.Dense[float64]{Rows: -1, Cols: 5}, nil), nmf.ErrEmpty, "X", -1, -1, ""},
		{"CSR 0 rows", fitErr[float64](&nmf.CSR[float64]{Rows: 0, Cols: 5, Indptr: []int{0}}, nil), nmf.ErrEmpty, "X", -1, -1, ""},
		{"CSR 0 columns", fitErr[float64](&nmf.CSR[float64]{Rows: 2, Cols: 0, Indptr: []int{0, 0, 0}}, nil), nmf.ErrEmpty, "X", -1, -1, ""},
		{"short data", fitErr[float64](&nmf.Dense[float64]{Rows: 4, Cols: 5, Data: make([]float64, 19)}, nil), nmf.ErrShape, "X", -1, -1, "20"},
	}
	for _, c := range cases {
		if c.call == nil {
			continue
		}
		checkBad(t, c)
	}
	// −0 is a zero, not a negative value.
	if err := fitErr[float64](with(x, 1, 1, math.Copysign(0, -1)), nil)(); err != nil {
		t.Errorf("X with −0: %v", err)
	}
	// Transform and Divergence check X the same way.
	h := positive(2, 2, 5)
	checkBad(t, badCase{"Transform negative", func() error {
		_, err := nmf.Transform(bg, with(x, 3, 3, -2), h, cpuOptions())
		return err
	}, nmf.ErrNegative, "X", 3, 3, ""})
	checkBad(t, badCase{"Transform CSR NaN", func() error {
		_, err := nmf.Transform[float64](bg, nmftest.ToCSR(with(x, 1, 4, nan)), h, cpuOptions())
		return err
	}, nmf.ErrNotFinite, "X", 1, 4, ""})
	checkBad(t, badCase{"Divergence +Inf", func() error {
		_, err := nmf.Divergence[float64](with(x, 0, 0, inf), positive(3, 4, 2), h, 1)
		return err
	}, nmf.ErrNotFinite, "X", 0, 0, ""})
}

// TestBadOptions: every option out of its range is an ErrInvalid naming
// the option.
func TestBadOptions(t *testing.T) {
	x := positive(1, 4, 5)
	withZero := with(x, 2, 3, 0)
	nan := math.NaN()
	cases := []badCase{
		{"Components < 0", fitErr[float64](x, func(o *nmf.Options) { o.Components = -1 }), nmf.ErrInvalid, "Components", -1, -1, "-1"},
		{"MaxIter < 0", fitErr[float64](x, func(o *nmf.Options) { o.MaxIter = -2 }), nmf.ErrInvalid, "MaxIter", -1, -1, ""}, // -1 is NoIterations
		{"Tol < 0", fitErr[float64](x, func(o *nmf.Options) { o.Tol = -1e-4 }), nmf.ErrInvalid, "Tol", -1, -1, ""},
		{"Seed ≥ 2³²", fitErr[float64](x, func(o *nmf.Options) { o.Seed = 1 << 32 }), nmf.ErrInvalid, "Seed", -1, -1, "2³²"},
		{"SVD unknown", fitErr[float64](x, func(o *nmf.Options) { o.SVD = "lanczos" }), nmf.ErrInvalid, "SVD", -1, -1, "lanczos"},
		{"Tol NaN", fitErr[float64](x, func(o *nmf.Options) { o.Tol = nan }), nmf.ErrInvalid, "Tol", -1, -1, ""},
		{"L1Ratio < 0", fitErr[float64](x, func(o *nmf.Options) { o.L1Ratio = -0.1 }), nmf.ErrInvalid, "L1Ratio", -1, -1, ""},
		{"L1Ratio > 1", fitErr[float64](x, func(o *nmf.Options) { o.L1Ratio = 1.5 }), nmf.ErrInvalid, "L1Ratio", -1, -1, ""},
		{"L1Ratio NaN", fitErr[float64](x, func(o *nmf.Options) { o.L1Ratio = nan }), nmf.ErrInvalid, "L1Ratio", -1, -1, ""},
		{"AlphaW < 0", fitErr[float64](x, func(o *nmf.Options) { o.AlphaW = -1 }), nmf.ErrInvalid, "AlphaW", -1, -1, ""},
		{"AlphaW NaN", fitErr[float64](x, func(o *nmf.Options) { o.AlphaW = nan }), nmf.ErrInvalid, "AlphaW", -1, -1, ""},
		{"AlphaW +Inf", fitErr[float64](x, func(o *nmf.Options) { o.AlphaW = math.Inf(1) }), nmf.ErrInvalid, "AlphaW", -1, -1, ""},
		{"AlphaH < 0", fitErr[float64](x, func(o *nmf.Options) { o.AlphaH = ptr(-0.5) }), nmf.ErrInvalid, "AlphaH", -1, -1, ""},
		{"AlphaH NaN", fitErr[float64](x, func(o *nmf.Options) { o.AlphaH = ptr(nan) }), nmf.ErrInvalid, "AlphaH", -1, -1, ""},
		{"unknown solver", fitErr[float64](x, func(o *nmf.Options) { o.Solver = "als" }), nmf.ErrInvalid, "Solver", -1, -1, "als"},
		{"unknown init", fitErr[float64](x, func(o *nmf.Options) { o.Init = "svd" }), nmf.ErrInvalid, "Init", -1, -1, "svd"},
		{"β NaN", fitErr[float64](x, func(o *nmf.Options) { o.Loss = nmf.Beta(nan) }), nmf.ErrInvalid, "Loss", -1, -1, ""},
		{"β +Inf", fitErr[float64](x, func(o *nmf.Options) { o.Loss = nmf.Beta(math.Inf(1)) }), nmf.ErrInvalid, "Loss", -1, -1, ""},
		{"unknown device", fitErr[float64](x, func(o *nmf.Options) { o.Device = "tpu" }), nmf.ErrInvalid, "Device", -1, -1, "tpu"},
		{"cd with KL", fitErr[float64](x, func(o *nmf.Options) { o.Solver, o.Loss = nmf.CD, nmf.KullbackLeibler }), nmf.ErrInvalid, "Solver", -1, -1, ""},
		{"cd with β = 1.5", fitErr[float64](x, func(o *nmf.Options) { o.Solver, o.Loss = nmf.CD, nmf.Beta(1.5) }), nmf.ErrInvalid, "Solver", -1, -1, ""},
		{"IS with a zero", fitErr[float64](withZero, func(o *nmf.Options) { o.Loss = nmf.ItakuraSaito }), nmf.ErrZeros, "X", -1, -1, ""},
		{"β < 0 with a zero", fitErr[float64](withZero, func(o *nmf.Options) { o.Loss = nmf.Beta(-0.5) }), nmf.ErrZeros, "X", -1, -1, ""},
		{"IS with implicit zeros", fitErr[float64](nmftest.ToCSR(withZero), func(o *nmf.Options) { o.Loss = nmf.ItakuraSaito }), nmf.ErrZeros, "X", -1, -1, ""},
		{"IS with an explicit zero", fitErr[float64](explicitZero(x), func(o *nmf.Options) { o.Loss = nmf.ItakuraSaito }), nmf.ErrZeros, "X", -1, -1, ""},
		{"float32 IS with a zero", fitErr[float32](convert[float32](withZero), func(o *nmf.Options) { o.Loss = nmf.ItakuraSaito }), nmf.ErrZeros, "X", -1, -1, ""},
	}
	for _, init := range []nmf.Init{nmf.InitNNDSVD, nmf.InitNNDSVDA, nmf.InitNNDSVDAR} {
		cases = append(cases, badCase{fmt.Sprintf("%s with k > min(l, n)", init),
			fitErr[float64](x, func(o *nmf.Options) { o.Init, o.Components = init, 5 }), nmf.ErrInvalid, "Init", -1, -1, "4"})
	}
	for _, c := range cases {
		checkBad(t, c)
	}
	// The zero check looks at zeros only: a positive X, dense or fully
	// stored CSR, is fine with β ≤ 0; and β ≤ 0 is fine with zeros in
	// nothing but W0 and H0.
	for _, xm := range []nmf.Matrix[float64]{x, nmftest.ToCSR(x)} {
		if err := fitErr(xm, func(o *nmf.Options) { o.Loss, o.MaxIter = nmf.ItakuraSaito, 20 })(); err != nil {
			t.Errorf("IS on a positive %T: %v", xm, err)
		}
	}
	// A backend that cannot be opened: its error, wrapped.
	errNoDevice := errors.New("no such device")
	err := fitErr[float64](x, func(o *nmf.Options) {
		o.Backend = func() (backend.Backend, error) { return nil, errNoDevice }
	})()
	if !errors.Is(err, errNoDevice) {
		t.Errorf("failing Backend: %v, want it wrapped", err)
	}
}

// explicitZero returns x as CSR with every entry stored and X[1,1] an
// explicitly stored 0.
func explicitZero(x *nmf.Dense[float64]) *nmf.CSR[float64] {
	s := &nmf.CSR[float64]{Rows: x.Rows, Cols: x.Cols, Indptr: make([]int, x.Rows+1)}
	for p, v := range x.Data {
		if p == x.Cols+1 {
			v = 0
		}
		s.Indices = append(s.Indices, p%x.Cols)
		s.Data = append(s.Data, v)
		s.Indptr[p/x.Cols+1] = len(s.Data)
	}
	return s
}

// TestBadFactors: custom W0 and H0 of the wrong shape, negative,
// non-finite, all zero or missing. (Their precision and kind are X's by
// type: FitFrom takes *Dense[T].)
func TestBadFactors(t *testing.T) {
	x := positive(1, 4, 5) // k = 2: W0 4×2, H0 2×5
	w0, h0 := positive(2, 4, 2), positive(3, 2, 5)
	custom := func(w, h *nmf.Dense[float64]) func() error {
		return fitFromErr[float64](x, w, h, func(o *nmf.Options) { o.Init = nmf.InitCustom })
	}
	zero := func(r, c int) *nmf.Dense[float64] {
		return &nmf.Dense[float64]{Rows: r, Cols: c, Data: make([]float64, r*c)}
	}
	cases := []badCase{
		{"W0 shape", custom(positive(2, 4, 3), h0), nmf.ErrShape, "W0", -1, -1, "4×2"},
		{"W0 transposed", custom(positive(2, 2, 4), h0), nmf.ErrShape, "W0", -1, -1, ""},
		{"H0 shape", custom(w0, positive(3, 2, 4)), nmf.ErrShape, "H0", -1, -1, "2×5"},
		{"W0 short data", custom(&nmf.Dense[float64]{Rows: 4, Cols: 2, Data: []float64{1}}, h0), nmf.ErrShape, "W0", -1, -1, ""},
		{"W0 negative", custom(with(w0, 3, 1, -1e-9), h0), nmf.ErrNegative, "W0", 3, 1, ""},
		{"H0 negative", custom(w0, with(h0, 1, 4, -2)), nmf.ErrNegative, "H0", 1, 4, ""},
		{"W0 NaN", custom(with(w0, 0, 1, math.NaN()), h0), nmf.ErrNotFinite, "W0", 0, 1, ""},
		{"H0 +Inf", custom(w0, with(h0, 1, 0, math.Inf(1))), nmf.ErrNotFinite, "H0", 1, 0, ""},
		{"W0 all zero", custom(zero(4, 2), h0), nmf.ErrAllZero, "W0", -1, -1, ""},
		{"H0 all zero", custom(w0, zero(2, 5)), nmf.ErrAllZero, "H0", -1, -1, ""},
		{"W0 missing", custom(nil, h0), nmf.ErrInvalid, "W0", -1, -1, "missing"},
		{"H0 missing", custom(w0, nil), nmf.ErrInvalid, "H0", -1, -1, "missing"},
		{"both missing", custom(nil, nil), nmf.ErrInvalid, "W0", -1, -1, "missing"},
		{"H0 missing, init auto", fitFromErr[float64](x, w0, nil, nil), nmf.ErrInvalid, "H0", -1, -1, "missing"},
		{"FitFrom, init random", fitFromErr[float64](x, w0, h0, func(o *nmf.Options) { o.Init = nmf.InitRandom }), nmf.ErrInvalid, "Init", -1, -1, "W0 and H0 given"},
		{"Fit, init custom", fitErr[float64](x, func(o *nmf.Options) { o.Init = nmf.InitCustom }), nmf.ErrInvalid, "Init", -1, -1, "FitFrom"},
	}
	for _, c := range cases {
		checkBad(t, c)
	}
	// Zeros in W0 and H0 are allowed, as long as neither is all zero.
	if err := custom(with(w0, 0, 0, 0), with(h0, 1, 1, 0))(); err != nil {
		t.Errorf("W0, H0 with some zeros: %v", err)
	}
}

// TestNilMatrices: a nil *Dense where a matrix is expected is a missing
// argument, not a nil-pointer panic. (X is an interface, so a typed nil
// passes a plain nil check.)
func TestNilMatrices(t *testing.T) {
	x := positive(1, 4, 5)
	w0, h0 := positive(2, 4, 2), positive(3, 2, 5)
	var nilDense *nmf.Dense[float64]
	checkBad(t, badCase{"W0 typed nil", fitFromErr(x, nilDense, h0, nil), nmf.ErrInvalid, "W0", -1, -1, "missing"})
	checkBad(t, badCase{"H0 typed nil", fitFromErr(x, w0, nilDense, nil), nmf.ErrInvalid, "H0", -1, -1, "missing"})
	checkBad(t, badCase{"X nil", fitErr[float64](nilDense, nil), nmf.ErrInvalid, "X", -1, -1, ""})
	checkBad(t, badCase{"X nil CSR", fitErr[float64]((*nmf.CSR[float64])(nil), nil), nmf.ErrInvalid, "X", -1, -1, ""})
	checkBad(t, badCase{"Transform H nil", func() error {
		_, err := nmf.Transform(bg, x, nil, cpuOptions())
		return err
	}, nmf.ErrInvalid, "H", -1, -1, ""})
}

// TestOverflowingDimensions: dimensions whose product does not fit in an
// int are a wrong shape, not a makeslice or slice-bounds panic. With
// Rows = 2⁶² and Cols = 4, Rows·Cols wraps to 0, so len(Data) = 0 passes
// the length check (2³⁰ on a 32-bit int: the same wrap).
func TestOverflowingDimensions(t *testing.T) {
	huge := 1 << (strconv.IntSize - 2)
	for _, init := range []nmf.Init{nmf.InitRandom, nmf.InitAuto} {
		checkBad(t, badCase{"dense 2⁶²×4, init " + initName(init),
			fitErr[float64](&nmf.Dense[float64]{Rows: huge, Cols: 4}, func(o *nmf.Options) { o.Init = init }),
			nmf.ErrShape, "X", -1, -1, ""})
	}
	// A CSR matrix with 2⁶² columns is only two rows of data, but H
	// (k×2⁶²) cannot be allocated: an error for Components.
	x := &nmf.CSR[float64]{Rows: 2, Cols: huge, Indptr: []int{0, 1, 2}, Indices: []int{0, 5}, Data: []float64{1, 2}}
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("PANIC: %v", p)
			}
		}()
		return fitErr[float64](x, func(o *nmf.Options) { o.Init = nmf.InitRandom })()
	}()
	if err == nil || strings.HasPrefix(err.Error(), "PANIC") {
		t.Errorf("CSR 2×2⁶², k = 2: %v; want an error", err)
	}
}

// TestMalformedCSR: every broken CSR structure is ErrMalformed.
func TestMalformedCSR(t *testing.T) {
	ok := func() *nmf.CSR[float64] {
		return &nmf.CSR[float64]{Rows: 3, Cols: 4, Indptr: []int{0, 2, 3, 5}, Indices: []int{0, 3, 1, 0, 2}, Data: []float64{1, 2, 3, 4, 5}}
	}
	if err := fitErr[float64](ok(), nil)(); err != nil {
		t.Fatalf("the well-formed matrix: %v", err)
	}
	mutate := func(f func(m *nmf.CSR[float64])) *nmf.CSR[float64] { m := ok(); f(m); return m }
	for _, c := range []struct {
		name string
		m    *nmf.CSR[float64]
		msg  string
	}{
		{"Indptr too short", mutate(func(m *nmf.CSR[float64]) { m.Indptr = m.Indptr[:3] }), "Indptr"},
		{"Indptr too long", mutate(func(m *nmf.CSR[float64]) { m.Indptr = append(m.Indptr, 5) }), "Indptr"},
		{"Indptr nil", mutate(func(m *nmf.CSR[float64]) { m.Indptr = nil }), "Indptr"},
		{"Indptr[0] ≠ 0", mutate(func(m *nmf.CSR[float64]) { m.Indptr[0] = 1 }), "Indptr"},
		{"Indptr decreasing", mutate(func(m *nmf.CSR[float64]) { m.Indptr[2] = 1 }), "row 1"},
		{"Indptr negative", mutate(func(m *nmf.CSR[float64]) { m.Indptr[1] = -1 }), "row 0"},
		{"Indptr past the end", mutate(func(m *nmf.CSR[float64]) { m.Indptr[2] = 7 }), ""},
		{"Indptr end ≠ nnz", mutate(func(m *nmf.CSR[float64]) { m.Indptr[3] = 4 }), "Indptr"},
		{"Indices shorter than Data", mutate(func(m *nmf.CSR[float64]) { m.Indices = m.Indices[:4] }), ""},
		{"Data shorter than Indices", mutate(func(m *nmf.CSR[float64]) { m.Data = m.Data[:4] }), ""},
		{"column index negative", mutate(func(m *nmf.CSR[float64]) { m.Indices[2] = -1 }), "row 1"},
		{"column index = Cols", mutate(func(m *nmf.CSR[float64]) { m.Indices[1] = 4 }), "row 0"},
		{"column indices unsorted", mutate(func(m *nmf.CSR[float64]) { m.Indices[0], m.Indices[1] = 3, 0 }), "row 0"},
		{"column index repeated", mutate(func(m *nmf.CSR[float64]) { m.Indices[3], m.Indices[4] = 2, 2 }), "row 2"},
	} {
		checkBad(t, badCase{"CSR " + c.name, fitErr[float64](c.m, nil), nmf.ErrMalformed, "X", anyRow, -1, c.msg})
		checkBad(t, badCase{"Transform CSR " + c.name, func() error {
			_, err := nmf.Transform(bg, c.m, positive(1, 2, 4), cpuOptions())
			return err
		}, nmf.ErrMalformed, "X", anyRow, -1, c.msg})
	}
}

// TestBadTransform: H of the wrong shape, a Components that contradicts
// it, bad values in H, and β ≤ 0 with zeros in X, which scikit-learn's
// transform refuses exactly as fit does (_fit_transform raises "When
// beta_loss <= 0 and X contains zeros, the solver may diverge" for both).
func TestBadTransform(t *testing.T) {
	x := positive(1, 4, 5)
	h := positive(2, 2, 5)
	tr := func(x nmf.Matrix[float64], h *nmf.Dense[float64], f func(*nmf.Options)) func() error {
		return func() error {
			o := cpuOptions()
			if f != nil {
				f(&o)
			}
			_, err := nmf.Transform(bg, x, h, o)
			return err
		}
	}
	zeroH := &nmf.Dense[float64]{Rows: 2, Cols: 5, Data: make([]float64, 10)}
	cases := []badCase{
		{"H columns ≠ X columns", tr(x, positive(2, 2, 4), nil), nmf.ErrShape, "H", -1, -1, "5"},
		{"H short data", tr(x, &nmf.Dense[float64]{Rows: 2, Cols: 5, Data: make([]float64, 9)}, nil), nmf.ErrShape, "H", -1, -1, ""},
		{"Components ≠ rows of H", tr(x, h, func(o *nmf.Options) { o.Components = 3 }), nmf.ErrInvalid, "Components", -1, -1, "3"},
		{"H negative", tr(x, with(h, 1, 3, -1), nil), nmf.ErrNegative, "H", 1, 3, ""},
		{"H NaN", tr(x, with(h, 0, 2, math.NaN()), nil), nmf.ErrNotFinite, "H", 0, 2, ""},
		{"H all zero", tr(x, zeroH, nil), nmf.ErrAllZero, "H", -1, -1, ""},
		{"bad option", tr(x, h, func(o *nmf.Options) { o.Tol = -1 }), nmf.ErrInvalid, "Tol", -1, -1, ""},
		{"cd with KL", tr(x, h, func(o *nmf.Options) { o.Solver, o.Loss = nmf.CD, nmf.KullbackLeibler }), nmf.ErrInvalid, "Solver", -1, -1, ""},
		{"IS with a zero in X", tr(with(x, 1, 1, 0), h, func(o *nmf.Options) { o.Loss = nmf.ItakuraSaito }), nmf.ErrZeros, "X", -1, -1, ""},
		{"β < 0 with implicit zeros", tr(nmftest.ToCSR(with(x, 2, 2, 0)), h, func(o *nmf.Options) { o.Loss = nmf.Beta(-1) }), nmf.ErrZeros, "X", -1, -1, ""},
	}
	for _, c := range cases {
		checkBad(t, c)
	}
	// A 0×n H (k = 0) is refused too; which sentinel is secondary.
	_, err := noPanic(t, func() (*nmf.Result[float64], error) {
		return nmf.Transform(bg, x, &nmf.Dense[float64]{Rows: 0, Cols: 5}, cpuOptions())
	})
	var ie *nmf.InputError
	if !errors.As(err, &ie) || ie.Arg != "H" {
		t.Errorf("Transform with a 0×5 H: %v", err)
	}
}

// TestBadDivergence: Divergence and InverseTransform check their
// operands (W and H may be all zero for Divergence: it is a value).
func TestBadDivergence(t *testing.T) {
	x := positive(1, 4, 5)
	w, h := positive(2, 4, 2), positive(3, 2, 5)
	div := func(w, h *nmf.Dense[float64]) func() error {
		return func() error { _, err := nmf.Divergence[float64](x, w, h, 1); return err }
	}
	for _, c := range []badCase{
		{"W nil", div(nil, h), nmf.ErrInvalid, "W", -1, -1, ""},
		{"H nil", div(w, nil), nmf.ErrInvalid, "W", -1, -1, ""},
		{"W rows", div(positive(2, 3, 2), h), nmf.ErrShape, "W", -1, -1, ""},
		{"H rows ≠ W columns", div(w, positive(3, 3, 5)), nmf.ErrShape, "H", -1, -1, ""},
		{"H columns", div(w, positive(3, 2, 4)), nmf.ErrShape, "H", -1, -1, ""},
		{"W negative", div(with(w, 2, 1, -3), h), nmf.ErrNegative, "W", 2, 1, ""},
		{"H NaN", div(w, with(h, 1, 2, math.NaN())), nmf.ErrNotFinite, "H", 1, 2, ""},
	} {
		checkBad(t, c)
	}
	if _, err := nmf.Divergence[float64](x, &nmf.Dense[float64]{Rows: 4, Cols: 2, Data: make([]float64, 8)}, h, 1); err != nil {
		t.Errorf("Divergence with W = 0: %v", err)
	}
	// A W with too few values is a wrong shape whose message does not
	// contradict itself ("is 4×2, want 4×2").
	checkBad(t, badCase{"W short data", div(&nmf.Dense[float64]{Rows: 4, Cols: 2, Data: []float64{1}}, h), nmf.ErrShape, "W", -1, -1, "values"})

	inv := func(w, h *nmf.Dense[float64]) func() error {
		return func() error { _, err := nmf.InverseTransform(w, h); return err }
	}
	for _, c := range []badCase{
		{"InverseTransform nil", inv(nil, h), nmf.ErrShape, "W", -1, -1, ""},
		{"InverseTransform mismatch", inv(w, positive(3, 3, 5)), nmf.ErrShape, "W", -1, -1, ""},
		{"InverseTransform W short data", inv(&nmf.Dense[float64]{Rows: 4, Cols: 2, Data: []float64{1}}, h), nmf.ErrShape, "W", -1, -1, ""},
		{"InverseTransform H short data", inv(w, &nmf.Dense[float64]{Rows: 2, Cols: 5, Data: []float64{1, 2}}), nmf.ErrShape, "H", -1, -1, ""},
	} {
		checkBad(t, c)
	}
}

// TestDiverged: fits that really overflow during the iterations end in an
// *nmf.IterationError wrapping ErrDiverged that names the iteration where
// it was seen (the multiplicative update checks its error every 10
// iterations, coordinate descent its projected gradient every iteration),
// and no result. Each start is finite with a finite divergence; the
// overflow comes from the updates:
//
//   - float32, β = 3, X ~ 1e15–1e16, random init: V = W·H ~ 1e15 and the
//     denominator term V^(β−1) = V² ~ 1e30 times Hᵀ's sums overflows
//     float32 (3.4e38) in the first update; Inf/Inf gives NaN.
//   - float32 Frobenius cd, X ~ 1e25: X·Hᵀ ~ 1e25·1e12·n overflows in the
//     first sweep, and the violation is Inf − Inf = NaN.
//   - float64, β = 0.5, X ~ 1e-250 (all below Epsilon, so the divergence
//     ignores X and stays finite) from W0 ~ 1, H0 ~ 1e-250: the numerator
//     X ⊙ V^(β−2) = X·V^(−1.5) overflows (1e375), W becomes +Inf, then
//     W·H = Inf and 0·Inf gives NaN.
func TestDiverged(t *testing.T) {
	x32 := convert[float32](absNormal(3, 20, 15))
	for i := range x32.Data {
		x32.Data[i] = x32.Data[i]*1e15 + 1e14
	}
	x32b := convert[float32](absNormal(3, 20, 15))
	for i := range x32b.Data {
		x32b.Data[i] = x32b.Data[i]*1e25 + 1e24
	}
	tiny := absNormal(3, 20, 15)
	for i := range tiny.Data {
		tiny.Data[i] = tiny.Data[i]*1e-250 + 1e-251
	}
	w0, h0 := absNormal(4, 20, 4), absNormal(5, 4, 15)
	for i := range h0.Data {
		h0.Data[i] *= 1e-250
	}
	base := func(f func(*nmf.Options)) nmf.Options {
		o := cpuOptions()
		o.Components, o.MaxIter, o.Tol, o.Init = 4, 50, 0, nmf.InitRandom
		f(&o)
		return o
	}
	for _, c := range []struct {
		name string
		run  func() (any, error)
		iter int
		step string
	}{
		{"float32 mu β=3", func() (any, error) {
			return nmf.Fit(bg, x32, base(func(o *nmf.Options) { o.Loss, o.Solver = nmf.Beta(3), nmf.MU }))
		}, 10, "reconstruction error"},
		{"float32 mu β=3, 5 iterations", func() (any, error) {
			return nmf.Fit(bg, x32, base(func(o *nmf.Options) { o.Loss, o.Solver, o.MaxIter = nmf.Beta(3), nmf.MU, 5 }))
		}, 5, "reconstruction error"},
		{"float32 cd", func() (any, error) {
			return nmf.Fit(bg, x32b, base(func(o *nmf.Options) { o.Solver = nmf.CD }))
		}, 1, "projected-gradient"},
		{"float64 mu β=0.5", func() (any, error) {
			return nmf.FitFrom(bg, tiny, w0, h0, base(func(o *nmf.Options) {
				o.Loss, o.Solver, o.Init = nmf.Beta(0.5), nmf.MU, nmf.InitCustom
			}))
		}, 10, "reconstruction error"},
		{"float32 Transform β=3", func() (any, error) {
			h := convert[float32](absNormal(6, 4, 15))
			for i := range h.Data {
				h.Data[i] *= 3e7
			}
			return nmf.Transform(bg, x32, h, base(func(o *nmf.Options) { o.Loss, o.Solver = nmf.Beta(3), nmf.MU }))
		}, 10, "reconstruction error"},
	} {
		res, err := noPanic(t, c.run)
		var ie *nmf.IterationError
		if !errors.As(err, &ie) || !errors.Is(err, nmf.ErrDiverged) {
			t.Errorf("%s: %v (%T); want an *IterationError wrapping ErrDiverged", c.name, err, err)
			continue
		}
		if ie.Iter != c.iter || !strings.Contains(ie.Step, c.step) || !(math.IsNaN(ie.Val) || math.IsInf(ie.Val, 0)) {
			t.Errorf("%s: IterationError{Iter %d, Step %q, Val %v}, want iteration %d, %s", c.name, ie.Iter, ie.Step, ie.Val, c.iter, c.step)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("iteration %d", c.iter)) {
			t.Errorf("%s: message %q does not name iteration %d", c.name, err, c.iter)
		}
		switch r := res.(type) {
		case *nmf.Result[float32]:
			if r != nil {
				t.Errorf("%s: a result came with the error", c.name)
			}
		case *nmf.Result[float64]:
			if r != nil {
				t.Errorf("%s: a result came with the error", c.name)
			}
		}
	}
}

// TestGonumBLASBadInputToo: the checks come before any backend work, so
// they hold whatever the backend (here gonum's pure-Go BLAS).
func TestGonumBLASBadInputToo(t *testing.T) {
	x := with(positive(1, 4, 5), 1, 2, -1)
	opened := false
	_, err := nmf.Fit[float64](context.Background(), x, nmf.Options{Components: 2, Backend: func() (backend.Backend, error) {
		opened = true
		return cpu.NewWith(cpu.Options{BLAS: cpu.BLASGo})
	}})
	if !errors.Is(err, nmf.ErrNegative) || opened {
		t.Errorf("negative X with a backend: %v (backend opened: %v)", err, opened)
	}
}
