package cl

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNoOpenCL reports that no OpenCL library could be loaded. Errors
// returned by [Load] (and by every function that loads the library on first
// use) wrap it, with the library names tried and the dynamic loader's
// messages.
var ErrNoOpenCL = errors.New("cl: no OpenCL library found")

// ErrNoPlatform reports that the OpenCL library was loaded but has no
// platform: clGetPlatformIDs returned none or CL_PLATFORM_NOT_FOUND_KHR,
// which is what an ICD loader without any installed driver yields.
var ErrNoPlatform = errors.New("cl: no OpenCL platform")

// ErrNoDevice reports that no OpenCL device was found, for example by
// [DefaultDevice].
var ErrNoDevice = errors.New("cl: no OpenCL device")

// ErrTooLarge reports a buffer that does not fit on the device: larger than
// the device's maximum allocation, larger than the global memory left to the
// context, or refused by the driver with CL_MEM_OBJECT_ALLOCATION_FAILURE.
// Test for it with errors.Is.
var ErrTooLarge = errors.New("cl: buffer too large")

// ErrClosed reports the use of an object after it (or the [Context] it
// belongs to) was closed. Test for it with errors.Is.
var ErrClosed = errors.New("cl: use of closed object")

// Error is a failed OpenCL call: the name of the C function and the status
// code it returned.
type Error struct {
	Call   string // the OpenCL function, e.g. "clEnqueueNDRangeKernel"
	Status int32  // the cl_int status code, e.g. -5
}

// Error returns the call and status, e.g.
// "clEnqueueNDRangeKernel: CL_OUT_OF_RESOURCES (-5)".
func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s (%d)", e.Call, StatusName(e.Status), e.Status)
}

// Is makes errors.Is(err, ErrTooLarge) true for
// CL_MEM_OBJECT_ALLOCATION_FAILURE, and errors.Is(err, ErrNoPlatform) true
// for CL_PLATFORM_NOT_FOUND_KHR.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrTooLarge:
		return e.Status == statusMemObjectAllocationFailure
	case ErrNoPlatform:
		return e.Status == statusPlatformNotFoundKHR
	}
	return false
}

const (
	statusSuccess                    = 0
	statusDeviceNotFound             = -1
	statusMemObjectAllocationFailure = -4
	statusBuildProgramFailure        = -11
	statusInvalidValue               = -30
	statusPlatformNotFoundKHR        = -1001
)

// statusNames maps OpenCL status codes to their names: all of OpenCL 1.2,
// the few added by later versions, and those of common extensions.
var statusNames = map[int32]string{
	0:   "CL_SUCCESS",
	-1:  "CL_DEVICE_NOT_FOUND",
	-2:  "CL_DEVICE_NOT_AVAILABLE",
	-3:  "CL_COMPILER_NOT_AVAILABLE",
	-4:  "CL_MEM_OBJECT_ALLOCATION_FAILURE",
	-5:  "CL_OUT_OF_RESOURCES",
	-6:  "CL_OUT_OF_HOST_MEMORY",
	-7:  "CL_PROFILING_INFO_NOT_AVAILABLE",
	-8:  "CL_MEM_COPY_OVERLAP",
	-9:  "CL_IMAGE_FORMAT_MISMATCH",
	-10: "CL_IMAGE_FORMAT_NOT_SUPPORTED",
	-11: "CL_BUILD_PROGRAM_FAILURE",
	-12: "CL_MAP_FAILURE",
	-13: "CL_MISALIGNED_SUB_BUFFER_OFFSET",
	-14: "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST",
	-15: "CL_COMPILE_PROGRAM_FAILURE",
	-16: "CL_LINKER_NOT_AVAILABLE",
	-17: "CL_LINK_PROGRAM_FAILURE",
	-18: "CL_DEVICE_PARTITION_FAILED",
	-19: "CL_KERNEL_ARG_INFO_NOT_AVAILABLE",
	-30: "CL_INVALID_VALUE",
	-31: "CL_INVALID_DEVICE_TYPE",
	-32: "CL_INVALID_PLATFORM",
	-33: "CL_INVALID_DEVICE",
	-34: "CL_INVALID_CONTEXT",
	-35: "CL_INVALID_QUEUE_PROPERTIES",
	-36: "CL_INVALID_COMMAND_QUEUE",
	-37: "CL_INVALID_HOST_PTR",
	-38: "CL_INVALID_MEM_OBJECT",
	-39: "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR",
	-40: "CL_INVALID_IMAGE_SIZE",
	-41: "CL_INVALID_SAMPLER",
	-42: "CL_INVALID_BINARY",
	-43: "CL_INVALID_BUILD_OPTIONS",
	-44: "CL_INVALID_PROGRAM",
	-45: "CL_INVALID_PROGRAM_EXECUTABLE",
	-46: "CL_INVALID_KERNEL_NAME",
	-47: "CL_INVALID_KERNEL_DEFINITION",
	-48: "CL_INVALID_KERNEL",
	-49: "CL_INVALID_ARG_INDEX",
	-50: "CL_INVALID_ARG_VALUE",
	-51: "CL_INVALID_ARG_SIZE",
	-52: "CL_INVALID_KERNEL_ARGS",
	-53: "CL_INVALID_WORK_DIMENSION",
	-54: "CL_INVALID_WORK_GROUP_SIZE",
	-55: "CL_INVALID_WORK_ITEM_SIZE",
	-56: "CL_INVALID_GLOBAL_OFFSET",
	-57: "CL_INVALID_EVENT_WAIT_LIST",
	-58: "CL_INVALID_EVENT",
	-59: "CL_INVALID_OPERATION",
	-60: "CL_INVALID_GL_OBJECT",
	-61: "CL_INVALID_BUFFER_SIZE",
	-62: "CL_INVALID_MIP_LEVEL",
	-63: "CL_INVALID_GLOBAL_WORK_SIZE",
	-64: "CL_INVALID_PROPERTY",
	-65: "CL_INVALID_IMAGE_DESCRIPTOR",
	-66: "CL_INVALID_COMPILER_OPTIONS",
	-67: "CL_INVALID_LINKER_OPTIONS",
	-68: "CL_INVALID_DEVICE_PARTITION_COUNT",
	// OpenCL 2.0 and later.
	-69: "CL_INVALID_PIPE_SIZE",
	-70: "CL_INVALID_DEVICE_QUEUE",
	-71: "CL_INVALID_SPEC_ID",
	-72: "CL_MAX_SIZE_RESTRICTION_EXCEEDED",
	// Extensions.
	-1000: "CL_INVALID_GL_SHAREGROUP_REFERENCE_KHR",
	-1001: "CL_PLATFORM_NOT_FOUND_KHR",
	-1002: "CL_INVALID_D3D10_DEVICE_KHR",
	-1003: "CL_INVALID_D3D10_RESOURCE_KHR",
	-1004: "CL_D3D10_RESOURCE_ALREADY_ACQUIRED_KHR",
	-1005: "CL_D3D10_RESOURCE_NOT_ACQUIRED_KHR",
	-1006: "CL_INVALID_D3D11_DEVICE_KHR",
	-1007: "CL_INVALID_D3D11_RESOURCE_KHR",
	-1008: "CL_D3D11_RESOURCE_ALREADY_ACQUIRED_KHR",
	-1009: "CL_D3D11_RESOURCE_NOT_ACQUIRED_KHR",
	-1010: "CL_INVALID_DX9_MEDIA_ADAPTER_KHR",
	-1011: "CL_INVALID_DX9_MEDIA_SURFACE_KHR",
	-1012: "CL_DX9_MEDIA_SURFACE_ALREADY_ACQUIRED_KHR",
	-1013: "CL_DX9_MEDIA_SURFACE_NOT_ACQUIRED_KHR",
	-1057: "CL_DEVICE_PARTITION_FAILED_EXT",
	-1058: "CL_INVALID_PARTITION_COUNT_EXT",
	-1059: "CL_INVALID_PARTITION_NAME_EXT",
	-1092: "CL_EGL_RESOURCE_NOT_ACQUIRED_KHR",
	-1093: "CL_INVALID_EGL_OBJECT_KHR",
	-1094: "CL_INVALID_ACCELERATOR_INTEL",
	-1095: "CL_INVALID_ACCELERATOR_TYPE_INTEL",
	-1096: "CL_INVALID_ACCELERATOR_DESCRIPTOR_INTEL",
	-1097: "CL_ACCELERATOR_TYPE_NOT_SUPPORTED_INTEL",
	-1098: "CL_INVALID_VA_API_MEDIA_ADAPTER_INTEL",
	-1099: "CL_INVALID_VA_API_MEDIA_SURFACE_INTEL",
	-1100: "CL_VA_API_MEDIA_SURFACE_ALREADY_ACQUIRED_INTEL",
	-1101: "CL_VA_API_MEDIA_SURFACE_NOT_ACQUIRED_INTEL",
	// NVIDIA's driver reports an out-of-bounds access in a kernel so.
	-9999: "CL_NV_KERNEL_ILLEGAL_BUFFER_READ_WRITE",
}

// StatusName returns the name of an OpenCL status code, e.g.
// "CL_OUT_OF_RESOURCES" for -5, or "CL_UNKNOWN_ERROR" for a code it does not
// know.
func StatusName(status int32) string {
	if s, ok := statusNames[status]; ok {
		return s
	}
	return "CL_UNKNOWN_ERROR"
}

// check turns a status into nil or an *Error.
func check(call string, status int32) error {
	if status == statusSuccess {
		return nil
	}
	return &Error{Call: call, Status: status}
}

// BuildError is a failed program build (see [Context.Build]).
type BuildError struct {
	Device  string // name of the device the program was built for
	Options string // the build options
	Log     string // the compiler's log (CL_PROGRAM_BUILD_LOG)
	Err     error  // the failed call, usually an *Error with CL_BUILD_PROGRAM_FAILURE
}

// Error returns the device, the options, the failed call and the build log.
func (e *BuildError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cl: building program for %s with options %q: %v", e.Device, e.Options, e.Err)
	if log := strings.TrimSpace(e.Log); log != "" {
		b.WriteString("\nbuild log:\n")
		b.WriteString(log)
	}
	return b.String()
}

// Unwrap returns the failed call's error.
func (e *BuildError) Unwrap() error { return e.Err }

// closedError is the error of a method called on a closed object.
func closedError(what string) error {
	return fmt.Errorf("%w: %s", ErrClosed, what)
}

// tooLargeError is a buffer size refused before allocation.
type tooLargeError struct{ msg string }

func (e *tooLargeError) Error() string        { return e.msg }
func (e *tooLargeError) Is(target error) bool { return target == ErrTooLarge }

// formatBytes formats a byte count for messages: "1.5 GiB", "12.0 MiB",
// "3.0 KiB" or "100 bytes".
func formatBytes(n int64) string {
	const (
		kib = 1 << 10
		mib = 1 << 20
		gib = 1 << 30
	)
	switch {
	case n >= gib:
		return fmt.Sprintf("%.1f GiB", float64(n)/gib)
	case n >= mib:
		return fmt.Sprintf("%.1f MiB", float64(n)/mib)
	case n >= kib:
		return fmt.Sprintf("%.1f KiB", float64(n)/kib)
	}
	return fmt.Sprintf("%d bytes", n)
}
