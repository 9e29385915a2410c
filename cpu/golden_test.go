package cpu_test

import (
	"testing"

	"github.com/clnmf/clnmf/cpu"
	"github.com/clnmf/clnmf/nmf/backend"
	"github.com/clnmf/clnmf/nmf/nmftest"
)

func newWith(lib cpu.BLAS, noKernels bool) func() (backend.Backend, error) {
	return func() (backend.Backend, error) { return cpu.NewWith(cpu.Options{BLAS: lib, NoKernels: noKernels}) }
}

// configs are the CPU backend's paths: each BLAS, with and without the
// AVX2/FMA micro-kernels (which, where the CPU has them, carry the dense
// multiplicative update and X's products).
func configs(t *testing.T) []struct {
	name string
	new  func() (backend.Backend, error)
} {
	type cfg = struct {
		name string
		new  func() (backend.Backend, error)
	}
	cs := []cfg{{"gonum", newWith(cpu.BLASGo, false)}, {"gonum-nokernels", newWith(cpu.BLASGo, true)}}
	if cpu.OpenBLASAvailable() {
		cs = append(cs, cfg{"openblas", newWith(cpu.BLASOpenBLAS, false)}, cfg{"openblas-nokernels", newWith(cpu.BLASOpenBLAS, true)})
	} else {
		t.Log("libopenblas not found: the OpenBLAS path is not exercised")
	}
	b, err := cpu.New()
	if err != nil {
		t.Fatal(err)
	}
	if !b.Kernels() {
		t.Log("no AVX2/FMA here (or CLNMF_KERNELS=off): the micro-kernels are not exercised")
	}
	b.Close()
	return cs
}

// TestGolden runs scikit-learn's golden cases on every path.
func TestGolden(t *testing.T) {
	for _, c := range configs(t) {
		t.Run(c.name, func(t *testing.T) { nmftest.Golden(t, "../testdata/golden", c.new) })
	}
}
