package kernels_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/gpu/cl"
	"github.com/clnmf/clnmf/kernels"
	"github.com/clnmf/clnmf/nmf/backend"
)

func TestSource(t *testing.T) {
	all := kernels.Source()
	if !strings.HasPrefix(all, kernels.File("common")) {
		t.Error("Source does not start with common.cl")
	}
	for _, n := range kernels.Names {
		if !strings.Contains(all, kernels.File(n+".cl")) {
			t.Errorf("Source() lacks %s.cl", n)
		}
	}
	one := kernels.Source("gemm")
	if strings.Contains(one, "cd_sweep") || !strings.Contains(one, "gemm_slices") {
		t.Error(`Source("gemm") holds the wrong files`)
	}
	defer func() {
		if recover() == nil {
			t.Error("File of an unknown name did not panic")
		}
	}()
	kernels.File("nope")
}

func TestOptions(t *testing.T) {
	for _, c := range []struct {
		bits int
		acc  bool
		defs map[string]int
		want string
	}{
		{32, false, nil, "-DPRECISION=32 -DACC64=0"},
		{32, true, nil, "-DPRECISION=32 -DACC64=1"},
		{64, false, map[string]int{"TS": 8, "RWG": 64}, "-DPRECISION=64 -DACC64=1 -DRWG=64 -DTS=8"},
	} {
		if got := kernels.Options(c.bits, c.acc, c.defs); got != c.want {
			t.Errorf("Options(%d, %v, %v) = %q, want %q", c.bits, c.acc, c.defs, got, c.want)
		}
	}
}

// TestEachFileCompiles builds common.cl with each file alone, with no
// tuning options (every parameter has a default), in both precisions, on
// the first OpenCL device. Without OpenCL it is skipped, except under
// CI=true.
func TestEachFileCompiles(t *testing.T) {
	devs, err := cl.Devices()
	if err == nil && len(devs) == 0 {
		err = cl.ErrNoDevice
	}
	if err != nil {
		if (errors.Is(err, cl.ErrNoOpenCL) || errors.Is(err, cl.ErrNoPlatform) || errors.Is(err, cl.ErrNoDevice)) && os.Getenv("CI") != "true" {
			t.Skipf("no OpenCL device: %v", err)
		}
		t.Fatal(err)
	}
	ctx, err := cl.NewContext(devs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	for _, bits := range []int{32, 64} {
		if bits == 64 && !devs[0].FP64 {
			continue
		}
		for _, n := range kernels.Names {
			opts := "-DPRECISION=" + map[int]string{32: "32", 64: "64"}[bits] + " " + strings.Join(backend.KernelDefines(), " ")
			if _, err := ctx.Build(kernels.Source(n), opts); err != nil {
				t.Errorf("%s.cl, %d bits: %v", n, bits, err)
			}
		}
	}
}

// TestModesFromHost checks that no kernel file writes the mode constants
// itself: their values are backend's, given by backend.KernelDefines, so
// host and kernels cannot disagree.
func TestModesFromHost(t *testing.T) {
	src := kernels.Source()
	for _, def := range backend.KernelDefines() {
		name, _, _ := strings.Cut(strings.TrimPrefix(def, "-D"), "=")
		if strings.Contains(src, "#define "+name) {
			t.Errorf("the kernels define %s themselves; it must come from backend.KernelDefines", name)
		}
	}
}
