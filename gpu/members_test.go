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
// two GPUs), and the OpenCL device with the CPU backend as the second member.
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
			nmftest.GoldenWith(t, "../testdata/golden", open, func(o *nmf.Options) { o.Backends = members })
		})
	}
}
