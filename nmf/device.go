package nmf

import (
	"errors"
	"fmt"
	"strings"

	"github.com/clnmf/clnmf/cpu"
	"github.com/clnmf/clnmf/gpu"
	"github.com/clnmf/clnmf/nmf/backend"
)

// ErrDevice wraps every failure to open a device that was asked for by name.
var ErrDevice = errors.New("device unavailable")

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

// OpenDevice opens the device named by spec for computing in precision p and
// says why it was chosen:
//
//	"auto" or "": the first OpenCL GPU; the CPU where there is no OpenCL
//	    library, no platform, no GPU, or the GPU lacks float64 for a float64
//	    fit (the reason says which)
//	"cpu": the CPU backend (OpenBLAS when installed, else gonum)
//	"opencl": the first OpenCL device of any type, PoCL's CPU device included
//	"opencl:P:D": device D of platform P, as Devices lists them
//
// An OpenCL device asked for by name that cannot be had is an error wrapping
// ErrDevice, never a silent fallback.
func OpenDevice(spec string, p backend.Precision) (backend.Backend, string, error) {
	s := strings.ToLower(strings.TrimSpace(spec))
	switch {
	case s == "" || s == "auto":
		g, err := gpu.Open("gpu")
		if err != nil {
			return openCPU("auto: " + noGPUReason(err))
		}
		if p == backend.Float64 && !g.Device().FP64 {
			name := g.Name()
			g.Close()
			return openCPU(fmt.Sprintf("auto: %s has no float64 support (cl_khr_fp64); use --precision float32 to run there", name))
		}
		return g, "auto: the first OpenCL GPU", nil
	case s == "cpu":
		return openCPU("asked for")
	case s == "opencl" || strings.HasPrefix(s, "opencl:"):
		g, err := gpu.Open(s)
		if err != nil {
			return nil, "", fmt.Errorf("nmf: device %s: %w: %w", spec, ErrDevice, err)
		}
		if p == backend.Float64 && !g.Device().FP64 {
			name := g.Name()
			g.Close()
			return nil, "", fmt.Errorf("nmf: device %s: %w: %s has no float64 support (cl_khr_fp64); use float32 precision or the cpu device", spec, ErrDevice, name)
		}
		return g, "asked for", nil
	}
	return nil, "", invalid("Device", "%q; want auto, cpu, opencl or opencl:P:D", spec)
}

// noGPUReason says, in one sentence, why auto found no GPU to run on (err
// from gpu.Open("gpu")): what OpenCL offers instead, not the chain of
// errors.
func noGPUReason(err error) string {
	switch {
	case errors.Is(err, gpu.ErrNoOpenCL):
		return "no OpenCL library (libOpenCL) is installed; auto uses the CPU backend"
	case errors.Is(err, gpu.ErrNoPlatform):
		return "the OpenCL library found no platform (driver); auto uses the CPU backend"
	case !gpu.IsNoDevice(err):
		return "the OpenCL GPU could not be opened (" + strings.TrimPrefix(err.Error(), "gpu: ") + "); auto uses the CPU backend"
	}
	infos, _ := gpu.Devices()
	var what []string
	faster := "" // the CPU backend beats an OpenCL CPU device on the same cores
	if len(infos) > 0 {
		faster = ", which is faster there"
	}
	for _, d := range infos {
		what = append(what, fmt.Sprintf("a %s (%s)", d.Type, d.Platform))
		if d.Type != "CPU" {
			faster = ""
		}
	}
	switch len(what) {
	case 0:
		return "the OpenCL platforms have no device; auto uses the CPU backend"
	case 1:
		return "the only OpenCL device is " + what[0] + "; auto uses the CPU backend" + faster
	}
	return fmt.Sprintf("none of the %d OpenCL devices is a GPU (%s); auto uses the CPU backend%s", len(what), strings.Join(what, ", "), faster)
}

func openCPU(reason string) (backend.Backend, string, error) {
	b, err := cpu.New()
	if err != nil {
		return nil, "", fmt.Errorf("nmf: device cpu: %w: %w", ErrDevice, err)
	}
	return b, reason, nil
}

// Device describes a device as the --device flag takes it.
type Device struct {
	Spec         string // "cpu" or "opencl:P:D"
	Name         string
	Platform     string
	Vendor       string
	Type         string // "CPU (host)", "GPU", "CPU", "accelerator"
	GlobalMem    int64
	MaxAlloc     int64
	ComputeUnits int
	FP64         bool
	Auto         bool // what "auto" would choose (for float32)
}

// Devices lists the devices: the host CPU first, then every OpenCL device.
// The error, when OpenCL is absent, explains why only the CPU is listed; the
// list is valid either way.
func Devices() ([]Device, error) {
	host := Device{Spec: "cpu", Name: "host CPU", Type: "CPU (host)", FP64: true}
	if b, err := cpu.New(); err == nil {
		host.Name = b.Name()
		b.Close()
	}
	list := []Device{host}
	infos, err := gpu.Devices()
	auto := -1
	for _, d := range infos {
		list = append(list, Device{Spec: d.Spec, Name: d.Name, Platform: d.Platform, Vendor: d.Vendor, Type: d.Type,
			GlobalMem: d.GlobalMem, MaxAlloc: d.MaxAlloc, ComputeUnits: d.ComputeUnits, FP64: d.FP64})
		if auto < 0 && d.Type == "GPU" {
			auto = len(list) - 1
		}
	}
	if auto < 0 {
		auto = 0
	}
	list[auto].Auto = true
	return list, err
}

// profileOf is the OpenCL kernel profile b runs ("gpu" or "cpu"), or ""
// for a backend without one (the host CPU's).
func profileOf(b backend.Backend) string {
	if p, ok := b.(interface{ Profile() string }); ok {
		return p.Profile()
	}
	return ""
}
