package nmf

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/clnmf/clnmf/nmf/backend"
)

// ErrMemory is wrapped by every *MemoryError: an input, or a fit of it,
// needs more memory than the budget allows.
var ErrMemory = errors.New("not enough memory")

// MemoryError reports that something sized by the input would need more
// memory than is available. It is returned before the allocation is made.
type MemoryError struct {
	// What names what needs the memory, e.g. "W (50×1000000) and H" or
	// "20 images of 8192×8192".
	What string
	// Need is the bytes needed; Avail the budget they were checked against.
	Need, Avail int64
	// Limit is true when Avail is a limit the caller set rather than the
	// memory the system reports available.
	Limit bool
	// Hint says what to change, in the caller's own terms (an option or a
	// flag); it may be empty.
	Hint string
}

func (e *MemoryError) Error() string {
	avail := "available"
	if e.Limit {
		avail = "allowed by the memory limit"
	}
	s := fmt.Sprintf("%s would need %s of memory, more than the %s %s", e.What, FormatBytes(e.Need), FormatBytes(e.Avail), avail)
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

func (e *MemoryError) Unwrap() error { return ErrMemory }

// FormatBytes writes n bytes in binary units with three significant digits
// ("512 B", "3.50 GiB").
func FormatBytes(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, unit := float64(n), ""
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"} {
		v, unit = v/1024, u
		if v < 1024 {
			break
		}
	}
	return strconv.FormatFloat(v, 'g', 3, 64) + " " + unit
}

// ParseBytes parses a byte count: a nonnegative decimal integer with an
// optional unit B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB
// (powers of 1024), case-insensitive, as in "512MiB" or "2 GB".
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("%q is not a byte count (want e.g. 512MiB or 2GB)", s)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is too large", s)
	}
	mult := int64(0)
	switch strings.ToLower(strings.TrimSpace(t[i:])) {
	case "", "b":
		mult = 1
	case "kb", "k":
		mult = 1e3
	case "mb", "m":
		mult = 1e6
	case "gb", "g":
		mult = 1e9
	case "tb", "t":
		mult = 1e12
	case "kib":
		mult = 1 << 10
	case "mib":
		mult = 1 << 20
	case "gib":
		mult = 1 << 30
	case "tib":
		mult = 1 << 40
	default:
		return 0, fmt.Errorf("%q: unknown unit %q (want B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)", s, strings.TrimSpace(t[i:]))
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n * mult, nil
}

// AvailableMemory returns the memory the system can give this process
// without swapping: /proc/meminfo's MemAvailable, lowered to what the
// process's cgroup (v2) still allows when that is less. ok is false where
// neither is known (other systems), and callers then check nothing.
func AvailableMemory() (bytes int64, ok bool) {
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) >= 2 && f[0] == "MemAvailable:" {
				if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil && kb >= 0 && kb < math.MaxInt64/1024 {
					bytes, ok = kb*1024, true
				}
			}
		}
	}
	if lim, ok2 := cgroupLeft(); ok2 && (!ok || lim < bytes) {
		bytes, ok = lim, true
	}
	return bytes, ok
}

// cgroupLeft returns memory.max − memory.current of the process's cgroup v2
// when it has a limit.
func cgroupLeft() (int64, bool) {
	cg, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return 0, false
	}
	path, found := "", false
	for _, line := range bytes.Split(cg, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte("0::")); ok {
			path, found = string(rest), true
		}
	}
	if !found {
		return 0, false
	}
	read := func(name string) (int64, bool) {
		b, err := os.ReadFile("/sys/fs/cgroup" + path + "/" + name)
		if err != nil {
			return 0, false
		}
		v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		return v, err == nil && v >= 0
	}
	limit, ok := read("memory.max") // "max" (no limit) does not parse
	if !ok {
		return 0, false
	}
	cur, _ := read("memory.current")
	return max(limit-cur, 0), true
}

// Budget is the memory a caller allows: Limit bytes when Limit > 0, the
// system's available memory when Limit is 0, and no check when Limit < 0.
type Budget struct {
	Limit int64
}

// Check returns a *MemoryError when need bytes exceed the budget; what names
// the need and hint what to change.
func (b Budget) Check(what string, need int64, hint string) error {
	avail, limited, ok := b.avail()
	if !ok || need <= avail {
		return nil
	}
	return &MemoryError{What: what, Need: need, Avail: avail, Limit: limited, Hint: hint}
}

// Bytes returns the budget in bytes; ok is false when nothing is checked.
func (b Budget) Bytes() (n int64, ok bool) {
	n, _, ok = b.avail()
	return n, ok
}

func (b Budget) avail() (n int64, limited, ok bool) {
	switch {
	case b.Limit > 0:
		return b.Limit, true, true
	case b.Limit < 0:
		return 0, false, false
	}
	n, ok = AvailableMemory()
	return n, false, ok
}

// MemoryEstimate is what a fit allocates beyond X itself, in bytes, by
// part. The figures follow what Fit and the CPU backend allocate today
// (keep them in step): an upper bound, not a measurement.
type MemoryEstimate struct {
	Components int   // k after defaults
	Init       Init  // the initialisation after defaults
	HostX      int64 // X's float64 copy for the initialisation (not for InitCustom)
	InitWork   int64 // the initialisation's own work: the SVD, the random draws
	Factors    int64 // W and H: on the backend, the float64 start and the result
	Scratch    int64 // the solver's buffers: Gram matrices, MU terms, W·H for dense X
	BackendX   int64 // the backend's own copy of sparse X (CSR and its transpose)
}

// Total is the sum of the parts.
func (m MemoryEstimate) Total() int64 {
	return sat(m.HostX, m.InitWork, m.Factors, m.Scratch, m.BackendX)
}

// sat adds nonnegative byte counts, saturating at math.MaxInt64.
func sat(v ...int64) int64 {
	var s int64
	for _, x := range v {
		if x > math.MaxInt64-s {
			return math.MaxInt64
		}
		s += x
	}
	return s
}

// mulBytes returns the product of nonnegative counts, saturating.
func mulBytes(v ...int64) int64 {
	p := int64(1)
	for _, x := range v {
		if x != 0 && p > math.MaxInt64/x {
			return math.MaxInt64
		}
		p *= x
	}
	return p
}

// FitMemory estimates the memory Fit needs, beyond X, for an l×n X with nnz
// stored entries (sparse) of element type T and the options opt (whose
// defaults it resolves as Fit does). It allocates nothing; its error is
// Fit's for invalid options.
func FitMemory[T Float](l, n, nnz int, sparse bool, opt Options) (MemoryEstimate, error) {
	p, err := resolve(l, n, opt)
	if err != nil {
		return MemoryEstimate{}, err
	}
	es := int64(precisionOf[T]().Size())
	L, N, K := int64(l), int64(n), int64(p.Components)
	m := MemoryEstimate{Components: p.Components, Init: p.Init}
	lnk := mulBytes(L+N, K)
	switch p.Init {
	case InitRandom, InitCustom:
		m.InitWork = mulBytes(lnk, es) // the random start on the host
	default:
		mn := min(L, N)
		if p.SVD == SVDExact {
			// A float64 copy of X (dense, or densified from sparse),
			// Factorize's own copy, U, V, and U, S, Vᵀ in T.
			m.HostX = mulBytes(L, N, 8)
			if sparse || es != 8 {
				m.HostX = mulBytes(L, N, 16)
			}
			m.InitWork = sat(mulBytes(L+N, mn, 8), mulBytes(mn, mn, 8), mulBytes(lnk, 2*es))
		} else {
			// The range finder: host blocks of (l or n)×(k+10) in T (Q,
			// the product, the QR's factors), the backend's two blocks,
			// the small float64 SVD of n×(k+10), and U, Vᵀ in T.
			q := min(K+10, max(L, N))
			m.InitWork = sat(mulBytes(L+N, q, 4*es), mulBytes(max(L, N), q, 3*8), mulBytes(q, q, 8*2), mulBytes(lnk, 2*es))
		}
	}
	// W and H on the backend, the start and the result in T.
	m.Factors = mulBytes(lnk, 3*es)
	// Gram matrices (k×k, two), MU numerators and denominators and the
	// transposes (≈ 3(l+n)k), W·H for the dense divergence and MU ratio
	// (for β = 2 the cpu backend's one-pass iteration keeps its Wᵀ·X
	// partials within that term: at most half of X's size, or 64 Ki
	// elements for a small X).
	m.Scratch = sat(mulBytes(K, K, 2*es), mulBytes(lnk, 3*es))
	if !sparse {
		m.Scratch = sat(m.Scratch, mulBytes(L, N, es))
		if p.Beta != 1 && p.Beta != 2 {
			m.Scratch = sat(m.Scratch, mulBytes(L, N, es))
		}
	} else {
		m.BackendX = sat(mulBytes(int64(nnz), 2*(8+es)), mulBytes(L+N+2, 8))
	}
	return m, nil
}

// LargestComponents returns the largest k ≥ 1 whose FitMemory total is at
// most avail for these options (with Components replaced), or 0 if even
// k = 1 is too much.
func LargestComponents[T Float](l, n, nnz int, sparse bool, opt Options, avail int64) int {
	fits := func(k int) bool {
		o := opt
		o.Components = k
		m, err := FitMemory[T](l, n, nnz, sparse, o)
		return err == nil && m.Total() <= avail
	}
	// sort.Search finds the first k that does not fit; the one before fits.
	return sort.Search(max(l, n), func(i int) bool { return !fits(i + 1) })
}

// Remedies says what would make a fit that is too large fit in avail bytes:
// the largest k that fits with the same options (0: none), whether the
// random initialisation would (when the options use an SVD-based one), and
// whether float32 data would (when T is float64).
type Remedies struct {
	MaxComponents int
	InitRandom    bool
	Float32       bool
}

// FitRemedies computes the [Remedies] for a fit FitMemory finds too large.
func FitRemedies[T Float](l, n, nnz int, sparse bool, opt Options, avail int64) Remedies {
	var r Remedies
	r.MaxComponents = LargestComponents[T](l, n, nnz, sparse, opt, avail)
	if p, err := resolve(l, n, opt); err == nil && p.Init != InitRandom && p.Init != InitCustom {
		o := opt
		o.Init = InitRandom
		m, err := FitMemory[T](l, n, nnz, sparse, o)
		r.InitRandom = err == nil && m.Total() <= avail
	}
	if precisionOf[T]() == backend.Float64 {
		m, err := FitMemory[float32](l, n, nnz, sparse, opt)
		r.Float32 = err == nil && m.Total() <= avail
	}
	return r
}

// hint words the remedies in the library's terms.
func (r Remedies) hint() string {
	var s []string
	if r.MaxComponents > 0 {
		s = append(s, fmt.Sprintf("Components ≤ %d", r.MaxComponents))
	}
	if r.InitRandom {
		s = append(s, "InitRandom")
	}
	if r.Float32 {
		s = append(s, "float32 data")
	}
	if len(s) == 0 {
		return "even k = 1 does not fit: use a smaller X or more memory"
	}
	return "use " + strings.Join(s, ", or ")
}

// checkFitMemory refuses a fit whose estimate exceeds opt.MemoryLimit (see
// Options.MemoryLimit).
func checkFitMemory[T Float](x Matrix[T], opt Options) error {
	l, n := x.Dims()
	nnz, sparse := 0, false
	if s, ok := any(x).(*CSR[T]); ok {
		nnz, sparse = len(s.Data), true
	}
	m, err := FitMemory[T](l, n, nnz, sparse, opt)
	if err != nil {
		return err
	}
	b := Budget{Limit: opt.MemoryLimit}
	avail, ok := b.Bytes()
	if !ok || m.Total() <= avail {
		return nil
	}
	what := fmt.Sprintf("a fit with k = %d of a %d×%d X (init %s)", m.Components, l, n, m.Init)
	return b.Check(what, m.Total(), FitRemedies[T](l, n, nnz, sparse, opt, avail).hint())
}

// miniBatchMemory estimates what a minibatch fit with resolved parameters p
// allocates beyond X, with batches of b rows: W and H (the start, the
// backend's, the result), the start's own work as for Fit, the online
// statistics (k×k and k×n, a few of each) and per batch its products
// (b×n) and its rows of W (b×k).
func miniBatchMemory[T Float](l, n, b int, p Params) MemoryEstimate {
	es := int64(precisionOf[T]().Size())
	L, N, K, B := int64(l), int64(n), int64(p.Components), int64(min(b, l))
	lnk := mulBytes(L+N, K)
	m := MemoryEstimate{Components: p.Components, Init: p.Init}
	m.InitWork = mulBytes(lnk, es)
	if p.Init != InitRandom && p.Init != InitCustom {
		q := min(K+10, max(L, N))
		m.InitWork = sat(mulBytes(L+N, q, 4*es), mulBytes(max(L, N), q, 3*8), mulBytes(q, q, 8*2), mulBytes(lnk, 2*es))
		if p.SVD == SVDExact {
			m.HostX = mulBytes(L, N, 16)
		}
	}
	m.Factors = mulBytes(lnk, 3*es)
	m.Scratch = sat(mulBytes(K, K, 4*es), mulBytes(N, K, 4*es), mulBytes(B, N, 3*es), mulBytes(B, K, 3*es))
	return m
}

// checkMiniBatchMemory refuses a minibatch fit whose estimate exceeds
// opt.MemoryLimit, naming the largest k that fits.
func checkMiniBatchMemory[T Float](l, n, batch int, opt Options, p Params) error {
	b := Budget{Limit: opt.MemoryLimit}
	avail, ok := b.Bytes()
	m := miniBatchMemory[T](l, n, batch, p)
	if !ok || m.Total() <= avail {
		return nil
	}
	fits := func(k int) bool {
		q := p
		q.Components = k
		return miniBatchMemory[T](l, n, batch, q).Total() <= avail
	}
	hint := "even k = 1 does not fit: use a smaller X or more memory"
	if k := sort.Search(p.Components-1, func(i int) bool { return !fits(i + 1) }); k > 0 {
		hint = fmt.Sprintf("use Components ≤ %d", k)
	}
	what := fmt.Sprintf("a minibatch fit with k = %d of a %d×%d X (batches of %d rows)", p.Components, l, n, min(batch, l))
	return b.Check(what, m.Total(), hint)
}
