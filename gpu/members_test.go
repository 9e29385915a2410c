package gpu_test

import (
	"testing"

	"github.com/clnmf/clnmf/cpu"
	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/backend"
	"github.com/clnmf/clnmf/nmf/nmftest"
)

// TestGoldenMembers runs the golden fits, transforms and inits on two
// members at once (Options.Backends): two contexts with their own queues on
// the OpenCL device (on this machine's one device, the mechanism of a fit on
// two GPUs), and the OpenCL device with the CPU backend as the second member;
// the seeded cases (scikit-learn's randomized SVD and generator, CD's
// shuffle) too.
func TestGoldenMembers(t *testing.T) {
	open := openerFor(t)
	for _, c := range []struct {
		name   string
		second func() (backend.Backend, error)
	}{
		{"opencl+opencl", open},
		{"opencl+cpu", func() (backend.Backend, error) { return cpu.New() }},
	} {
		t.Run(c.name, func(t *testing.T) {
			members := func() ([]backend.Backend, error) {
				a, err := open()
				if err != nil {
					return nil, err
				}
				b, err := c.second()
				if err != nil {
					a.Close()
					return nil, err
				}
				return []backend.Backend{a, b}, nil
			}
			adjust := func(o *nmf.Options) { o.Backends = members }
			nmftest.GoldenWith(t, "../testdata/golden", open, adjust)
			t.Run("seeded", func(t *testing.T) { nmftest.GoldenWith(t, "../testdata/golden/seeded", open, adjust) })
		})
	}
}

// TestReleaseMatrix: ReleaseMatrix gives a matrix's device memory back
// (DeviceBytes), a second release is harmless, and other matrices stay
// usable (the speed probe of a fit on several devices frees its matrices
// so).
func TestReleaseMatrix(t *testing.T) {
	b, err := openerFor(t)()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	db := b.(backend.DeviceBytes)
	keep, err := b.NewMatrix(backend.Float32, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	before := db.DeviceBytes()
	m, err := b.NewMatrix(backend.Float32, 100, 100)
	if err != nil {
		t.Fatal(err)
	}
	if got := db.DeviceBytes() - before; got != 40000 {
		t.Fatalf("a 100×100 float32 matrix holds %d bytes, want 40000", got)
	}
	mr := b.(backend.MatrixReleaser)
	for range 2 {
		if err := mr.ReleaseMatrix(m); err != nil {
			t.Fatal(err)
		}
		if got := db.DeviceBytes(); got != before {
			t.Fatalf("after ReleaseMatrix %d bytes held, want %d", got, before)
		}
	}
	v := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	if err := b.Write(keep, backend.NewHost(backend.Float32, 3, 4, v)); err != nil {
		t.Fatal(err)
	}
	got := backend.NewHost(backend.Float32, 3, 4, nil)
	if err := b.Read(keep, got); err != nil {
		t.Fatal(err)
	}
	if d := got.(*backend.Dense[float32]).Data; d[11] != 12 {
		t.Fatalf("the matrix kept reads %v", d)
	}
}
