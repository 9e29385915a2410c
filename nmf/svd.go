package nmf

import (
	"fmt"
	"sync"

	"github.com/clnmf/clnmf/nmf/backend"
	"github.com/clnmf/clnmf/nmf/internal/randomstate"
	"github.com/clnmf/clnmf/nmf/internal/thin"
	"gonum.org/v1/gonum/mat"
)

// randomizedSVD is scikit-learn 1.2.1's randomized_svd(X, k,
// random_state=seed) with its defaults: 10 oversamples; 7 power iterations
// when k < 0.1·min(l, n), else 4, each normalised by LU with partial
// pivoting; M = Xᵀ when l < n; a final economic QR; the SVD of the small
// B = Qᵀ·M; svd_flip based on U, or on Vᵀ when transposed. Ω and Q are in
// X's precision, and every product with X runs on the backend, on X as it
// is; the host holds only blocks of (l or n) × (k + 10).
//
// It returns U (l×k), S (k) and Vᵀ (k×n), row-major. In a distributed fit
// (pr.comm) X is the part pt of the whole X, U is the whole X's, and every
// process computes the same blocks (mul sums the products over them).
func randomizedSVD[T Float](pr *problem, pt share, k int, seed uint64) (u, s, vt []T, err error) {
	rs, err := randomstate.New(seed)
	if err != nil {
		return nil, nil, nil, invalid("Seed", "%v", err)
	}
	l, n := pt.whole(pr.l, pr.n)
	r := &rangeFinder[T]{pr: pr, pt: pt, trans: l < n, mats: &svdScratch{}}
	rowsM, colsM := l, n
	if r.trans {
		rowsM, colsM = colsM, rowsM
	}
	iters := 4
	if float64(k) < 0.1*float64(min(l, n)) {
		iters = 7
	}
	// Q = normal(size=(colsM, k + 10)).astype(X.dtype)
	c := k + 10
	q := make([]T, colsM*c)
	for i := range q {
		q[i] = T(rs.Normal(0, 1))
	}
	for it := 0; it < iters; it++ {
		y, err := r.mul(q, c, false)
		if err != nil {
			return nil, nil, nil, err
		}
		q, c = thin.PermutedL(y, rowsM, c)
		if y, err = r.mul(q, c, true); err != nil {
			return nil, nil, nil, err
		}
		q, c = thin.PermutedL(y, colsM, c)
	}
	y, err := r.mul(q, c, false)
	if err != nil {
		return nil, nil, nil, err
	}
	q, c = thin.Q(y, rowsM, c)
	bt, err := r.mul(q, c, true) // Bᵀ = Mᵀ·Q, colsM × c
	if err != nil {
		return nil, nil, nil, err
	}
	uhat, sv, vtM, rank, err := smallSVD(bt, colsM, c)
	if err != nil {
		return nil, nil, nil, err
	}
	uM := matMul(q, rowsM, c, uhat, rank) // U = Q·Û, rowsM × rank
	svdFlip(uM, rowsM, vtM, colsM, rank, !r.trans)
	s = sv[:k]
	if !r.trans {
		return leadingCols(uM, rowsM, rank, k), s, vtM[:k*colsM], nil
	}
	// Transposed back: X's U is the leading rows of Vᵀ_M, transposed, and
	// X's Vᵀ the leading columns of U_M, transposed.
	return transposeOf(vtM[:k*colsM], k, colsM), s, transposeOf(leadingCols(uM, rowsM, rank, k), rowsM, k), nil
}

// rangeFinder holds the backend scratch of a randomized SVD.
type rangeFinder[T Float] struct {
	pr    *problem
	pt    share // X's rows (or columns) of the whole X
	trans bool  // M = Xᵀ
	mats  *svdScratch
}

// svdScratch is a randomized SVD's backend scratch, reused across its
// power iterations: one matrix per member, shape and role. A product's
// operand and its result are never one matrix, even where their shapes
// agree (a square X, a panel as long as the result): MulX does not take
// its output as its operand. The members' goroutines share it.
type svdScratch struct {
	mu   sync.Mutex
	mats map[svdKey]backend.Matrix
}

type svdKey struct {
	member, rows, cols int
	role               svdRole
}

type svdRole int

const (
	svdOperand svdRole = iota // the block of q a product reads
	svdResult                 // the product (a sum's total)
	svdTerm                   // a panel's term of a sum
)

// get is member m's matrix of the shape and role (m nil: the problem's
// backend, X in one piece), made once.
func (s *svdScratch) get(pr *problem, m *member, rows, cols int, role svdRole) (backend.Matrix, error) {
	key := svdKey{-1, rows, cols, role}
	if m != nil {
		key.member = m.idx
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if x, ok := s.mats[key]; ok {
		return x, nil
	}
	var x backend.Matrix
	var err error
	if m != nil {
		x, err = m.matrix(pr, rows, cols, nil)
	} else {
		x, err = pr.matrix(rows, cols, nil)
	}
	if err != nil {
		return nil, err
	}
	if s.mats == nil {
		s.mats = map[svdKey]backend.Matrix{}
	}
	s.mats[key] = x
	return x, nil
}

// mul returns M·q (mt false) or Mᵀ·q (mt true) for q with c columns, as a
// new host block in T: X·q or Xᵀ·q on the backend. In a distributed fit q
// and the result are the whole X's. With the processes holding rows, Xᵀ·q
// is the sum over them of their rows' products with their rows of q (X is
// in panels there, and panelMul sums over the processes), and X·q has each
// process's rows in place (zeros elsewhere) summed over them; with columns
// the other way round: X·q is summed by panelMul, Xᵀ·q has each process's
// columns' rows in place.
func (r *rangeFinder[T]) mul(q []T, c int, mt bool) ([]T, error) {
	xt := r.trans != mt // Xᵀ·q
	if r.pr.comm == nil {
		return r.localMul(q, c, xt)
	}
	if r.pr.ps == nil {
		return nil, fmt.Errorf("nmf: randomized SVD: a distributed X not in panels")
	}
	mine := r.pr.l // this process's length of the side shared
	if r.pt.cols {
		mine = r.pr.n
	}
	lo, hi := r.pt.lo*c, (r.pt.lo+mine)*c
	if xt != r.pt.cols { // q's side is the one shared: panelMul sums
		return r.localMul(q[lo:hi], c, xt)
	}
	part, err := r.localMul(q, c, xt)
	if err != nil {
		return nil, err
	}
	y := make([]T, r.pt.rows*c)
	copy(y[lo:hi], part)
	return y, commSum(r.pr.comm, &Dense[T]{Rows: r.pt.rows, Cols: c, Data: y})
}

// localMul is X·q (xt false) or Xᵀ·q of this process's X.
func (r *rangeFinder[T]) localMul(q []T, c int, xt bool) ([]T, error) {
	pr := r.pr
	if pr.ps != nil {
		y, err := panelMul(pr, q, c, xt, r.mats)
		if err != nil {
			return nil, pr.wrap("randomized SVD: product with X", err)
		}
		return y, nil
	}
	in, out := pr.n, pr.l
	if xt {
		in, out = pr.l, pr.n
	}
	bm, err := r.mats.get(pr, nil, in, c, svdOperand)
	if err != nil {
		return nil, err
	}
	om, err := r.mats.get(pr, nil, out, c, svdResult)
	if err != nil {
		return nil, err
	}
	if err := pr.b.Write(bm, &Dense[T]{Rows: in, Cols: c, Data: q[:in*c]}); err != nil {
		return nil, pr.wrap("randomized SVD: writing a block", err)
	}
	if err := pr.b.MulX(om, pr.x, xt, bm); err != nil {
		return nil, pr.wrap("randomized SVD: product with X", err)
	}
	y := &Dense[T]{Rows: out, Cols: c, Data: make([]T, out*c)}
	if err := pr.b.Read(om, y); err != nil {
		return nil, pr.wrap("randomized SVD: reading a block", err)
	}
	return y.Data, nil
}

// smallSVD is linalg.svd(B, full_matrices=False) of B = btᵀ (c × rows):
// Û (c×r), S (r) and Vᵀ (r×rows) with r = min(c, rows), each rounded to T.
// It is computed in float64 from bt's values; LAPACK's float32 SVD agrees
// with it to float32 rounding.
func smallSVD[T Float](bt []T, rows, c int) (uhat, s, vt []T, r int, err error) {
	var svd mat.SVD
	// Bᵀ = U_g·S·V_gᵀ, so B = V_g·S·U_gᵀ: Û = V_g, Vᵀ = U_gᵀ.
	if !svd.Factorize(mat.NewDense(rows, c, toFloat64(bt)), mat.SVDThin) {
		return nil, nil, nil, 0, fmt.Errorf("nmf: NNDSVD: the SVD of the randomized projection did not converge")
	}
	var ug, vg mat.Dense
	svd.UTo(&ug)
	svd.VTo(&vg)
	vals := svd.Values(nil)
	r = len(vals)
	uhat = make([]T, c*r)
	for i := 0; i < c; i++ {
		for j := 0; j < r; j++ {
			uhat[i*r+j] = T(vg.At(i, j))
		}
	}
	vt = make([]T, r*rows)
	for j := 0; j < r; j++ {
		for i := 0; i < rows; i++ {
			vt[j*rows+i] = T(ug.At(i, j))
		}
	}
	s = make([]T, r)
	for j, v := range vals {
		s[j] = T(v)
	}
	return uhat, s, vt, r, nil
}

// matMul returns a (m×p) · b (p×c) in T.
func matMul[T Float](a []T, m, p int, b []T, c int) []T {
	out := make([]T, m*c)
	for i := 0; i < m; i++ {
		row := out[i*c : (i+1)*c]
		for t, av := range a[i*p : (i+1)*p] {
			if av == 0 {
				continue
			}
			for j, bv := range b[t*c : (t+1)*c] {
				row[j] += av * bv
			}
		}
	}
	return out
}

// svdFlip is scikit-learn's svd_flip on U (m×r) and Vᵀ (r×n): each pair is
// multiplied by the sign of the entry of largest magnitude (the first one
// on ties) of U's column (uBased) or of Vᵀ's row.
func svdFlip[T Float](u []T, m int, vt []T, n, r int, uBased bool) {
	for j := 0; j < r; j++ {
		var best T
		var bestAbs T = -1
		if uBased {
			for i := 0; i < m; i++ {
				if a := absT(u[i*r+j]); a > bestAbs {
					best, bestAbs = u[i*r+j], a
				}
			}
		} else {
			for _, v := range vt[j*n : (j+1)*n] {
				if a := absT(v); a > bestAbs {
					best, bestAbs = v, a
				}
			}
		}
		var sign T // np.sign: 0 for 0
		switch {
		case best > 0:
			continue
		case best < 0:
			sign = -1
		}
		for i := 0; i < m; i++ {
			u[i*r+j] *= sign
		}
		for c := range vt[j*n : (j+1)*n] {
			vt[j*n+c] *= sign
		}
	}
}

// leadingCols returns the first k columns of a (m×c).
func leadingCols[T Float](a []T, m, c, k int) []T {
	out := make([]T, m*k)
	for i := 0; i < m; i++ {
		copy(out[i*k:(i+1)*k], a[i*c:i*c+k])
	}
	return out
}

// transposeOf returns aᵀ for a (m×n).
func transposeOf[T Float](a []T, m, n int) []T {
	out := make([]T, n*m)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			out[j*m+i] = a[i*n+j]
		}
	}
	return out
}

// exactSVD returns the leading k singular triplets of X from gonum's dense
// SVD, with the sign convention of the golden references made with the
// exact SVD (svd_flip on U's columns, or on Vᵀ's rows when l < n). The SVD
// works on a dense float64 copy of X (LAPACK's gesvd overwrites its
// input, and gonum has no float32 SVD), so it costs 8·l·n bytes beside X
// and O(l·n·min(l, n)) time: it is SVDExact, chosen explicitly.
func exactSVD[T Float](x Matrix[T], k int) (u, s, vt []T, err error) {
	l, n := x.Dims()
	var a *mat.Dense
	switch m := any(x).(type) {
	case *Dense[float64]:
		a = mat.NewDense(l, n, m.Data[:l*n]) // Factorize copies it
	case *Dense[float32]:
		a = mat.NewDense(l, n, toFloat64(m.Data[:l*n]))
	case *CSR[T]:
		a = mat.NewDense(l, n, nil)
		for i := 0; i < l; i++ {
			for p := m.Indptr[i]; p < m.Indptr[i+1]; p++ {
				a.Set(i, m.Indices[p], float64(m.Data[p]))
			}
		}
	default:
		return nil, nil, nil, fmt.Errorf("nmf: exact SVD: unsupported matrix %T", x)
	}
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		return nil, nil, nil, fmt.Errorf("nmf: NNDSVD: the SVD of X did not converge")
	}
	var uf, vf mat.Dense
	svd.UTo(&uf)
	svd.VTo(&vf)
	vals := svd.Values(nil)
	u, vt, s = make([]T, l*k), make([]T, k*n), make([]T, k)
	for j := 0; j < k; j++ {
		s[j] = T(vals[j])
		for i := 0; i < l; i++ {
			u[i*k+j] = T(uf.At(i, j))
		}
		for c := 0; c < n; c++ {
			vt[j*n+c] = T(vf.At(c, j))
		}
	}
	if l < n {
		svdFlip(u, l, vt, n, k, false)
	} else {
		svdFlip(u, l, vt, n, k, true)
	}
	return u, s, vt, nil
}
