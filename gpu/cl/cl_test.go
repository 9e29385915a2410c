package cl

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
)

// testDevice returns the device the tests run on. Without one they skip,
// unless CI=true, where they fail.
func testDevice(t testing.TB) *Device {
	t.Helper()
	d, err := DefaultDevice()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no OpenCL device (CI=true, so failing instead of skipping): %v", err)
		}
		t.Skipf("no OpenCL device: %v", err)
	}
	return d
}

// testContext returns a context on the test device, closed at the end of
// the test.
func testContext(t testing.TB) *Context {
	t.Helper()
	c, err := NewContext(testDevice(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

func TestPlatformsAndDevices(t *testing.T) {
	testDevice(t)
	ps, err := Platforms()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) == 0 {
		t.Fatal("no platforms and no error")
	}
	n := 0
	for _, p := range ps {
		t.Logf("platform %q vendor %q version %q (library %q)", p.Name(), p.Vendor(), p.Version(), Library())
		if p.Name() == "" || !strings.HasPrefix(p.Version(), "OpenCL ") {
			t.Errorf("platform name %q version %q", p.Name(), p.Version())
		}
		ds, err := p.Devices()
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			n++
			t.Logf("device %v: %s, driver %s, %s; global %s, max alloc %s, local %s, %d CUs at %d MHz, max wg %d, items %v, fp64 %v, NV cc %v",
				d, d.Version, d.DriverVersion, d.CVersion, formatBytes(d.GlobalMem), formatBytes(d.MaxAlloc),
				formatBytes(d.LocalMem), d.ComputeUnits, d.ClockMHz, d.MaxWorkGroupSize, d.MaxWorkItemSizes, d.FP64, d.ComputeCapabilityNV)
			switch {
			case d.Name == "", d.Vendor == "", !strings.HasPrefix(d.Version, "OpenCL "), d.DriverVersion == "":
				t.Errorf("device strings: %+v", d)
			case d.Type&(DeviceCPU|DeviceGPU|DeviceAccelerator|DeviceCustom) == 0:
				t.Errorf("device type %v", d.Type)
			case d.GlobalMem <= 0, d.MaxAlloc <= 0, d.MaxAlloc > d.GlobalMem, d.LocalMem <= 0:
				t.Errorf("device memory: global %d, max alloc %d, local %d", d.GlobalMem, d.MaxAlloc, d.LocalMem)
			case d.ComputeUnits <= 0, d.MaxWorkGroupSize <= 0, len(d.MaxWorkItemSizes) < 1, d.MaxWorkItemSizes[0] <= 0:
				t.Errorf("device sizes: %d CUs, max wg %d, items %v", d.ComputeUnits, d.MaxWorkGroupSize, d.MaxWorkItemSizes)
			case d.Platform != p:
				t.Errorf("device platform %v, want %v", d.Platform, p)
			}
			if d.HasExtension("cl_khr_fp64") && !d.FP64 {
				t.Errorf("cl_khr_fp64 listed but FP64 false")
			}
			// Every OpenCL version requires CL_DEVICE_MAX_CLOCK_FREQUENCY;
			// the compute capability exists only with NVIDIA's extension.
			if d.ClockMHz <= 0 || d.ClockMHz > 100000 {
				t.Errorf("clock %d MHz", d.ClockMHz)
			}
			if hasCC := d.HasExtension("cl_nv_device_attribute_query"); hasCC != (d.ComputeCapabilityNV[0] > 0) {
				t.Errorf("compute capability %v with cl_nv_device_attribute_query %v", d.ComputeCapabilityNV, hasCC)
			}
		}
	}
	if n == 0 {
		t.Error("no devices")
	}
	all, err := Devices()
	if err != nil || len(all) != n {
		t.Errorf("Devices: %d devices, %v; want %d", len(all), err, n)
	}
}

func TestDeviceTypeString(t *testing.T) {
	for typ, want := range map[DeviceType]string{
		DeviceCPU: "CPU", DeviceGPU: "GPU", DeviceAccelerator: "accelerator",
		DeviceCPU | DeviceDefault: "CPU|default", DeviceAll: "all", 0: "none", 1 << 40: "0x10000000000",
	} {
		if got := typ.String(); got != want {
			t.Errorf("DeviceType(%#x).String() = %q, want %q", uint64(typ), got, want)
		}
	}
}

func TestErrors(t *testing.T) {
	e := &Error{Call: "clEnqueueNDRangeKernel", Status: -5}
	if got, want := e.Error(), "clEnqueueNDRangeKernel: CL_OUT_OF_RESOURCES (-5)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	for st := int32(0); st >= -68; st-- {
		if st <= -20 && st >= -29 {
			continue // unassigned
		}
		if StatusName(st) == "CL_UNKNOWN_ERROR" {
			t.Errorf("no name for status %d", st)
		}
	}
	for _, st := range []int32{-1000, -1001, -1002, -1003} {
		if StatusName(st) == "CL_UNKNOWN_ERROR" {
			t.Errorf("no name for status %d", st)
		}
	}
	if StatusName(-1001) != "CL_PLATFORM_NOT_FOUND_KHR" || StatusName(-54) != "CL_INVALID_WORK_GROUP_SIZE" || StatusName(12345) != "CL_UNKNOWN_ERROR" {
		t.Error("StatusName")
	}
	if !errors.Is(&Error{"clCreateBuffer", -4}, ErrTooLarge) || errors.Is(&Error{"clCreateBuffer", -5}, ErrTooLarge) {
		t.Error("Error.Is(ErrTooLarge)")
	}
	be := &BuildError{Device: "dev", Options: "-DX=1", Log: "<source>:3:5: error: oops\n", Err: &Error{"clBuildProgram", -11}}
	msg := be.Error()
	for _, s := range []string{"dev", `"-DX=1"`, "CL_BUILD_PROGRAM_FAILURE", ":3:5: error: oops"} {
		if !strings.Contains(msg, s) {
			t.Errorf("BuildError %q lacks %q", msg, s)
		}
	}
	var ce *Error
	if !errors.As(be, &ce) || ce.Status != -11 {
		t.Error("BuildError does not unwrap to *Error")
	}
	for n, want := range map[int64]string{100: "100 bytes", 3 << 10: "3.0 KiB", 3 << 19: "1.5 MiB", 3 << 29: "1.5 GiB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestCheckAlloc(t *testing.T) {
	d := &Device{Name: "NVIDIA H200", GlobalMem: 4 << 30, MaxAlloc: 1 << 30}
	err := checkAlloc(d, 0, 3<<29)
	if want := "cl: buffer of 1.5 GiB exceeds the device's maximum allocation of 1.0 GiB (NVIDIA H200)"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if !errors.Is(err, ErrTooLarge) {
		t.Error("not ErrTooLarge")
	}
	d.MaxAlloc = 4 << 30
	err = checkAlloc(d, 4<<30-2254857830, 3<<30)
	if want := "cl: buffer needs 3.0 GiB but the device has 2.1 GiB of global memory left (of 4.0 GiB) (NVIDIA H200)"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if !errors.Is(err, ErrTooLarge) {
		t.Error("not ErrTooLarge")
	}
	if err := checkAlloc(d, 1<<30, 3<<30); err != nil {
		t.Errorf("exact fit: %v", err)
	}
}

func TestBuffers(t *testing.T) {
	c := testContext(t)
	q := c.Queue()
	if _, err := c.NewBuffer(0); err == nil {
		t.Error("NewBuffer(0) succeeded")
	}
	if _, err := c.NewBuffer(-1); err == nil {
		t.Error("NewBuffer(-1) succeeded")
	}
	b, err := c.NewBuffer(1000 * 8)
	if err != nil {
		t.Fatal(err)
	}
	if b.Size() != 8000 || c.Allocated() != 8000 {
		t.Errorf("Size %d, Allocated %d", b.Size(), c.Allocated())
	}

	t.Run("float32", func(t *testing.T) { testBuffersFloat32(t, q, b) })
	t.Run("float64", func(t *testing.T) { testBuffersFloat64(t, q, b) })
	t.Run("bounds", func(t *testing.T) { testBuffersBounds(t, q, b) })
	t.Run("fill", func(t *testing.T) { testBuffersFill(t, q, b) })
	t.Run("copy", func(t *testing.T) { testBuffersCopy(t, c, q, b) })

	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if c.Allocated() != 0 {
		t.Errorf("Allocated %d after Close", c.Allocated())
	}
}

// testBuffersFloat32 writes and reads float32s, whole and in part, through b.
func testBuffersFloat32(t *testing.T, q *Queue, b *Buffer) {
	src := make([]float32, 1000)
	for i := range src {
		src[i] = float32(i) + 0.25
	}
	if err := Write(q, b, 0, src); err != nil {
		t.Fatal(err)
	}
	got := make([]float32, 1000)
	if err := Read(q, b, 0, got); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if got[i] != src[i] {
			t.Fatalf("got[%d] = %v, want %v", i, got[i], src[i])
		}
	}
	// Overwrite elements 100..109 and read 20 elements from 95 on.
	if err := Write(q, b, 100*4, []float32{-1, -2, -3, -4, -5, -6, -7, -8, -9, -10}); err != nil {
		t.Fatal(err)
	}
	part := make([]float32, 20)
	if err := Read(q, b, 95*4, part); err != nil {
		t.Fatal(err)
	}
	for i, v := range part {
		j := 95 + i
		want := float32(j) + 0.25
		if j >= 100 && j < 110 {
			want = -float32(j - 99)
		}
		if v != want {
			t.Errorf("element %d = %v, want %v", j, v, want)
		}
	}
}

// testBuffersFloat64 writes and reads float64s at offsets through b.
func testBuffersFloat64(t *testing.T, q *Queue, b *Buffer) {
	src := make([]float64, 1000)
	for i := range src {
		src[i] = math.Sqrt(float64(i))
	}
	if err := Write(q, b, 0, src); err != nil {
		t.Fatal(err)
	}
	if err := Write(q, b, 8*500, []float64{math.Pi, math.E}); err != nil {
		t.Fatal(err)
	}
	got := make([]float64, 999)
	if err := Read(q, b, 8, got); err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		want := src[i+1]
		switch i + 1 {
		case 500:
			want = math.Pi
		case 501:
			want = math.E
		}
		if v != want {
			t.Fatalf("element %d = %v, want %v", i+1, v, want)
		}
	}
}

// testBuffersBounds checks that out-of-range and pointer transfers are refused.
func testBuffersBounds(t *testing.T, q *Queue, b *Buffer) {
	if err := Write(q, b, 7996, []float32{1, 2}); err == nil {
		t.Error("write past the end succeeded")
	}
	if err := Read(q, b, -4, make([]float32, 1)); err == nil {
		t.Error("read at negative offset succeeded")
	}
	if err := Write(q, b, 8000, []float32{}); err != nil {
		t.Errorf("empty write at the end: %v", err)
	}
	if err := Write(q, b, 0, []*int{nil}); err == nil || !strings.Contains(err.Error(), "pointers") {
		t.Errorf("write of pointers: %v", err)
	}
	type pair struct {
		A int32
		B float32
	}
	if err := Write(q, b, 0, []pair{{1, 2}}); err != nil {
		t.Errorf("write of struct: %v", err)
	}
}

// testBuffersFill checks Queue.Fill and its refusals.
func testBuffersFill(t *testing.T, q *Queue, b *Buffer) {
	if err := Write(q, b, 0, make([]float32, 2000)); err != nil {
		t.Fatal(err)
	}
	pattern := f32bytes(1.5)
	if err := q.Fill(b, pattern, 40, 400); err != nil {
		t.Fatal(err)
	}
	got := make([]float32, 2000)
	if err := Read(q, b, 0, got); err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		want := float32(0)
		if i >= 10 && i < 110 {
			want = 1.5
		}
		if v != want {
			t.Fatalf("element %d = %v, want %v", i, v, want)
		}
	}
	if err := q.Fill(b, []byte{1, 2, 3}, 0, 3); err == nil {
		t.Error("3-byte pattern accepted")
	}
	if err := q.Fill(b, pattern, 2, 4); err == nil {
		t.Error("misaligned offset accepted")
	}
	if err := q.Fill(b, pattern, 7996, 8); err == nil {
		t.Error("fill past the end accepted")
	}
}

// testBuffersCopy checks Queue.Copy between buffers and its refusals.
func testBuffersCopy(t *testing.T, c *Context, q *Queue, b *Buffer) {
	b2, err := c.NewBuffer(400)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	src := make([]int32, 100)
	for i := range src {
		src[i] = int32(i * 3)
	}
	if err := Write(q, b, 0, src); err != nil {
		t.Fatal(err)
	}
	if err := q.Fill(b2, []byte{0, 0, 0, 0}, 0, 400); err != nil {
		t.Fatal(err)
	}
	if err := q.Copy(b, b2, 40, 80, 120); err != nil { // elements 10..39 to 20..49
		t.Fatal(err)
	}
	got := make([]int32, 100)
	if err := Read(q, b2, 0, got); err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		want := int32(0)
		if i >= 20 && i < 50 {
			want = int32((i - 10) * 3)
		}
		if v != want {
			t.Fatalf("element %d = %v, want %v", i, v, want)
		}
	}
	if err := q.Copy(b, b2, 0, 300, 200); err == nil {
		t.Error("copy past the end accepted")
	}
	if underCheckAPI(t) {
		return
	}
	err = q.Copy(b, b, 0, 4, 100)
	var ce *Error
	if !errors.As(err, &ce) || ce.Call != "clEnqueueCopyBuffer" || StatusName(ce.Status) != "CL_MEM_COPY_OVERLAP" {
		t.Errorf("overlapping copy: %v", err)
	}
}

func f32bytes(v float32) []byte {
	u := math.Float32bits(v)
	return []byte{byte(u), byte(u >> 8), byte(u >> 16), byte(u >> 24)}
}

func TestTooLarge(t *testing.T) {
	c := testContext(t)
	d := c.Device()
	_, err := c.NewBuffer(d.MaxAlloc + 1)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("NewBuffer(MaxAlloc+1) = %v, want ErrTooLarge", err)
	}
	if !strings.Contains(err.Error(), "exceeds the device's maximum allocation of") || !strings.Contains(err.Error(), d.Name) {
		t.Errorf("message %q", err)
	}
	t.Log(err)
	if c.Allocated() != 0 {
		t.Errorf("Allocated %d", c.Allocated())
	}
}

const testSource = `
__kernel void vadd(__global const float* a, __global const float* b, __global float* c, const int n) {
	int i = get_global_id(0);
	if (i < n) c[i] = a[i] + b[i];
}

// Sum of each work-group's elements, through __local memory.
__kernel void groupsum(__global const float* x, __global float* out, __local float* tmp, const uint n) {
	uint lid = get_local_id(0), gid = get_global_id(0);
	tmp[lid] = gid < n ? x[gid] : 0.0f;
	barrier(CLK_LOCAL_MEM_FENCE);
	for (uint s = get_local_size(0) / 2; s > 0; s >>= 1) {
		if (lid < s) tmp[lid] += tmp[lid + s];
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	if (lid == 0) out[get_group_id(0)] = tmp[0];
}

// m[r][c] = r*cols + c + off, 2-D.
__kernel void index2d(__global float* m, const int rows, const int cols, const float off) {
	int c = get_global_id(0), r = get_global_id(1);
	if (r < rows && c < cols) m[r * cols + c] = (float)(r * cols + c) + off;
}

__kernel void wide(__global ulong* out, const ulong u, const long l) {
	if (get_global_id(0) == 0) { out[0] = u; out[1] = (ulong)l; }
}
`

const testSourceFP64 = `
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
__kernel void daxpy(__global double* y, __global const double* x, const double a, const int n) {
	int i = get_global_id(0);
	if (i < n) y[i] += a * x[i];
}
`

// kernelTestN is the length of TestKernels' vectors.
const kernelTestN = 1000

// kernelFixture is what TestKernels' subtests share: a context and its
// queue, the program built from testSource, the inputs a and b (written
// to ba and bb), and sum and bc for results.
type kernelFixture struct {
	c          *Context
	q          *Queue
	p          *Program
	a, b, sum  []float32
	ba, bb, bc *Buffer
}

func TestKernels(t *testing.T) {
	c := testContext(t)
	q := c.Queue()
	p, err := c.Build(testSource, "")
	if err != nil {
		t.Fatal(err)
	}
	if p2, err := c.Build(testSource, ""); err != nil || p2 != p {
		t.Errorf("second Build: %p, %v; want cached %p", p2, err, p)
	}
	p3, err := c.Build(testSource, "-DUNUSED=1")
	if err != nil || p3 == p {
		t.Errorf("Build with other options: %p, %v; want a new program", p3, err)
	}

	const n = kernelTestN
	a, b, sum := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range a {
		a[i], b[i] = float32(i), float32(2*i)+0.5
	}
	ba, bb, bc := mustBuffer(t, c, 4*n), mustBuffer(t, c, 4*n), mustBuffer(t, c, 4*n)
	if err := Write(q, ba, 0, a); err != nil {
		t.Fatal(err)
	}
	if err := Write(q, bb, 0, b); err != nil {
		t.Fatal(err)
	}
	f := &kernelFixture{c: c, q: q, p: p, a: a, b: b, sum: sum, ba: ba, bb: bb, bc: bc}

	t.Run("vadd", func(t *testing.T) { testKernelsVadd(t, f) })
	t.Run("groupsum", func(t *testing.T) { testKernelsGroupsum(t, f) })
	t.Run("index2d", func(t *testing.T) { testKernelsIndex2d(t, f) })
	t.Run("wide", func(t *testing.T) { testKernelsWide(t, f) })
	t.Run("fp64", func(t *testing.T) { testKernelsFP64(t, f) })
	t.Run("errors", func(t *testing.T) { testKernelsErrors(t, f) })
}

// testKernelsVadd runs vadd with and without a local size and checks its info queries.
func testKernelsVadd(t *testing.T, f *kernelFixture) {
	const n = kernelTestN
	c, q, p := f.c, f.q, f.p
	a, b, sum, ba, bb, bc := f.a, f.b, f.sum, f.ba, f.bb, f.bc
	k, err := p.Kernel("vadd")
	if err != nil {
		t.Fatal(err)
	}
	if k2, _ := p.Kernel("vadd"); k2 != k {
		t.Error("kernel not cached")
	}
	if k.Name() != "vadd" || k.NumArgs() != 4 {
		t.Errorf("Name %q NumArgs %d", k.Name(), k.NumArgs())
	}
	wg, err := k.WorkGroupSize()
	if err != nil || wg <= 0 || wg > c.Device().MaxWorkGroupSize {
		t.Errorf("WorkGroupSize = %d, %v", wg, err)
	}
	if m, err := k.PreferredWorkGroupMultiple(); err != nil || m <= 0 {
		t.Errorf("PreferredWorkGroupMultiple = %d, %v", m, err)
	}
	if lm, err := k.LocalMemSize(); err != nil || lm < 0 || lm > c.Device().LocalMem {
		t.Errorf("LocalMemSize = %d, %v", lm, err)
	}
	for _, tc := range []struct {
		global, local []int
	}{{[]int{n}, nil}, {[]int{1024}, []int{min(64, wg)}}} {
		if err := q.Fill(bc, []byte{0, 0, 0, 0}, 0, 4*n); err != nil {
			t.Fatal(err)
		}
		if err := k.SetArgs(ba, bb, bc, int32(n)); err != nil {
			t.Fatal(err)
		}
		if err := q.Run(k, tc.global, tc.local); err != nil {
			t.Fatalf("Run(%v, %v): %v", tc.global, tc.local, err)
		}
		if err := Read(q, bc, 0, sum); err != nil {
			t.Fatal(err)
		}
		for i := range sum {
			if sum[i] != a[i]+b[i] {
				t.Fatalf("global %v local %v: sum[%d] = %v, want %v", tc.global, tc.local, i, sum[i], a[i]+b[i])
			}
		}
	}
}

// testKernelsGroupsum runs groupsum, which uses local memory.
func testKernelsGroupsum(t *testing.T, f *kernelFixture) {
	const n = kernelTestN
	c, q, p, a, ba := f.c, f.q, f.p, f.a, f.ba
	k, err := p.Kernel("groupsum")
	if err != nil {
		t.Fatal(err)
	}
	wg, err := k.WorkGroupSize()
	if err != nil {
		t.Fatal(err)
	}
	local := 64
	for local > wg {
		local /= 2
	}
	groups := (n + local - 1) / local
	out := mustBuffer(t, c, int64(4*groups))
	if err := q.Launch(k, []int{groups * local}, []int{local}, ba, out, LocalMem(4*local), uint32(n)); err != nil {
		t.Fatal(err)
	}
	got := make([]float32, groups)
	if err := Read(q, out, 0, got); err != nil {
		t.Fatal(err)
	}
	for g := range got {
		var want float32
		for i := g * local; i < min((g+1)*local, n); i++ {
			want += a[i]
		}
		if got[g] != want {
			t.Errorf("group %d sum %v, want %v", g, got[g], want)
		}
	}
}

// testKernelsIndex2d runs a two-dimensional kernel.
func testKernelsIndex2d(t *testing.T, f *kernelFixture) {
	c, q, p := f.c, f.q, f.p
	k, err := p.Kernel("index2d")
	if err != nil {
		t.Fatal(err)
	}
	const rows, cols = 20, 30
	m := mustBuffer(t, c, 4*rows*cols)
	if err := k.SetArgs(m, int32(rows), int32(cols), float32(0.5)); err != nil {
		t.Fatal(err)
	}
	for _, local := range [][]int{nil, {2, 4}} {
		if err := q.Fill(m, []byte{0, 0, 0, 0}, 0, 4*rows*cols); err != nil {
			t.Fatal(err)
		}
		if err := q.Run(k, []int{32, 20}, local); err != nil {
			t.Fatal(err)
		}
		got := make([]float32, rows*cols)
		if err := Read(q, m, 0, got); err != nil {
			t.Fatal(err)
		}
		for i, v := range got {
			if v != float32(i)+0.5 {
				t.Fatalf("local %v: m[%d] = %v", local, i, v)
			}
		}
	}
}

// testKernelsWide passes 64-bit scalar arguments.
func testKernelsWide(t *testing.T, f *kernelFixture) {
	c, q, p := f.c, f.q, f.p
	k, err := p.Kernel("wide")
	if err != nil {
		t.Fatal(err)
	}
	out := mustBuffer(t, c, 16)
	const u, l = uint64(0xfedcba9876543210), int64(-1234567890123)
	if err := q.Launch(k, []int{1}, nil, out, u, l); err != nil {
		t.Fatal(err)
	}
	got := make([]uint64, 2)
	if err := Read(q, out, 0, got); err != nil {
		t.Fatal(err)
	}
	if got[0] != u || int64(got[1]) != l {
		t.Errorf("got %#x %d, want %#x %d", got[0], int64(got[1]), u, l)
	}
}

// testKernelsFP64 runs daxpy where the device has double precision.
func testKernelsFP64(t *testing.T, f *kernelFixture) {
	const n = kernelTestN
	c, q := f.c, f.q
	if !c.Device().FP64 {
		t.Logf("%v has no double precision: not testing it", c.Device())
		return
	}
	p, err := c.Build(testSourceFP64, "")
	if err != nil {
		t.Fatal(err)
	}
	k, err := p.Kernel("daxpy")
	if err != nil {
		t.Fatal(err)
	}
	x, y := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i], y[i] = float64(i), float64(n-i)+1e-9
	}
	bx, by := mustBuffer(t, c, 8*n), mustBuffer(t, c, 8*n)
	if err := Write(q, bx, 0, x); err != nil {
		t.Fatal(err)
	}
	if err := Write(q, by, 0, y); err != nil {
		t.Fatal(err)
	}
	if err := q.Launch(k, []int{n}, nil, by, bx, 0.25, int32(n)); err != nil {
		t.Fatal(err)
	}
	got := make([]float64, n)
	if err := Read(q, by, 0, got); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if want := y[i] + 0.25*x[i]; math.Abs(got[i]-want) > 1e-12*math.Abs(want) {
			t.Fatalf("y[%d] = %v, want %v", i, got[i], want)
		}
	}
}

// testKernelsErrors checks the refusals of SetArgs, SetArg, Run and Kernel.
func testKernelsErrors(t *testing.T, f *kernelFixture) {
	const n = kernelTestN
	c, q, p := f.c, f.q, f.p
	ba, bb, bc := f.ba, f.bb, f.bc
	k, err := p.Kernel("vadd")
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]any{
		{ba, bb, bc, n},                  // int
		{ba, bb, bc, "x"},                // string
		{ba, bb, []float32{1}, int32(n)}, // slice
		{ba, bb, (*Buffer)(nil), int32(n)},
	} {
		err := k.SetArgs(args...)
		if err == nil {
			t.Errorf("SetArgs(%T...) succeeded", args[len(args)-1])
			continue
		}
		t.Log(err)
		if !strings.Contains(err.Error(), "argument") {
			t.Errorf("error %q names no argument", err)
		}
	}
	if err := k.SetArgs(ba, bb, bc, int32(n)); err != nil {
		t.Fatal(err)
	}
	if err := k.SetArgs(ba, bb); err == nil {
		t.Error("SetArgs with too few arguments succeeded")
	}
	if err := k.SetArg(3, int32(n)); err != nil {
		t.Error(err)
	}
	if err := k.SetArg(4, int32(n)); err == nil {
		t.Error("SetArg(4) succeeded")
	}
	if err := q.Run(k, nil, nil); err == nil {
		t.Error("Run with no dimensions succeeded")
	}
	if err := q.Run(k, []int{1, 1, 1, 1}, nil); err == nil {
		t.Error("Run with 4 dimensions succeeded")
	}
	if err := q.Run(k, []int{64}, []int{8, 8}); err == nil {
		t.Error("Run with mismatched local size succeeded")
	}
	// The rest are errors of OpenCL calls.
	if underCheckAPI(t) {
		return
	}
	if _, err := p.Kernel("nosuchkernel"); err == nil || !strings.Contains(err.Error(), "CL_INVALID_KERNEL_NAME") {
		t.Errorf("missing kernel: %v", err)
	}
	err = k.SetArg(3, float64(1))
	var ae *Error
	if !errors.As(err, &ae) || ae.Call != "clSetKernelArg" || !strings.Contains(err.Error(), "argument 3") {
		t.Errorf("SetArg of a double for an int: %v", err)
	}
	big := c.Device().MaxWorkGroupSize * 2
	err = q.Run(k, []int{big}, []int{big})
	var ce *Error
	if !errors.As(err, &ce) || ce.Call != "clEnqueueNDRangeKernel" || !strings.Contains(err.Error(), "kernel vadd") {
		t.Errorf("Run with too large a work-group: %v", err)
	}
	t.Log(err)
}

// underCheckAPI reports, and logs, that the test runs under
// "oclgrind --check-api", which reports the OpenCL errors that a test
// provokes on purpose: such tests return early there, so that oclgrind's
// log lists real faults only.
func underCheckAPI(t testing.TB) bool {
	t.Helper()
	if os.Getenv("OCLGRIND_CHECK_API") == "1" {
		t.Log("under oclgrind --check-api: not provoking OpenCL errors")
		return true
	}
	return false
}

func mustBuffer(t testing.TB, c *Context, size int64) *Buffer {
	t.Helper()
	b, err := c.NewBuffer(size)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBuildError(t *testing.T) {
	c := testContext(t)
	if underCheckAPI(t) {
		return
	}
	src := "__kernel void bad(__global float* x) {\n" +
		"\tint i = get_global_id(0);\n" +
		"\tx[i] = undeclared_thing_42 * 2.0f;\n" +
		"}\n"
	_, err := c.Build(src, "-DFOO=1")
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("Build = %v, want *BuildError", err)
	}
	t.Log(err)
	if !strings.Contains(be.Log, "undeclared_thing_42") || !strings.Contains(be.Log, ":3:") {
		t.Errorf("log does not point at line 3: %q", be.Log)
	}
	if be.Device != c.Device().Name || be.Options != "-DFOO=1" || !strings.Contains(err.Error(), "-DFOO=1") {
		t.Errorf("BuildError %+v", be)
	}
	var ce *Error
	if !errors.As(err, &ce) || ce.Call != "clBuildProgram" {
		t.Errorf("BuildError.Err = %v", be.Err)
	}
	// A failed build is not cached; a good one still builds.
	if _, err := c.Build("__kernel void ok(__global float* x) { x[0] = 1.0f; }", ""); err != nil {
		t.Error(err)
	}
}

func TestClose(t *testing.T) {
	d := testDevice(t)
	c, err := NewContext(d)
	if err != nil {
		t.Fatal(err)
	}
	q := c.Queue()
	b := mustBuffer(t, c, 4096)
	b2 := mustBuffer(t, c, 4096)
	p, err := c.Build(testSource, "")
	if err != nil {
		t.Fatal(err)
	}
	k, err := p.Kernel("vadd")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := p.Kernel("wide")
	if err != nil {
		t.Fatal(err)
	}

	closeBuffers(t, c, q, b, b2, k)
	closeKernels(t, c, q, b, p, k2)
	closeContext(t, d, c, q, b, p, k)
}

// closeBuffers is TestClose's part on closing buffers: a closed buffer
// refuses transfers and kernel arguments, and a kernel whose argument was
// closed refuses to run until the argument is replaced.
func closeBuffers(t *testing.T, c *Context, q *Queue, b, b2 *Buffer, k *Kernel) {
	// Closing single objects.
	if err := b2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b2.Close(); err != nil {
		t.Errorf("second buffer Close: %v", err)
	}
	if err := Write(q, b2, 0, []float32{1}); !errors.Is(err, ErrClosed) {
		t.Errorf("Write to closed buffer: %v", err)
	}
	if err := k.SetArgs(b2, b, b, int32(1)); !errors.Is(err, ErrClosed) {
		t.Errorf("SetArgs with closed buffer: %v", err)
	}
	// A kernel whose buffer argument was closed since refuses to run.
	if err := Write(q, b, 0, make([]float32, 1024)); err != nil {
		t.Fatal(err)
	}
	b3 := mustBuffer(t, c, 4096)
	if err := k.SetArgs(b3, b, b, int32(1)); err != nil {
		t.Fatal(err)
	}
	if err := b3.Close(); err != nil {
		t.Fatal(err)
	}
	if err := q.Run(k, []int{1}, nil); !errors.Is(err, ErrClosed) || !strings.Contains(err.Error(), "argument 0") {
		t.Errorf("Run with a closed buffer argument: %v", err)
	}
	if err := k.SetArgs(b, b, b, int32(1)); err != nil {
		t.Fatal(err)
	}
	if err := q.Run(k, []int{1}, nil); err != nil {
		t.Errorf("Run after replacing the closed buffer: %v", err)
	}
}

// closeKernels is TestClose's part on closing kernels and programs.
func closeKernels(t *testing.T, c *Context, q *Queue, b *Buffer, p *Program, k2 *Kernel) {
	if err := k2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := k2.Close(); err != nil {
		t.Error(err)
	}
	if err := q.Run(k2, []int{1}, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Run of closed kernel: %v", err)
	}
	if k3, err := p.Kernel("wide"); err != nil || k3 == k2 {
		t.Errorf("Kernel after closing the cached one: %p %v", k3, err)
	}
	if c.Allocated() != 4096 {
		t.Errorf("Allocated %d", c.Allocated())
	}
	p2, err := c.Build("__kernel void z(__global int* x) { x[0] = 0; }", "")
	if err != nil {
		t.Fatal(err)
	}
	kz, err := p2.Kernel("z")
	if err != nil {
		t.Fatal(err)
	}
	if err := p2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := kz.SetArgs(b); !errors.Is(err, ErrClosed) {
		t.Errorf("SetArgs on a kernel of a closed program: %v", err)
	}
	if _, err := p2.Kernel("z"); !errors.Is(err, ErrClosed) {
		t.Errorf("Kernel of a closed program: %v", err)
	}

}

// closeContext is TestClose's last part: closing the context closes every
// object made from it, and their methods then report ErrClosed.
func closeContext(t *testing.T, d *Device, c *Context, q *Queue, b *Buffer, p *Program, k *Kernel) {
	// Closing the context closes the rest.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if c.Allocated() != 0 {
		t.Errorf("Allocated %d after Close", c.Allocated())
	}
	for name, err := range map[string]error{
		"Write":      Write(q, b, 0, []float32{1}),
		"Read":       Read(q, b, 0, []float32{1}),
		"Fill":       q.Fill(b, []byte{0}, 0, 1),
		"Copy":       q.Copy(b, b, 0, 8, 4),
		"Finish":     q.Finish(),
		"Flush":      q.Flush(),
		"SetArgs":    k.SetArgs(b, b, b, int32(1)),
		"SetArg":     k.SetArg(0, b),
		"Run":        q.Run(k, []int{1}, nil),
		"Launch":     q.Launch(k, []int{1}, nil, b, b, b, int32(1)),
		"NewBuffer":  second(c.NewBuffer(16)),
		"Build":      second(c.Build(testSource, "")),
		"Kernel":     second(p.Kernel("vadd")),
		"WGSize":     second(k.WorkGroupSize()),
		"LocalMem":   second(k.LocalMemSize()),
		"closeBuf":   nilIfOK(b.Close()),
		"closeProg":  nilIfOK(p.Close()),
		"closeKern":  nilIfOK(k.Close()),
		"closeCtx":   nilIfOK(c.Close()),
		"nilKernel":  q.Run(nil, []int{1}, nil),
		"nilBufCopy": q.Copy(nil, b, 0, 0, 1),
	} {
		if err == errOK {
			continue
		}
		if err == nil {
			t.Errorf("%s after Close succeeded", name)
		} else if strings.HasPrefix(name, "nil") {
			continue
		} else if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	if c.Device() != d || b.Size() != 4096 || k.Name() != "vadd" {
		t.Error("accessors after Close")
	}
}

// TestZeroObjects checks that nil and zero objects give errors, not panics.
func TestZeroObjects(t *testing.T) {
	var (
		nc *Context
		nq *Queue
		nb *Buffer
		np *Program
		nk *Kernel
		nd *Device
		zc = &Context{}
		zq = &Queue{}
		zb = &Buffer{}
		zp = &Program{}
		zk = &Kernel{}
	)
	if nc.Device() != nil || nc.Queue() != nil || nc.Allocated() != 0 || nb.Size() != 0 || nk.Name() != "" || nd.HasExtension("x") || (*Platform)(nil).Name() != "" {
		t.Error("nil accessors")
	}
	for i, err := range []error{
		second(NewContext(nil)), second(NewContext(&Device{})),
		second(nc.NewBuffer(1)), second(zc.NewBuffer(1)), second(nc.Build("x", "")), second(zc.Build("x", "")),
		nq.Finish(), zq.Finish(), nq.Flush(), zq.Flush(),
		Write(nq, nb, 0, []float32{1}), Write(zq, zb, 0, []float32{1}), Read(zq, zb, 0, []float32{1}),
		zq.Fill(zb, []byte{0}, 0, 1), zq.Copy(zb, zb, 0, 0, 1), nq.Run(nk, []int{1}, nil), zq.Run(zk, []int{1}, nil),
		zq.Launch(zk, []int{1}, nil), nk.SetArgs(), zk.SetArgs(), zk.SetArg(0, int32(1)), second(zk.WorkGroupSize()),
		second(np.Kernel("k")), second(zp.Kernel("k")), second((*Platform)(nil).Devices()),
	} {
		if err == nil {
			t.Errorf("call %d succeeded", i)
		}
	}
	for _, err := range []error{nc.Close(), zc.Close(), nb.Close(), zb.Close(), np.Close(), zp.Close(), nk.Close(), zk.Close()} {
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	}
}

var errOK = errors.New("ok")

func nilIfOK(err error) error {
	if err == nil {
		return errOK
	}
	return fmt.Errorf("unexpected: %w", err)
}

func second[T any](_ T, err error) error { return err }

func TestConcurrent(t *testing.T) {
	c := testContext(t)
	q := c.Queue()
	p, err := c.Build(testSource, "")
	if err != nil {
		t.Fatal(err)
	}
	k, err := p.Kernel("vadd")
	if err != nil {
		t.Fatal(err)
	}
	const n, workers = 256, 4
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- func() error {
				a, b, s := make([]float32, n), make([]float32, n), make([]float32, n)
				for i := range a {
					a[i], b[i] = float32(w), float32(i)
				}
				ba, err := c.NewBuffer(4 * n)
				if err != nil {
					return err
				}
				defer ba.Close()
				bb, err := c.NewBuffer(4 * n)
				if err != nil {
					return err
				}
				defer bb.Close()
				if err := Write(q, ba, 0, a); err != nil {
					return err
				}
				if err := Write(q, bb, 0, b); err != nil {
					return err
				}
				for range 5 {
					if err := q.Launch(k, []int{n}, nil, ba, bb, bb, int32(n)); err != nil {
						return err
					}
				}
				if err := Read(q, bb, 0, s); err != nil {
					return err
				}
				for i := range s {
					if s[i] != float32(i+5*w) {
						return fmt.Errorf("worker %d: s[%d] = %v", w, i, s[i])
					}
				}
				return nil
			}()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if c.Allocated() != 0 {
		t.Errorf("Allocated %d", c.Allocated())
	}
}
