// Package gpu implements backend.Backend with OpenCL kernels (package
// kernels) through the run-time binding in gpu/cl, on any vendor's device:
// GPUs, and CPUs through PoCL.
//
// Every matrix, the data X and all scratch live on the device for the whole
// fit; the only values read back during a fit are the scalars the interface
// returns (Divergence, CDSweep's violation). Programs are built once per
// precision on first use and cached; scratch buffers are allocated on first
// use and reused.
package gpu

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/clnmf/clnmf/gpu/cl"
)

// The errors Open and Devices wrap when OpenCL is missing, so that callers
// can fall back to the CPU with errors.Is. They are the gpu/cl sentinels.
var (
	ErrNoOpenCL   = cl.ErrNoOpenCL   // no OpenCL library could be loaded
	ErrNoPlatform = cl.ErrNoPlatform // the library found no platform (driver)
	ErrNoDevice   = cl.ErrNoDevice   // no device, or none matching the spec
)

// DeviceInfo describes one OpenCL device, as listed by Devices.
type DeviceInfo struct {
	Spec         string // "opencl:P:D", the spec that opens this device
	Platform     string // the platform's name, e.g. "Portable Computing Language"
	Name         string // the device's name, e.g. "NVIDIA H200"
	Vendor       string // the device's vendor
	Type         string // "GPU", "CPU", "accelerator", ...
	GlobalMem    int64  // global memory in bytes
	MaxAlloc     int64  // largest single buffer in bytes
	ComputeUnits int    // number of compute units
	FP64         bool   // double precision supported
	// Profile is the profile an open backend runs ("gpu" or "cpu"; see
	// Profile); empty in the list of Devices.
	Profile string
}

// Devices lists the devices of every OpenCL platform, in the order of their
// specs. Without OpenCL the error wraps ErrNoOpenCL or ErrNoPlatform.
func Devices() ([]DeviceInfo, error) {
	plats, err := cl.Platforms()
	if err != nil {
		return nil, fmt.Errorf("gpu: %w", err)
	}
	var out []DeviceInfo
	for pi, p := range plats {
		devs, err := p.Devices()
		if err != nil {
			return nil, fmt.Errorf("gpu: platform %d (%s): %w", pi, p.Name(), err)
		}
		for di, d := range devs {
			out = append(out, info(pi, di, p, d))
		}
	}
	return out, nil
}

func info(pi, di int, p *cl.Platform, d *cl.Device) DeviceInfo {
	return DeviceInfo{
		Spec:         fmt.Sprintf("opencl:%d:%d", pi, di),
		Platform:     p.Name(),
		Name:         strings.TrimSpace(d.Name),
		Vendor:       strings.TrimSpace(d.Vendor),
		Type:         d.Type.String(),
		GlobalMem:    d.GlobalMem,
		MaxAlloc:     d.MaxAlloc,
		ComputeUnits: d.ComputeUnits,
		FP64:         d.FP64,
	}
}

// specHelp lists the accepted device specs, for error messages.
const specHelp = `"opencl" (first device), "gpu" (first GPU) or "opencl:P:D" (platform P, device D; see Devices)`

// find resolves a spec to a device and its indices.
func find(spec string) (pi, di int, p *cl.Platform, d *cl.Device, err error) {
	want := -1 // -1: a specific device; else a type to match
	var wantType cl.DeviceType
	switch {
	case spec == "opencl":
		want = 0
	case spec == "gpu":
		want, wantType = 0, cl.DeviceGPU
	case strings.HasPrefix(spec, "opencl:"):
		parts := strings.Split(strings.TrimPrefix(spec, "opencl:"), ":")
		if len(parts) != 2 {
			return 0, 0, nil, nil, fmt.Errorf("gpu: bad device spec %q: want %s", spec, specHelp)
		}
		var e1, e2 error
		pi, e1 = strconv.Atoi(parts[0])
		di, e2 = strconv.Atoi(parts[1])
		if e1 != nil || e2 != nil || pi < 0 || di < 0 {
			return 0, 0, nil, nil, fmt.Errorf("gpu: bad device spec %q: want %s", spec, specHelp)
		}
	default:
		return 0, 0, nil, nil, fmt.Errorf("gpu: bad device spec %q: want %s", spec, specHelp)
	}
	plats, err := cl.Platforms()
	if err != nil {
		return 0, 0, nil, nil, fmt.Errorf("gpu: device %s: %w", spec, err)
	}
	if want < 0 {
		if pi >= len(plats) {
			return 0, 0, nil, nil, fmt.Errorf("gpu: device %s: platform %d does not exist (%d platforms): %w", spec, pi, len(plats), ErrNoPlatform)
		}
		devs, err := plats[pi].Devices()
		if err != nil {
			return 0, 0, nil, nil, fmt.Errorf("gpu: device %s: %w", spec, err)
		}
		if di >= len(devs) {
			return 0, 0, nil, nil, fmt.Errorf("gpu: device %s: platform %d (%s) has no device %d (%d devices): %w", spec, pi, plats[pi].Name(), di, len(devs), ErrNoDevice)
		}
		return pi, di, plats[pi], devs[di], nil
	}
	n := 0
	for pi, p := range plats {
		devs, err := p.Devices()
		if err != nil {
			return 0, 0, nil, nil, fmt.Errorf("gpu: device %s: platform %d (%s): %w", spec, pi, p.Name(), err)
		}
		for di, d := range devs {
			n++
			if wantType == 0 || d.Type&wantType != 0 {
				return pi, di, p, d, nil
			}
		}
	}
	if wantType != 0 {
		return 0, 0, nil, nil, fmt.Errorf("gpu: no OpenCL GPU among %d devices: %w", n, ErrNoDevice)
	}
	return 0, 0, nil, nil, fmt.Errorf("gpu: %s: no OpenCL device on %d platforms: %w", spec, len(plats), ErrNoDevice)
}

// Open opens the device named by spec: "opencl" (the first device of any
// type, PoCL's CPU device included), "gpu" (the first GPU; none gives an
// error wrapping ErrNoDevice) or "opencl:P:D" (device D of platform P, as
// Devices lists them). Without OpenCL the error wraps ErrNoOpenCL or
// ErrNoPlatform. The caller must Close the backend. It is OpenWith with the
// zero Options: the profile from CLNMF_OPENCL_PROFILE or the device type,
// the tuning cache read.
func Open(spec string) (*Backend, error) { return OpenWith(spec, Options{}) }

// OpenWith is Open with options.
func OpenWith(spec string, o Options) (*Backend, error) {
	pi, di, p, d, err := find(spec)
	if err != nil {
		return nil, err
	}
	prof, err := resolveProfile(o.Profile, d)
	if err != nil {
		return nil, err
	}
	ctx, err := cl.NewContext(d)
	if err != nil {
		return nil, fmt.Errorf("gpu: opencl:%d:%d (%s): %w", pi, di, strings.TrimSpace(d.Name), err)
	}
	return newBackend(ctx, fmt.Sprintf("opencl:%d:%d", pi, di), p, d, prof, !o.NoTuneCache), nil
}

// IsNoDevice reports whether err says there is no OpenCL library, platform
// or device, the errors for which callers fall back to the CPU.
func IsNoDevice(err error) bool {
	return errors.Is(err, ErrNoOpenCL) || errors.Is(err, ErrNoPlatform) || errors.Is(err, ErrNoDevice)
}
