package cl

// Raw handles, for handing this package's objects to other OpenCL libraries
// loaded in the same process (CLBlast, for nmf bench's comparison). The
// handles stay owned by this package: callers must not release them.

// Handle returns the buffer's cl_mem.
func (b *Buffer) Handle() uintptr { return b.handle }

// Handle returns the queue's cl_command_queue.
func (q *Queue) Handle() uintptr { return q.handle }
