package backend

// MemoryLimits is implemented by backends whose device memory is not the
// host's: the planner of a fit (resident, in several buffers, or streamed)
// reads it to cut X into panels.
type MemoryLimits interface {
	// MaxAlloc is the largest single buffer the device allows, in bytes
	// (CL_DEVICE_MAX_MEM_ALLOC_SIZE); Memory is the device's memory
	// (CL_DEVICE_GLOBAL_MEM_SIZE, or the cap set by SetMemoryCap).
	MemoryLimits() (maxAlloc, memory int64)
	// SetMemoryCap makes the backend behave as if it had at most bytes of
	// memory (when bytes > 0), for the choices it makes itself (such as
	// scratch that trades memory for speed).
	SetMemoryCap(bytes int64)
}

// Adder is implemented by backends that add matrices on the device: dst +=
// src, both of the same shape and precision. A fit over several panels sums
// the panels' terms with it; without it they are summed on the host.
type Adder interface {
	Add(dst, src Matrix) error
}

// MatrixReleaser is implemented by backends that can release one matrix
// before Close (the speed probe of a fit on several devices frees what it
// allocated). The matrix must not be used afterwards; releasing it twice is
// harmless.
type MatrixReleaser interface {
	ReleaseMatrix(m Matrix) error
}
