package cpu

import (
	"runtime"
	"sync"
	"sync/atomic"
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
	dyn     dynTask // the state of dynamic, reused: dispatch allocates nothing
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

// dynamic runs t over the blocks [0, n) one block at a time, each worker
// taking the next block when it finishes one, so that a worker slowed by
// the machine does not hold the others up. For tasks whose blocks produce
// disjoint outputs independent of the worker (the result must not depend
// on which chunk number c ran a block).
func (p *pool) dynamic(n int, t task) {
	if n <= 0 {
		return
	}
	chunks := p.chunks(n, 1)
	if chunks == 1 {
		t.run(0, 0, n)
		return
	}
	d := &p.dyn
	d.t = t
	d.n = int64(n)
	d.next.Store(0)
	p.wg.Add(chunks - 1)
	for c := 1; c < chunks; c++ {
		p.jobs <- chunk{d, c, 0, 0}
	}
	d.run(0, 0, 0)
	p.wg.Wait()
}

// dynTask hands out the blocks of one dynamic call.
type dynTask struct {
	t    task
	n    int64
	next atomic.Int64
}

func (d *dynTask) run(c, _, _ int) {
	for {
		b := d.next.Add(1) - 1
		if b >= d.n {
			return
		}
		d.t.run(c, int(b), int(b)+1)
	}
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
