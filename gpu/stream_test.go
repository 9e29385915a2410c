package gpu_test

import (
	"math/rand/v2"
	"testing"

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
