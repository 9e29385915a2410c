package gpu_test

import (
	"os"
	"testing"

	"github.com/clnmf/clnmf/gpu"
	"github.com/clnmf/clnmf/gpu/internal/gputest"
	"github.com/clnmf/clnmf/nmf/backend"
	"github.com/clnmf/clnmf/nmf/backend/backendtest"
	"github.com/clnmf/clnmf/nmf/nmftest"
)

// openerFor returns a constructor of backends on the tests' device
// (gputest.Spec: CLNMF_TEST_DEVICE, else the first GPU, else the first
// OpenCL device), in the profile CLNMF_OPENCL_PROFILE asks for, without the
// tuning cache. Without any OpenCL device the test is skipped, except under
// CI=true, where the OpenCL device (PoCL) is part of the set-up and its
// absence is a failure.
func openerFor(t *testing.T) func() (backend.Backend, error) {
	t.Helper()
	open := func() (*gpu.Backend, error) { return gpu.OpenWith(gputest.Spec(), gpu.Options{NoTuneCache: true}) }
	b, err := open()
	if err != nil {
		if gpu.IsNoDevice(err) && os.Getenv("CI") != "true" {
			t.Skipf("no OpenCL device: %v", err)
		}
		t.Fatalf("opening the OpenCL device: %v", err)
	}
	t.Logf("device %s, profile %s", b.Name(), b.Profile())
	b.Close()
	return func() (backend.Backend, error) { return open() }
}

// TestGolden runs scikit-learn's golden cases on the OpenCL backend: float64
// cases in double, float32 cases in float, dense and sparse.
func TestGolden(t *testing.T) {
	nmftest.Golden(t, "../testdata/golden", openerFor(t))
}

// TestConformance checks every backend operation against the reference code.
func TestConformance(t *testing.T) {
	backendtest.Run(t, openerFor(t))
}

// TestOclgrind is the small subset `make oclgrind-ci` runs under the
// oclgrind simulator, which checks every kernel launch for out-of-bounds
// accesses, data races and uninitialised reads.
func TestOclgrind(t *testing.T) {
	backendtest.RunQuick(t, openerFor(t))
}

// TestGoldenPaths runs the golden cases with the dense β ≠ 2 terms forced
// through each path: fused (W·H never held in device memory) and
// materialised. PathAuto picks between them by size, so small cases would
// otherwise test one path only.
func TestGoldenPaths(t *testing.T) {
	open := openerFor(t)
	for _, p := range []struct {
		name string
		path gpu.Path
	}{{"fused", gpu.PathFused}, {"materialised", gpu.PathMaterialised}} {
		t.Run(p.name, func(t *testing.T) {
			nmftest.Golden(t, "../testdata/golden", func() (backend.Backend, error) {
				b, err := open()
				if err != nil {
					return nil, err
				}
				b.(*gpu.Backend).Path = p.path
				return b, nil
			})
		})
	}
}
