package nmf

import (
	"fmt"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/gpu"
)

// TestNoGPUReason checks that auto's reason reads as one sentence saying
// what was found, not the chain of wrapped errors.
func TestNoGPUReason(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("gpu: %w", gpu.ErrNoOpenCL),
		fmt.Errorf("gpu: %w", gpu.ErrNoPlatform),
		fmt.Errorf("gpu: no OpenCL GPU among 1 devices: %w", gpu.ErrNoDevice),
	} {
		r := noGPUReason(err)
		if strings.Contains(r, "cl:") || strings.Contains(r, "gpu:") || strings.Count(r, ": ") > 0 || !strings.Contains(r, "auto uses the CPU backend") {
			t.Errorf("%v: reason %q", err, r)
		}
	}
	// With devices but no GPU, the reason names them (PoCL here, where it
	// is installed).
	if infos, err := gpu.Devices(); err == nil && len(infos) > 0 {
		r := noGPUReason(fmt.Errorf("gpu: no OpenCL GPU: %w", gpu.ErrNoDevice))
		if !strings.Contains(r, infos[0].Platform) {
			t.Errorf("reason %q does not name %s", r, infos[0].Platform)
		}
	}
}
