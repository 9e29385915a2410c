package cpu

import (
	"runtime"
	"sync"
)

// task is a unit of data-parallel work over the index range [lo, hi).
// Implementations are long-lived structs owned by the backend, so that
// dispatching one allocates nothing.
type task interface {
	run(c, lo, hi int) // c is the chunk number, < pool.workers
}

type chunk struct {
	t         task
	c, lo, hi int
}

// pool is a fixed set of worker goroutines, started once per backend, that
// split an index range between them. Dispatch allocates nothing.
type pool struct {
	workers int
	jobs    chan chunk
	wg      sync.WaitGroup
	once    sync.Once
}

func newPool(workers int) *pool {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	p := &pool{workers: workers}
	if workers > 1 {
		p.jobs = make(chan chunk, workers)
		for i := 0; i < workers; i++ {
			go p.loop()
		}
	}
	return p
}

func (p *pool) loop() {
	for c := range p.jobs {
		c.t.run(c.c, c.lo, c.hi)
		p.wg.Done()
	}
}

// parallel runs t over [0, n) in at most p.workers contiguous chunks of at
// least grain indices each, and returns when all are done. Chunk boundaries
// depend only on n, grain and the worker count, so results that combine
// per-chunk partial sums in chunk order are deterministic.
func (p *pool) parallel(n, grain int, t task) {
	if n <= 0 {
		return
	}
	chunks := p.chunks(n, grain)
	if chunks == 1 {
		t.run(0, 0, n)
		return
	}
	p.wg.Add(chunks - 1)
	for c := 1; c < chunks; c++ {
		lo, hi := bounds(n, chunks, c)
		p.jobs <- chunk{t, c, lo, hi}
	}
	lo, hi := bounds(n, chunks, 0)
	t.run(0, lo, hi)
	p.wg.Wait()
}

// chunks is the number of chunks parallel splits n indices into.
func (p *pool) chunks(n, grain int) int {
	if grain < 1 {
		grain = 1
	}
	c := n / grain
	if c > p.workers {
		c = p.workers
	}
	if c < 1 {
		c = 1
	}
	return c
}

func bounds(n, chunks, c int) (lo, hi int) {
	return n * c / chunks, n * (c + 1) / chunks
}

func (p *pool) close() {
	p.once.Do(func() {
		if p.jobs != nil {
			close(p.jobs)
		}
	})
}
