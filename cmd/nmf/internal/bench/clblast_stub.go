package bench

import "github.com/clnmf/clnmf/nmf/backend"

// clblastTimer times CLBlast's GEMM on the operands of our GEMM.
type clblastTimer interface {
	time(out, a backend.Matrix, ta bool, b backend.Matrix, tb bool, c *Config) (float64, error)
}

// clblastFor returns CLBlast for an OpenCL backend, when it is loaded.
func clblastFor(be backend.Backend) (clblastTimer, bool) { return nil, false }

func clblastNote() string {
	return "CLBlast comparison not done: nmf bench does not call CLBlast yet (target 2 of the issue is not measured)"
}
