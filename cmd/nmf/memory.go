package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/clnmf/clnmf/nmf"
)

// The memory budget (--memory-limit, or the memory available when the
// command starts) is checked at each step whose size the input sets, before
// its allocation: the readers (nmfio) for X, the STFT for a WAV's
// spectrogram (load), and here the fit as a whole — X as held, its copy in
// another precision, what the library estimates for the fit
// (nmf.FitMemory) and the outputs the command builds from W and H.

// heldBytes returns the bytes X takes as read (none for a memory-mapped
// .npy), and those of its copy in precision T when matrixAs must convert it.
func heldBytes[T nmf.Float](ds *dataset) (held, conv int64) {
	es := bytesOf[T]()
	switch {
	case ds.Dense32 != nil:
		held = int64(len(ds.Dense32.Data)) * 4
		if es != 4 {
			conv = int64(len(ds.Dense32.Data)) * es
		}
	case ds.Dense64 != nil:
		held = int64(len(ds.Dense64.Data)) * 8
		if es != 8 {
			conv = int64(len(ds.Dense64.Data)) * es
		}
	case ds.Sparse != nil:
		s := ds.Sparse
		held = int64(len(s.Data))*16 + int64(len(s.Indptr))*8
		if es != 8 {
			conv = int64(len(s.Data)) * es
		}
	}
	if ds.Mapped() {
		held = 0 // the file's pages: page cache, not the process's memory
	}
	if ds.phase != nil {
		held += int64(len(ds.phase.Angle))*8 + int64(len(ds.sound.Samples))*8
	}
	return held, conv
}

// bytesOf is the size of a T.
func bytesOf[T nmf.Float]() int64 {
	var z T
	if _, ok := any(z).(float32); ok {
		return 4
	}
	return 8
}

// outputBytes estimates what the outputs of a k-component fit hold beyond W
// and H: their float64 copies for the pictures, the grid of basis images,
// and for a WAV the spectrogram in float64, the masks and one separated
// signal per component.
func outputBytes(ds *dataset, k int) int64 {
	l, n := ds.Dims()
	K := int64(k)
	factors := (int64(l) + int64(n)) * K * 8
	switch ds.Kind {
	case kindImages:
		tile := max(int64(ds.Width)*int64(ds.Height), 64*64)
		return factors + K*tile
	case kindWAV:
		return factors + 3*int64(l)*int64(n)*8 + K*int64(len(ds.sound.Samples))*8
	}
	return 0
}

// checkFitMemory refuses a fit that does not fit the budget, with what to
// change, and sets opt.MemoryLimit to what the library may allocate.
func checkFitMemory[T nmf.Float](ds *dataset, o *options, opt *nmf.Options) error {
	if o.memory < 0 {
		opt.MemoryLimit = -1
		return nil
	}
	l, n := ds.Dims()
	nnz, sparse := 0, ds.Sparse != nil
	if sparse {
		nnz = ds.nnz
	}
	m, err := nmf.FitMemory[T](l, n, nnz, sparse, *opt)
	if err != nil {
		return nil // the fit reports bad options itself
	}
	held, conv := heldBytes[T](ds)
	outs := outputBytes(ds, m.Components)
	need := sum(held, conv, m.Total(), outs)
	if need <= o.memory {
		opt.MemoryLimit = max(o.memory-held-conv-outs, 1)
		return nil
	}
	avail := "available"
	if o.memSet {
		avail = "allowed by --memory-limit"
	}
	precision := "float64"
	if conv > 0 || ds.Dense32 != nil {
		var z T
		if _, ok := any(z).(float32); ok {
			precision = "float32"
		}
	}
	msg := fmt.Sprintf("a %s with k = %d (init %s, %s) would need %s of memory, more than the %s %s", o.cmd,
		m.Components, m.Init, precision, nmf.FormatBytes(need), nmf.FormatBytes(o.memory), avail)
	// What to change: the largest k whose fit and outputs fit, and the
	// options that make this fit's part fit.
	var hints []string
	total := func(k int) int64 {
		o := *opt
		o.Components = k
		mk, err := nmf.FitMemory[T](l, n, nnz, sparse, o)
		if err != nil {
			return 1<<63 - 1
		}
		return sum(held, conv, mk.Total(), outputBytes(ds, k))
	}
	if k := largest(m.Components-1, func(k int) bool { return total(k) <= o.memory }); k > 0 {
		hints = append(hints, fmt.Sprintf("-k %d or less", k))
	}
	if left := o.memory - held - conv - outs; left > 0 {
		r := nmf.FitRemedies[T](l, n, nnz, sparse, *opt, left)
		if r.InitRandom {
			hints = append(hints, "--init random")
		}
		if r.Float32 {
			hints = append(hints, "--precision float32")
		}
	}
	if ds.Kind == kindWAV {
		hints = append(hints, fmt.Sprintf("a larger --hop than %d", ds.stft.Hop))
	}
	if len(hints) == 0 {
		msg += "; use a smaller input or more memory (--memory-limit)"
	} else {
		msg += "; use " + strings.Join(hints, ", or ")
	}
	return &cliError{file: ds.Path, msg: msg, err: &nmf.MemoryError{What: "the fit", Need: need, Avail: o.memory, Limit: o.memSet}}
}

// checkSamplesMemory is the command's part of the budget of a minibatch
// fit, partial-fit or transform of ds, whose own allocations beyond X the
// library checks against opt.MemoryLimit: X as read, X with the samples as
// rows in precision T (samplesX: the transpose of images and WAV, or
// matrixAs's copy in another precision) and the outputs (the model's state
// included) of k components (0: as many as the features). A fit streamed
// from a mapped .npy holds no copy. It refuses ds when those alone exceed
// the budget, and sets opt.MemoryLimit to what is left.
func checkSamplesMemory[T nmf.Float](ds *dataset, o *options, k int, opt *nmf.Options) error {
	if o.memory < 0 {
		opt.MemoryLimit = -1
		return nil
	}
	held, conv := heldBytes[T](ds)
	l, n := ds.Dims()
	features := n
	switch {
	case columnsAreSamples(ds.Kind):
		conv, features = int64(l)*int64(n)*bytesOf[T](), l
	case o.cmd == "fit" && streamable(ds, o):
		conv = 0 // converted a batch at a time
	}
	if k <= 0 {
		k = features
	}
	outs := sum(outputBytes(ds, k), 3*int64(k)*int64(features)*bytesOf[T]())
	need := sum(held, conv, outs)
	if need < o.memory {
		opt.MemoryLimit = o.memory - need
		return nil
	}
	avail := "available"
	if o.memSet {
		avail = "allowed by --memory-limit"
	}
	msg := fmt.Sprintf("a minibatch %s with k = %d needs %s for X as read, X with the samples as rows and the outputs alone, more than the %s %s; use a smaller input, a smaller k or more memory (--memory-limit)",
		o.cmd, k, nmf.FormatBytes(need), nmf.FormatBytes(o.memory), avail)
	return &cliError{file: ds.Path, msg: msg, err: &nmf.MemoryError{What: "the minibatch " + o.cmd, Need: need, Avail: o.memory, Limit: o.memSet}}
}

// sum adds byte counts, saturating.
func sum(v ...int64) int64 {
	var s int64
	for _, x := range v {
		if x > 1<<62 || s > 1<<62 {
			return 1<<63 - 1
		}
		s += x
	}
	return s
}

// largest returns the largest k in [1, hi] with ok(k), for ok true up to
// some k and false beyond, or 0 when ok(1) is false.
func largest(hi int, ok func(int) bool) int {
	return sort.Search(max(hi, 0), func(i int) bool { return !ok(i + 1) })
}
