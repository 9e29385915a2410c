package nmf

import (
	"fmt"
	"strings"

	"github.com/clnmf/clnmf/cpu"
	"github.com/clnmf/clnmf/nmf/backend"
)

// openBackend returns the backend a fit runs on and why it was chosen.
func openBackend(opt Options, p backend.Precision) (backend.Backend, string, error) {
	if opt.Backend != nil {
		b, err := opt.Backend()
		if err != nil {
			return nil, "", fmt.Errorf("nmf: opening the backend: %w", err)
		}
		return b, "given by the caller", nil
	}
	return OpenDevice(opt.Device, p)
}

// OpenDevice opens the device named by spec for computing in precision p,
// and says why it was chosen. spec is "cpu" or "auto" (or "").
func OpenDevice(spec string, p backend.Precision) (backend.Backend, string, error) {
	switch s := strings.ToLower(strings.TrimSpace(spec)); s {
	case "", "auto":
		b, err := cpu.New()
		if err != nil {
			return nil, "", err
		}
		return b, "auto: no OpenCL backend in this build", nil
	case "cpu":
		b, err := cpu.New()
		if err != nil {
			return nil, "", err
		}
		return b, "asked for", nil
	}
	return nil, "", invalid("Device", "%q; want auto, cpu, opencl or opencl:P:D", spec)
}
