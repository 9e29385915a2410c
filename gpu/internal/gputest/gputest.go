// Package gputest says which OpenCL device gpu's tests run on.
package gputest

import (
	"os"

	"github.com/clnmf/clnmf/gpu/cl"
)

// Env names the environment variable that picks the tests' device: a spec
// gpu.Open takes ("gpu", "opencl", "opencl:P:D").
const Env = "CLNMF_TEST_DEVICE"

// Spec is the tests' device: CLNMF_TEST_DEVICE when set, else "gpu" when
// there is an OpenCL GPU, else "opencl" (the first device of any type).
func Spec() string {
	if s := os.Getenv(Env); s != "" {
		return s
	}
	devs, err := cl.Devices()
	if err != nil {
		return "opencl"
	}
	for _, d := range devs {
		if d.Type&cl.DeviceGPU != 0 {
			return "gpu"
		}
	}
	return "opencl"
}
