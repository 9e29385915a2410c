// cd.cl: one sweep of coordinate descent (scikit-learn's
// _update_cdnmf_fast) over the rows of W.

// CD_WG is the work-group size of cd_sweep.
#ifndef CD_WG
#define CD_WG 64
#endif

// CDB_ROWS and CDB_K are the rows of a work-group of cd_block and the most
// components it takes.
#ifndef CDB_ROWS
#define CDB_ROWS 32
#endif
#ifndef CDB_K
#define CDB_K 64
#endif

// CD_ROW adds to v the violation of the sweep of one row, updating it in
// place: WA(q) is the row's component q (an lvalue), XA(t) its XHᵀ entry
// t (see cd_sweep). A macro, so that both kernels run the very same
// operations on a row in global or in local memory.
#define CD_ROW(v, WA, XA)                                            \
    for (int s = 0; s < k; s++) {                                    \
        const int t = perm[s];                                       \
        __global const real* h = hht + IDX(t, k, 0);                 \
        real grad = -(XA(t) - l1);                                   \
        for (int q = 0; q < k; q++) {                                \
            const real hq = q == t ? h[q] + l2 : h[q];               \
            grad += hq * WA(q);                                      \
        }                                                            \
        const real wt = WA(t);                                       \
        const real pg = wt == (real)0 ? fmin(grad, (real)0) : grad;  \
        v += fabs(pg);                                               \
        const real hess = h[t] + l2;                                 \
        if (hess != (real)0) {                                       \
            const real y = wt - grad / hess;                         \
            WA(t) = y > (real)0 ? y : (real)0;                       \
        }                                                            \
    }

// cd_sweep updates row i of W (r×k) in work-item i, walking the components
// in perm order exactly as the sequential loop does (rows never interact, so
// the result is the sequential one):
//
//   grad = −(xht[i][t] − l1) + Σ_q (hht[t][q] + l2·[t=q])·w[i][q]   (q in order)
//   pg = min(0, grad) if w[i][t] == 0 else grad;  viol += |pg|
//   hess = hht[t][t] + l2;  if hess ≠ 0: w[i][t] = max(w[i][t] − grad/hess, 0)
//
// and writes row i's violation to viol[i].
__kernel __attribute__((reqd_work_group_size(CD_WG, 1, 1)))
void cd_sweep(const int r, const int k, __global real* restrict W,
              __global const real* restrict hht, __global const real* restrict xht,
              const real l1, const real l2, __global const int* restrict perm,
              __global real* restrict viol)
{
    const int i = get_global_id(0);
    if (i >= r) return;
    __global real* w = W + IDX(i, k, 0);
    __global const real* x = xht + IDX(i, k, 0);
    real v = 0;
#define W_AT(q) w[q]
#define X_AT(t) x[t]
    CD_ROW(v, W_AT, X_AT)
#undef W_AT
#undef X_AT
    viol[i] = v;
}

// cd_block is cd_sweep for k <= CDB_K with coalesced reads: work-group g
// copies rows [g*CDB_ROWS, g*CDB_ROWS+CDB_ROWS) of W and XHᵀ (contiguous in
// global memory) into local memory transposed, Wl[q][ii] (padded to odd
// rows, no bank conflicts), runs work-item ii's row there with the very
// operations of cd_sweep, and copies W's rows back.
__kernel __attribute__((reqd_work_group_size(CDB_ROWS, 1, 1)))
void cd_block(const int r, const int k, __global real* restrict W,
              __global const real* restrict hht, __global const real* restrict xht,
              const real l1, const real l2, __global const int* restrict perm,
              __global real* restrict viol)
{
    __local real Wl[CDB_K * (CDB_ROWS + 1)], Xl[CDB_K * (CDB_ROWS + 1)];
    const int ii = get_local_id(0);
    const int i0 = get_group_id(0) * CDB_ROWS;
    const int rows = min(CDB_ROWS, r - i0);
    const size_t base = IDX(i0, k, 0);
    // Element e = ri*k + q of the rows, e = ii, ii + CDB_ROWS, …: (ri, q)
    // kept by steps, no division.
    int ri = 0, q = ii;
    for (; q >= k; q -= k) ri++;
    for (int e = ii; e < rows * k; e += CDB_ROWS) {
        Wl[q * (CDB_ROWS + 1) + ri] = W[base + e];
        Xl[q * (CDB_ROWS + 1) + ri] = xht[base + e];
        for (q += CDB_ROWS; q >= k; q -= k) ri++;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (ii < rows) {
        real v = 0;
#define W_AT(q) Wl[(q) * (CDB_ROWS + 1) + ii]
#define X_AT(t) Xl[(t) * (CDB_ROWS + 1) + ii]
        CD_ROW(v, W_AT, X_AT)
#undef W_AT
#undef X_AT
        viol[i0 + ii] = v;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    ri = 0;
    for (q = ii; q >= k; q -= k) ri++;
    for (int e = ii; e < rows * k; e += CDB_ROWS) {
        W[base + e] = Wl[q * (CDB_ROWS + 1) + ri];
        for (q += CDB_ROWS; q >= k; q -= k) ri++;
    }
}
