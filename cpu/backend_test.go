package cpu_test

import (
	"testing"

	"github.com/clnmf/clnmf/nmf/backend/backendtest"
)

// TestBackend checks every operation against the reference code on every
// path (each BLAS, with and without the micro-kernels).
func TestBackend(t *testing.T) {
	for _, c := range configs(t) {
		t.Run(c.name, func(t *testing.T) { backendtest.Run(t, c.new) })
	}
}
