package cpu_test

import (
	"testing"

	"github.com/clnmf/clnmf/cpu"
	"github.com/clnmf/clnmf/nmf/backend/backendtest"
)

// TestBackend checks every operation against the reference code, with both
// matrix-product libraries.
func TestBackend(t *testing.T) {
	t.Run("gonum", func(t *testing.T) { backendtest.Run(t, newWith(cpu.BLASGo)) })
	if cpu.OpenBLASAvailable() {
		t.Run("openblas", func(t *testing.T) { backendtest.Run(t, newWith(cpu.BLASOpenBLAS)) })
	}
}
