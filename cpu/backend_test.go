package cpu_test

import (
	"testing"

	"github.com/clnmf/clnmf/cpu"
	"github.com/clnmf/clnmf/nmf/backend/backendtest"
)

// TestBackend checks every operation against the reference code on every
// path (each BLAS, with and without the micro-kernels).
func TestBackend(t *testing.T) {
	for _, c := range configs(t) {
		t.Run(c.name, func(t *testing.T) { backendtest.Run(t, c.new) })
	}
}

// TestOpenBLASCore checks that the core OpenBLAS chose is reported
// exactly where OpenBLAS is loaded, as a printable name.
func TestOpenBLASCore(t *testing.T) {
	name, ok := cpu.OpenBLASCore(), cpu.OpenBLASAvailable()
	if ok != (name != "") {
		t.Fatalf("OpenBLASCore() = %q with OpenBLAS available %v", name, ok)
	}
	for _, c := range name {
		if c < ' ' || c > '~' {
			t.Fatalf("OpenBLASCore() = %q: not a printable name", name)
		}
	}
	t.Logf("OpenBLAS core %q", name)
}
