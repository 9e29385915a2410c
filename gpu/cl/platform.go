package cl

import (
	"bytes"
	"fmt"
	"strings"
	"unsafe"
)

// DeviceType is an OpenCL device type (cl_device_type), a bit set.
type DeviceType uint64

// Device types.
const (
	DeviceDefault     DeviceType = 1 << 0
	DeviceCPU         DeviceType = 1 << 1
	DeviceGPU         DeviceType = 1 << 2
	DeviceAccelerator DeviceType = 1 << 3
	DeviceCustom      DeviceType = 1 << 4
	DeviceAll         DeviceType = 0xFFFFFFFF
)

// String returns "CPU", "GPU", "accelerator", "custom" or "default", joined
// with "|" when several bits are set.
func (t DeviceType) String() string {
	if t == DeviceAll {
		return "all"
	}
	var parts []string
	for _, b := range []struct {
		t    DeviceType
		name string
	}{{DeviceCPU, "CPU"}, {DeviceGPU, "GPU"}, {DeviceAccelerator, "accelerator"}, {DeviceCustom, "custom"}, {DeviceDefault, "default"}} {
		if t&b.t != 0 {
			parts = append(parts, b.name)
			t &^= b.t
		}
	}
	if t != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint64(t)))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "|")
}

// Platform is an OpenCL platform (an installed driver). Platforms need no
// closing.
type Platform struct {
	id                                uintptr
	name, vendor, version, extensions string
}

// Platforms returns the OpenCL platforms, loading the library first (see
// [Load]). With the library present but no platform, the error wraps
// [ErrNoPlatform].
func Platforms() ([]*Platform, error) {
	if err := Load(); err != nil {
		return nil, err
	}
	var n uint32
	st := clGetPlatformIDs(0, nil, &n)
	if st == statusPlatformNotFoundKHR || (st == statusSuccess && n == 0) {
		if st == statusSuccess {
			return nil, ErrNoPlatform
		}
		return nil, fmt.Errorf("%w: %w", ErrNoPlatform, &Error{"clGetPlatformIDs", st})
	}
	if err := check("clGetPlatformIDs", st); err != nil {
		return nil, err
	}
	ids := make([]uintptr, n)
	if err := check("clGetPlatformIDs", clGetPlatformIDs(n, unsafe.Pointer(&ids[0]), &n)); err != nil {
		return nil, err
	}
	ps := make([]*Platform, 0, n)
	for _, id := range ids[:min(int(n), len(ids))] {
		p := &Platform{id: id}
		var err error
		str := func(param uint32) string {
			var s string
			if err == nil {
				s, err = infoString("clGetPlatformInfo", func(size uintptr, v unsafe.Pointer, ret *uintptr) int32 {
					return clGetPlatformInfo(id, param, size, v, ret)
				})
			}
			return s
		}
		p.name, p.vendor, p.version, p.extensions = str(clPlatformName), str(clPlatformVendor), str(clPlatformVersion), str(clPlatformExtensions)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// Name returns the platform's name, e.g. "Portable Computing Language".
func (p *Platform) Name() string {
	if p == nil {
		return ""
	}
	return p.name
}

// Vendor returns the platform's vendor.
func (p *Platform) Vendor() string {
	if p == nil {
		return ""
	}
	return p.vendor
}

// Version returns the platform's version string, e.g. "OpenCL 3.0 PoCL 5.0".
func (p *Platform) Version() string {
	if p == nil {
		return ""
	}
	return p.version
}

// Extensions returns the platform's extensions, separated by spaces.
func (p *Platform) Extensions() string {
	if p == nil {
		return ""
	}
	return p.extensions
}

// String returns the platform's name.
func (p *Platform) String() string { return p.Name() }

// Devices returns all the platform's devices, of every type, with their
// information read. A platform without devices gives an empty slice and no
// error.
func (p *Platform) Devices() ([]*Device, error) {
	if p == nil || p.id == 0 {
		return nil, fmt.Errorf("cl: Devices of a nil platform")
	}
	var n uint32
	st := clGetDeviceIDs(p.id, clDeviceTypeAll, 0, nil, &n)
	if st == statusDeviceNotFound || (st == statusSuccess && n == 0) {
		return []*Device{}, nil
	}
	if err := check("clGetDeviceIDs", st); err != nil {
		return nil, err
	}
	ids := make([]uintptr, n)
	if err := check("clGetDeviceIDs", clGetDeviceIDs(p.id, clDeviceTypeAll, n, unsafe.Pointer(&ids[0]), &n)); err != nil {
		return nil, err
	}
	ds := make([]*Device, 0, n)
	for _, id := range ids[:min(int(n), len(ids))] {
		d, err := newDevice(p, id)
		if err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	return ds, nil
}

// Device is an OpenCL device with its information, read once when listed by
// [Platform.Devices]. Devices need no closing.
type Device struct {
	Name          string     // CL_DEVICE_NAME, e.g. "NVIDIA H200"
	Vendor        string     // CL_DEVICE_VENDOR
	Version       string     // CL_DEVICE_VERSION, e.g. "OpenCL 3.0 CUDA"
	DriverVersion string     // CL_DRIVER_VERSION
	CVersion      string     // CL_DEVICE_OPENCL_C_VERSION, e.g. "OpenCL C 1.2"
	Type          DeviceType // CL_DEVICE_TYPE

	GlobalMem int64 // CL_DEVICE_GLOBAL_MEM_SIZE in bytes
	MaxAlloc  int64 // CL_DEVICE_MAX_MEM_ALLOC_SIZE: largest single buffer in bytes
	LocalMem  int64 // CL_DEVICE_LOCAL_MEM_SIZE: __local memory per work-group in bytes

	ComputeUnits     int   // CL_DEVICE_MAX_COMPUTE_UNITS
	ClockMHz         int   // CL_DEVICE_MAX_CLOCK_FREQUENCY: the highest clock in MHz (0: not reported)
	MaxWorkGroupSize int   // CL_DEVICE_MAX_WORK_GROUP_SIZE
	MaxWorkItemSizes []int // CL_DEVICE_MAX_WORK_ITEM_SIZES, one per dimension

	// FP64 reports double precision support: cl_khr_fp64 among the
	// extensions, or a non-zero CL_DEVICE_DOUBLE_FP_CONFIG.
	FP64       bool
	Extensions string // CL_DEVICE_EXTENSIONS, separated by spaces
	// FP32DivSqrt reports CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT in
	// CL_DEVICE_SINGLE_FP_CONFIG: the device takes the build option
	// -cl-fp32-correctly-rounded-divide-sqrt.
	FP32DivSqrt bool
	// ComputeCapabilityNV is an NVIDIA device's compute capability, major
	// and minor (cl_nv_device_attribute_query), e.g. {9, 0} for Hopper;
	// zero on other devices.
	ComputeCapabilityNV [2]int

	Platform *Platform // the platform the device belongs to

	id uintptr
}

// String returns the device's name and type and its platform's name.
func (d *Device) String() string {
	if d == nil {
		return "<nil device>"
	}
	p := ""
	if d.Platform != nil {
		p = ", " + d.Platform.name
	}
	return fmt.Sprintf("%s (%s%s)", d.Name, d.Type, p)
}

// HasExtension reports whether the device lists the named extension.
func (d *Device) HasExtension(name string) bool {
	if d == nil {
		return false
	}
	for _, e := range strings.Fields(d.Extensions) {
		if e == name {
			return true
		}
	}
	return false
}

func newDevice(p *Platform, id uintptr) (*Device, error) {
	d := &Device{Platform: p, id: id}
	var err error
	str := func(param uint32) string {
		var s string
		if err == nil {
			s, err = infoString("clGetDeviceInfo", func(size uintptr, v unsafe.Pointer, ret *uintptr) int32 {
				return clGetDeviceInfo(id, param, size, v, ret)
			})
		}
		return s
	}
	num := func(param uint32, size uintptr) uint64 {
		if err != nil {
			return 0
		}
		if size == 4 {
			var v uint32
			err = check("clGetDeviceInfo", clGetDeviceInfo(id, param, 4, unsafe.Pointer(&v), nil))
			return uint64(v)
		}
		var v uint64
		err = check("clGetDeviceInfo", clGetDeviceInfo(id, param, 8, unsafe.Pointer(&v), nil))
		return v
	}
	d.Name = str(clDeviceName)
	d.Vendor = str(clDeviceVendor)
	d.Version = str(clDeviceVersion)
	d.DriverVersion = str(clDriverVersion)
	d.Extensions = str(clDeviceExtensions)
	d.Type = DeviceType(num(clDeviceType, 8))
	d.GlobalMem = int64(num(clDeviceGlobalMemSize, 8))
	d.MaxAlloc = int64(num(clDeviceMaxMemAllocSize, 8))
	d.LocalMem = int64(num(clDeviceLocalMemSize, 8))
	d.ComputeUnits = int(num(clDeviceMaxComputeUnits, 4))
	d.MaxWorkGroupSize = int(num(clDeviceMaxWorkGroupSize, sizeofPtr))
	dims := num(clDeviceMaxWorkItemDims, 4)
	if err != nil {
		return nil, fmt.Errorf("cl: reading information of a device of %s: %w", p.name, err)
	}
	if dims > 0 && dims <= 64 {
		sizes := make([]uintptr, dims)
		if err := check("clGetDeviceInfo", clGetDeviceInfo(id, clDeviceMaxWorkItemSizes, uintptr(dims)*sizeofPtr, unsafe.Pointer(&sizes[0]), nil)); err != nil {
			return nil, fmt.Errorf("cl: reading the work-item sizes of %s: %w", d.Name, err)
		}
		for _, s := range sizes {
			d.MaxWorkItemSizes = append(d.MaxWorkItemSizes, int(s))
		}
	}
	// Optional information: an OpenCL 1.0 device may not know it.
	d.CVersion = str(clDeviceOpenCLCVersion)
	var fp uint64
	st := clGetDeviceInfo(id, clDeviceDoubleFPConfig, 8, unsafe.Pointer(&fp), nil)
	d.FP64 = d.HasExtension("cl_khr_fp64") || (st == statusSuccess && fp != 0)
	var sp uint64
	st = clGetDeviceInfo(id, clDeviceSingleFPConfig, 8, unsafe.Pointer(&sp), nil)
	d.FP32DivSqrt = st == statusSuccess && sp&clFPCorrectlyRoundedDivSqrt != 0
	d.ClockMHz = int(optionalUint(id, clDeviceMaxClockFrequency))
	if d.HasExtension("cl_nv_device_attribute_query") {
		d.ComputeCapabilityNV = [2]int{int(optionalUint(id, clDeviceComputeCapabilityMajorNV)), int(optionalUint(id, clDeviceComputeCapabilityMinorNV))}
	}
	return d, nil
}

// optionalUint reads a cl_uint property of device id, 0 when the device
// does not answer.
func optionalUint(id uintptr, param uint32) uint32 {
	var v uint32
	if clGetDeviceInfo(id, param, 4, unsafe.Pointer(&v), nil) != statusSuccess {
		return 0
	}
	return v
}

// infoString reads a string property with the usual two calls: the size,
// then the value.
func infoString(call string, get func(size uintptr, v unsafe.Pointer, ret *uintptr) int32) (string, error) {
	var n uintptr
	if err := check(call, get(0, nil, &n)); err != nil {
		return "", err
	}
	if n == 0 {
		return "", nil
	}
	buf := make([]byte, n)
	if err := check(call, get(n, unsafe.Pointer(&buf[0]), nil)); err != nil {
		return "", err
	}
	if i := bytes.IndexByte(buf, 0); i >= 0 {
		buf = buf[:i]
	}
	return strings.TrimSpace(string(buf)), nil
}

// Devices returns the devices of all platforms.
func Devices() ([]*Device, error) {
	ps, err := Platforms()
	if err != nil {
		return nil, err
	}
	var all []*Device
	for _, p := range ps {
		ds, err := p.Devices()
		if err != nil {
			return nil, err
		}
		all = append(all, ds...)
	}
	return all, nil
}

// DefaultDevice returns the first GPU of all platforms, else the first
// accelerator, else the first device of any type. With no device at all the
// error wraps [ErrNoDevice] (or [ErrNoPlatform] or [ErrNoOpenCL]).
func DefaultDevice() (*Device, error) {
	all, err := Devices()
	if err != nil {
		return nil, err
	}
	for _, want := range []DeviceType{DeviceGPU, DeviceAccelerator} {
		for _, d := range all {
			if d.Type&want != 0 {
				return d, nil
			}
		}
	}
	if len(all) == 0 {
		return nil, ErrNoDevice
	}
	return all[0], nil
}
