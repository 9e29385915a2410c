package gpu

// This file holds what nmf bench needs from the backend beyond
// backend.Backend: a way to wait for the queue, so that timings include the
// device's work and not only its enqueueing.

// Finish waits until every command enqueued on the backend's queue is done.
func (b *Backend) Finish() error {
	if b.closed {
		return errClosed
	}
	return b.q.Finish()
}
