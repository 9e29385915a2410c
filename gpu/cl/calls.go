package cl

import "unsafe"

// Typed wrappers of the OpenCL C functions. Handles (cl_platform_id,
// cl_context, cl_mem, ...) are uintptr; size_t is uintptr; cl_int status
// codes come back as int32. Every unsafe.Pointer is converted to uintptr in
// the ccall expression itself (see ccall).

const (
	clTrue = 1

	clPlatformProfile    = 0x0900
	clPlatformVersion    = 0x0901
	clPlatformName       = 0x0902
	clPlatformVendor     = 0x0903
	clPlatformExtensions = 0x0904

	clDeviceType                 = 0x1000
	clDeviceMaxComputeUnits      = 0x1002
	clDeviceMaxWorkItemDims      = 0x1003
	clDeviceMaxWorkGroupSize     = 0x1004
	clDeviceMaxWorkItemSizes     = 0x1005
	clDeviceMaxMemAllocSize      = 0x1010
	clDeviceGlobalMemSize        = 0x101F
	clDeviceLocalMemSize         = 0x1023
	clDeviceName                 = 0x102B
	clDeviceVendor               = 0x102C
	clDriverVersion              = 0x102D
	clDeviceVersion              = 0x102F
	clDeviceExtensions           = 0x1030
	clDeviceDoubleFPConfig       = 0x1032
	clDeviceOpenCLCVersion       = 0x103D
	clDeviceTypeAll              = 0xFFFFFFFF
	clContextPlatform            = 0x1084
	clMemReadWrite               = 1 << 0
	clProgramBuildLog            = 0x1183
	clKernelNumArgs              = 0x1191
	clKernelWorkGroupSize        = 0x11B0
	clKernelPreferredWGSMultiple = 0x11B3
	clKernelLocalMemSize         = 0x11B2
	clDeviceSingleFPConfig       = 0x101B
	clFPCorrectlyRoundedDivSqrt  = 1 << 7
	clQueueProfilingEnable       = 1 << 1
	clProfilingCommandStart      = 0x1282
	clProfilingCommandEnd        = 0x1283
	clDeviceMaxClockFrequency    = 0x100C
	// cl_nv_device_attribute_query
	clDeviceComputeCapabilityMajorNV = 0x4000
	clDeviceComputeCapabilityMinorNV = 0x4001
)

const sizeofPtr = unsafe.Sizeof(uintptr(0))

func clGetPlatformIDs(num uint32, platforms unsafe.Pointer, numPlatforms *uint32) int32 {
	return int32(ccall(fnGetPlatformIDs.addr, uintptr(num), uintptr(platforms), uintptr(unsafe.Pointer(numPlatforms))))
}

func clGetPlatformInfo(p uintptr, param uint32, size uintptr, value unsafe.Pointer, sizeRet *uintptr) int32 {
	return int32(ccall(fnGetPlatformInfo.addr, p, uintptr(param), size, uintptr(value), uintptr(unsafe.Pointer(sizeRet))))
}

func clGetDeviceIDs(p uintptr, typ uint64, num uint32, devices unsafe.Pointer, numDevices *uint32) int32 {
	return int32(ccall(fnGetDeviceIDs.addr, p, uintptr(typ), uintptr(num), uintptr(devices), uintptr(unsafe.Pointer(numDevices))))
}

func clGetDeviceInfo(d uintptr, param uint32, size uintptr, value unsafe.Pointer, sizeRet *uintptr) int32 {
	return int32(ccall(fnGetDeviceInfo.addr, d, uintptr(param), size, uintptr(value), uintptr(unsafe.Pointer(sizeRet))))
}

func clCreateContext(props *uintptr, numDevices uint32, devices *uintptr, errcode *int32) uintptr {
	return ccall(fnCreateContext.addr, uintptr(unsafe.Pointer(props)), uintptr(numDevices), uintptr(unsafe.Pointer(devices)), 0, 0, uintptr(unsafe.Pointer(errcode)))
}

func clReleaseContext(c uintptr) int32 { return int32(ccall(fnReleaseContext.addr, c)) }

func clCreateCommandQueue(c, d uintptr, props uint64, errcode *int32) uintptr {
	return ccall(fnCreateCommandQueue.addr, c, d, uintptr(props), uintptr(unsafe.Pointer(errcode)))
}

func clReleaseCommandQueue(q uintptr) int32 { return int32(ccall(fnReleaseCommandQueue.addr, q)) }
func clFinish(q uintptr) int32              { return int32(ccall(fnFinish.addr, q)) }
func clFlush(q uintptr) int32               { return int32(ccall(fnFlush.addr, q)) }

func clCreateBuffer(c uintptr, flags uint64, size uintptr, errcode *int32) uintptr {
	return ccall(fnCreateBuffer.addr, c, uintptr(flags), size, 0, uintptr(unsafe.Pointer(errcode)))
}

func clReleaseMemObject(m uintptr) int32 { return int32(ccall(fnReleaseMemObject.addr, m)) }

// clEnqueueReadBuffer and clEnqueueWriteBuffer are always called blocking, so
// that the C side does not keep ptr (Go memory) after returning.
func clEnqueueReadBuffer(q, m uintptr, offset, size uintptr, ptr unsafe.Pointer) int32 {
	return int32(ccall(fnEnqueueReadBuffer.addr, q, m, clTrue, offset, size, uintptr(ptr), 0, 0, 0))
}

func clEnqueueWriteBuffer(q, m uintptr, offset, size uintptr, ptr unsafe.Pointer) int32 {
	return int32(ccall(fnEnqueueWriteBuffer.addr, q, m, clTrue, offset, size, uintptr(ptr), 0, 0, 0))
}

// clEnqueueWriteBufferEvent is the non-blocking write, with a wait list and
// an event (WriteAsync keeps ptr's memory until the event completes).
func clEnqueueWriteBufferEvent(q, m uintptr, offset, size uintptr, ptr unsafe.Pointer, nwait uint32, wait unsafe.Pointer, ev *uintptr) int32 {
	return int32(ccall(fnEnqueueWriteBuffer.addr, q, m, 0, offset, size, uintptr(ptr), uintptr(nwait), uintptr(wait), uintptr(unsafe.Pointer(ev))))
}

func clEnqueueMarkerWithWaitList(q uintptr, nwait uint32, wait unsafe.Pointer, ev *uintptr) int32 {
	return int32(ccall(fnEnqueueMarkerWithWaitList.addr, q, uintptr(nwait), uintptr(wait), uintptr(unsafe.Pointer(ev))))
}

func clEnqueueBarrierWithWaitList(q uintptr, nwait uint32, wait unsafe.Pointer, ev *uintptr) int32 {
	return int32(ccall(fnEnqueueBarrierWithWaitList.addr, q, uintptr(nwait), uintptr(wait), uintptr(unsafe.Pointer(ev))))
}

func clWaitForEvents(n uint32, evs unsafe.Pointer) int32 {
	return int32(ccall(fnWaitForEvents.addr, uintptr(n), uintptr(evs)))
}

func clReleaseEvent(e uintptr) int32 { return int32(ccall(fnReleaseEvent.addr, e)) }

func clGetEventProfilingInfo(e uintptr, param uint32, size uintptr, value unsafe.Pointer, sizeRet *uintptr) int32 {
	return int32(ccall(fnGetEventProfilingInfo.addr, e, uintptr(param), size, uintptr(value), uintptr(unsafe.Pointer(sizeRet))))
}

func clEnqueueCopyBuffer(q, src, dst uintptr, srcOff, dstOff, size uintptr) int32 {
	return int32(ccall(fnEnqueueCopyBuffer.addr, q, src, dst, srcOff, dstOff, size, 0, 0, 0))
}

// clEnqueueFillBuffer copies pattern before returning (OpenCL 1.2, 5.2.2).
func clEnqueueFillBuffer(q, m uintptr, pattern unsafe.Pointer, patternSize, offset, size uintptr) int32 {
	return int32(ccall(fnEnqueueFillBuffer.addr, q, m, uintptr(pattern), patternSize, offset, size, 0, 0, 0))
}

func clCreateProgramWithSource(c uintptr, count uint32, strs **byte, lengths *uintptr, errcode *int32) uintptr {
	return ccall(fnCreateProgramWithSource.addr, c, uintptr(count), uintptr(unsafe.Pointer(strs)), uintptr(unsafe.Pointer(lengths)), uintptr(unsafe.Pointer(errcode)))
}

func clBuildProgram(p uintptr, numDevices uint32, devices *uintptr, options *byte) int32 {
	return int32(ccall(fnBuildProgram.addr, p, uintptr(numDevices), uintptr(unsafe.Pointer(devices)), uintptr(unsafe.Pointer(options)), 0, 0))
}

func clGetProgramBuildInfo(p, d uintptr, param uint32, size uintptr, value unsafe.Pointer, sizeRet *uintptr) int32 {
	return int32(ccall(fnGetProgramBuildInfo.addr, p, d, uintptr(param), size, uintptr(value), uintptr(unsafe.Pointer(sizeRet))))
}

func clReleaseProgram(p uintptr) int32 { return int32(ccall(fnReleaseProgram.addr, p)) }

func clCreateKernel(p uintptr, name *byte, errcode *int32) uintptr {
	return ccall(fnCreateKernel.addr, p, uintptr(unsafe.Pointer(name)), uintptr(unsafe.Pointer(errcode)))
}

func clReleaseKernel(k uintptr) int32 { return int32(ccall(fnReleaseKernel.addr, k)) }

func clSetKernelArg(k uintptr, index uint32, size uintptr, value unsafe.Pointer) int32 {
	return int32(ccall(fnSetKernelArg.addr, k, uintptr(index), size, uintptr(value)))
}

func clGetKernelInfo(k uintptr, param uint32, size uintptr, value unsafe.Pointer, sizeRet *uintptr) int32 {
	return int32(ccall(fnGetKernelInfo.addr, k, uintptr(param), size, uintptr(value), uintptr(unsafe.Pointer(sizeRet))))
}

func clGetKernelWorkGroupInfo(k, d uintptr, param uint32, size uintptr, value unsafe.Pointer, sizeRet *uintptr) int32 {
	return int32(ccall(fnGetKernelWorkGroupInfo.addr, k, d, uintptr(param), size, uintptr(value), uintptr(unsafe.Pointer(sizeRet))))
}

// clEnqueueNDRangeKernel passes local as NULL when it is nil.
func clEnqueueNDRangeKernel(q, k uintptr, dims uint32, global, local *uintptr) int32 {
	return int32(ccall(fnEnqueueNDRangeKernel.addr, q, k, uintptr(dims), 0, uintptr(unsafe.Pointer(global)), uintptr(unsafe.Pointer(local)), 0, 0, 0))
}
