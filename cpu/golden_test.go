package cpu_test

import (
	"testing"

	"github.com/clnmf/clnmf/cpu"
	"github.com/clnmf/clnmf/nmf/backend"
	"github.com/clnmf/clnmf/nmf/nmftest"
)

func newWith(lib cpu.BLAS) func() (backend.Backend, error) {
	return func() (backend.Backend, error) { return cpu.NewWith(cpu.Options{BLAS: lib}) }
}

// TestGolden runs scikit-learn's golden cases with gonum's pure-Go BLAS and,
// where libopenblas is installed, with OpenBLAS.
func TestGolden(t *testing.T) {
	t.Run("gonum", func(t *testing.T) { nmftest.Golden(t, "../testdata/golden", newWith(cpu.BLASGo)) })
	if !cpu.OpenBLASAvailable() {
		t.Log("libopenblas not found: the OpenBLAS path is not exercised")
		return
	}
	t.Run("openblas", func(t *testing.T) { nmftest.Golden(t, "../testdata/golden", newWith(cpu.BLASOpenBLAS)) })
}
