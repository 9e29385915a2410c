package gpu_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/clnmf/clnmf/gpu"
	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/backend"
	"github.com/clnmf/clnmf/nmf/nmftest"
)

// TestStageData checks the double-buffered staging of panels
// (backend.Stager): products on staged panels, dense and CSR, equal those
// on X loaded whole; a slot is reused only after its panel is released, and
// the product enqueued on a panel before its release reads that panel, not
// the one copied into its slot next; a third panel with both slots held is
// refused; the copies are timed.
func TestStageData(t *testing.T) {
	be, err := openerFor(t)()
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	st, ok := be.(backend.Stager)
	if !ok {
		t.Fatal("the OpenCL backend is not a backend.Stager")
	}
	const l, n, k, rows = 3000, 500, 3, 1000
	rng := rand.New(rand.NewPCG(5, 6))
	x := &nmf.Dense[float32]{Rows: l, Cols: n, Data: make([]float32, l*n)}
	for i := range x.Data {
		if rng.IntN(3) > 0 {
			x.Data[i] = rng.Float32()
		}
	}
	c := randomMatrix(t, be, rng, n, k)
	whole, err := be.NewData(x)
	if err != nil {
		t.Fatal(err)
	}
	want := mulX(t, be, whole, c, l, k)
	panel := func(p int, sparse bool) backend.HostData {
		d := nmf.Rows[float32](x, p*rows, (p+1)*rows)
		if sparse {
			return nmftest.ToCSR(d.(*nmf.Dense[float32]))
		}
		return d
	}
	for _, sparse := range []bool{false, true} {
		staged := make([]backend.Data, 3)
		for p := range 2 {
			if staged[p], err = st.StageData(panel(p, sparse)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.StageData(panel(2, sparse)); err == nil {
			t.Fatal("a third panel was staged while both slots are held")
		}
		out := make([]backend.Matrix, 3)
		out[0] = mulXOn(t, be, staged[0], c, rows, k) // enqueued, not read
		if err := st.ReleaseData(staged[0]); err != nil {
			t.Fatal(err)
		}
		if staged[2], err = st.StageData(panel(2, sparse)); err != nil { // into panel 0's slot
			t.Fatal(err)
		}
		for p := 1; p < 3; p++ {
			out[p] = mulXOn(t, be, staged[p], c, rows, k)
		}
		for p := range 3 {
			got := backend.NewHost(backend.Float32, rows, k, nil).(*backend.Dense[float32])
			if err := be.Read(out[p], got); err != nil {
				t.Fatal(err)
			}
			if d := nmftest.RelDiff(got.Data, want[p*rows*k:(p+1)*rows*k]); d > 1e-6 {
				t.Errorf("sparse %v: panel %d's product differs from X's rows by %.3g relative", sparse, p, d)
			}
		}
		for p := 1; p < 3; p++ {
			if err := st.ReleaseData(staged[p]); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.ReleaseData(staged[1]); err != nil {
			t.Errorf("releasing a staged panel twice: %v", err)
		}
	}
	copySec, waitSec, timed := st.StageTimes()
	if !timed || copySec <= 0 || waitSec < 0 {
		t.Errorf("StageTimes = %g s copying, %g s waiting, timed %v; want the copies timed", copySec, waitSec, timed)
	}
}

func randomMatrix(t *testing.T, be backend.Backend, rng *rand.Rand, r, c int) backend.Matrix {
	t.Helper()
	m, err := be.NewMatrix(backend.Float32, r, c)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float64, r*c)
	for i := range v {
		v[i] = rng.Float64()
	}
	if err := be.Write(m, backend.NewHost(backend.Float32, r, c, v)); err != nil {
		t.Fatal(err)
	}
	return m
}

// mulXOn enqueues X·c on the device and returns the product's matrix.
func mulXOn(t *testing.T, be backend.Backend, x backend.Data, c backend.Matrix, r, k int) backend.Matrix {
	t.Helper()
	out, err := be.NewMatrix(backend.Float32, r, k)
	if err != nil {
		t.Fatal(err)
	}
	if err := be.MulX(out, x, false, c); err != nil {
		t.Fatal(err)
	}
	return out
}

func mulX(t *testing.T, be backend.Backend, x backend.Data, c backend.Matrix, r, k int) []float32 {
	t.Helper()
	got := backend.NewHost(backend.Float32, r, k, nil).(*backend.Dense[float32])
	if err := be.Read(mulXOn(t, be, x, c, r, k), got); err != nil {
		t.Fatal(err)
	}
	return got.Data
}

// TestSparseStreamedPanels: a CSR X whose stored entries exceed what a
// capped device leaves is cut into row panels and streamed, its nonzeros
// never densified: the device never holds more than a small part of the
// dense X's bytes (20000² float32, 1.6 GB), a pass loads the CSR's bytes,
// and the fit agrees with the resident one.
func TestSparseStreamedPanels(t *testing.T) {
	open := openerFor(t)
	const l, n, k, nnz = 20000, 20000, 4, 150000
	rng := rand.New(rand.NewPCG(7, 8))
	x := &nmf.CSR[float32]{Rows: l, Cols: n, Indptr: make([]int, l+1)}
	const per = nnz / l
	for i := range l {
		for t := range per { // increasing columns, one in each stretch of n/per
			x.Indices = append(x.Indices, t*(n/per)+rng.IntN(n/per))
			x.Data = append(x.Data, 1+rng.Float32())
		}
		x.Indptr[i+1] = len(x.Indices)
	}
	opt := nmf.DefaultOptions()
	opt.Components, opt.MaxIter, opt.Init, opt.Loss = k, 10, nmf.InitRandom, nmf.KullbackLeibler
	opt.Backend = open
	res, err := nmf.Fit(context.Background(), x, opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.DeviceMemory = 22 << 20
	var capped *gpu.Backend
	opt.Backend = func() (backend.Backend, error) {
		b, err := open()
		if err == nil {
			capped = b.(*gpu.Backend)
		}
		return b, err
	}
	str, err := nmf.Fit(context.Background(), x, opt)
	if err != nil {
		t.Fatal(err)
	}
	p := str.Plan
	dense := int64(l) * int64(n) * 4
	if !p.Streamed || p.Panels < 4 || p.BytesPerIteration <= 0 || p.BytesPerIteration > dense/100 {
		t.Fatalf("plan %+v: want the CSR streamed in panels, its own bytes (not the dense %d) per iteration", p, dense)
	}
	if dp := gpu.PeakDeviceBytes(capped); dp > 64<<20 {
		t.Errorf("the streamed fit held up to %d bytes on the device; the dense X would be %d", dp, dense)
	}
	if d := nmftest.RelDiff(str.W.Data, res.W.Data); d > 1e-5 {
		t.Errorf("W differs from the resident fit's by %.3g relative", d)
	}
	if d := nmftest.RelDiff(str.H.Data, res.H.Data); d > 1e-5 {
		t.Errorf("H differs from the resident fit's by %.3g relative", d)
	}
	t.Logf("%d panels of %d rows, %d bytes per iteration, device peak %d bytes", p.Panels, p.PanelRows, p.BytesPerIteration, gpu.PeakDeviceBytes(capped))
}
