package gpu

// SetAllocCap makes b report a largest allocation of at most bytes to the
// planner (MemoryLimits), so that a test can force X into several resident
// buffers on a device whose real limit is large.
func SetAllocCap(b *Backend, bytes int64) { b.allocCap = bytes }

// PeakDeviceBytes is the most device memory b's buffers held at once, also
// after Close.
func PeakDeviceBytes(b *Backend) int64 { return b.ctx.PeakAllocated() }
