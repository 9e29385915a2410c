// fused.cl: products with W·H that never hold W·H in global memory.
//
// Each work-group forms TF×TF tiles of W·H in local memory (inner dimension
// k in chunks of TF) and consumes them at once: the multiplicative-update
// terms of the dense β ≠ 2 cases (and the sparse denominators, which need
// W·H at every element), and the β-divergence terms.

// FUSED_CONTRACT lets the compiler contract a*b+c into fma in the W·H tiles and the sums over them (1), or
// not (0, the default; common.cl turns contraction off for every file, and
// the end of this file turns it off again for the files after it).
#ifndef FUSED_CONTRACT
#define FUSED_CONTRACT 0
#endif
#if FUSED_CONTRACT
#pragma OPENCL FP_CONTRACT ON
#endif

// TF is the side of the W·H tiles; the work-group is TF×TF.
#ifndef TF
#define TF 16
#endif
#define TF2 (TF * TF)

// wh_tile returns (W·H)(i0+ly, j0+lx) in work-item (lx, ly), 0 outside
// rows < l and columns < n (H has ldh columns). Ws and Hs are TF×(TF+1)
// local scratch. All work-items of the group must call it.
inline real wh_tile(const int l, const int n, const int k, const int ldh,
                    __global const real* restrict W, __global const real* restrict H,
                    const int i0, const int j0,
                    __local real* Ws, __local real* Hs)
{
    const int lx = get_local_id(0), ly = get_local_id(1);
    real v = 0;
    for (int t0 = 0; t0 < k; t0 += TF) {
        Ws[ly * (TF + 1) + lx] = (i0 + ly < l && t0 + lx < k) ? W[IDX(i0 + ly, k, t0 + lx)] : (real)0;
        Hs[ly * (TF + 1) + lx] = (t0 + ly < k && j0 + lx < n) ? H[IDX(t0 + ly, ldh, j0 + lx)] : (real)0;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int tt = 0; tt < TF; tt++)
            v += Ws[ly * (TF + 1) + tt] * Hs[tt * (TF + 1) + lx];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    return v;
}

// ---- Multiplicative-update terms ----------------------------------------
//
// For β ≠ 2 the terms of side W (num, den l×k) and side H (num, den k×n):
//   side W: num = (X ⊙ V^(β−2))·Hᵀ   den = U^(β−1)·Hᵀ
//   side H: num = Wᵀ·(X ⊙ V^(β−2))   den = Wᵀ·U^(β−1)
// (see mu_ratio, mu_upow). Each kernel exists in three variants, which
// compile in only the sums they write: _nd both, _n the numerator (β = 1,
// whose denominator the host forms as a broadcast sum), _d the denominator
// (sparse X, whose numerator the sparse kernels form; X is not read).
//
// The work-groups form a 2-D grid: output tiles (TF rows of W's terms, or
// TF columns of H's) times blocks of `span` columns (side W) or rows (side
// H) of X that each group walks. Group (block b, tile) writes its partial
// sums to num/den + b·len (len = l·k or k·n); with one block they are the
// terms, with several the host adds the blocks in order (gemm_slices), so
// the result does not depend on scheduling. span is a positive multiple of
// TF.

// FK is the most components the _r kernels take: they keep W's (side W) or
// H's (side H) TF lines of all k components in local memory for the whole
// walk, and each work-item keeps its FK/TF sums of each term in registers.
// The other kernels take any k, streaming W and H through TF×TF tiles and
// adding each tile's sums to the outputs in global memory.
#ifndef FK
#define FK (4 * TF)
#endif
#define FC (FK / TF)

#define FUSED_PARAMS const int l, const int n, const int k, const int span,            \
    __global const real* restrict X,                                                      \
    __global const real* restrict W, __global const real* restrict H,                    \
    __global real* restrict num, __global real* restrict den,                             \
    const int mode, const real e2, const int clampv, const real e1, const int clampu
#define FUSED_ARGS l, n, k, span, X, W, H, num, den, mode, e2, clampv, e1, clampu

// fused_terms sets this work-item's element of the tile's ratio Rt and
// power Ut, as wanted, from v = (W·H)(i, j), zero outside the range (in).
inline void fused_terms(const int want_num, const int want_den, const int in,
                        __global const real* restrict X, const size_t xo, const real v,
                        const int mode, const real e2, const int clampv, const real e1, const int clampu,
                        __local real* Rt, __local real* Ut, const int o)
{
    if (want_num) Rt[o] = in ? mu_ratio(X[xo], v, mode, e2, clampv) : (real)0;
    if (want_den) Ut[o] = in ? mu_upow(v, e1, clampu) : (real)0;
}

// fused_w is the side-W body of the streaming kernels: group (b, g) owns
// rows [g*TF, g*TF+TF) of its block's outputs and walks columns
// [b*span, b*span+span) of X, adding each column tile's sums to them.
inline void fused_w(FUSED_PARAMS, const int want_num, const int want_den,
                    __local real* Ws, __local real* Hs, __local real* Rt, __local real* Ut)
{
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int i0 = get_group_id(1) * TF, i = i0 + ly;
    const int jb = get_group_id(0) * span, je = min(n, jb + span);
    const size_t off = (size_t)get_group_id(0) * (size_t)l * (size_t)k;
    for (int j0 = jb; j0 < je; j0 += TF) {
        const real v = wh_tile(l, je, k, n, W, H, i0, j0, Ws, Hs);
        const int j = j0 + lx;
        fused_terms(want_num, want_den, i < l && j < je, X, IDX(i, n, j), v,
                    mode, e2, clampv, e1, clampu, Rt, Ut, ly * (TF + 1) + lx);
        for (int t0 = 0; t0 < k; t0 += TF) {
            // Hs[tt][jj] = H[t0+tt][j0+jj]
            Hs[ly * (TF + 1) + lx] = (t0 + ly < k && j0 + lx < je) ? H[IDX(t0 + ly, n, j0 + lx)] : (real)0;
            barrier(CLK_LOCAL_MEM_FENCE);
            const int t = t0 + lx;
            real sn = 0, sd = 0;
            for (int jj = 0; jj < TF; jj++) {
                const real h = Hs[lx * (TF + 1) + jj];
                if (want_num) sn += Rt[ly * (TF + 1) + jj] * h;
                if (want_den) sd += Ut[ly * (TF + 1) + jj] * h;
            }
            if (i < l && t < k) {
                const size_t o = off + IDX(i, k, t);
                if (want_num) num[o] = (j0 == jb ? (real)0 : num[o]) + sn;
                if (want_den) den[o] = (j0 == jb ? (real)0 : den[o]) + sd;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        }
    }
}

// fused_h is the side-H body of the streaming kernels: group (g, b) owns
// columns [g*TF, g*TF+TF) of its block's outputs and walks rows
// [b*span, b*span+span) of X.
inline void fused_h(FUSED_PARAMS, const int want_num, const int want_den,
                    __local real* Ws, __local real* Hs, __local real* Rt, __local real* Ut)
{
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int j0 = get_group_id(0) * TF, j = j0 + lx;
    const int ib = get_group_id(1) * span, ie = min(l, ib + span);
    const size_t off = (size_t)get_group_id(1) * (size_t)k * (size_t)n;
    for (int i0 = ib; i0 < ie; i0 += TF) {
        const real v = wh_tile(ie, n, k, n, W, H, i0, j0, Ws, Hs);
        const int i = i0 + ly;
        fused_terms(want_num, want_den, i < ie && j < n, X, IDX(i, n, j), v,
                    mode, e2, clampv, e1, clampu, Rt, Ut, ly * (TF + 1) + lx);
        for (int t0 = 0; t0 < k; t0 += TF) {
            // Ws[ii][tt] = W[i0+ii][t0+tt]
            Ws[ly * (TF + 1) + lx] = (i0 + ly < ie && t0 + lx < k) ? W[IDX(i0 + ly, k, t0 + lx)] : (real)0;
            barrier(CLK_LOCAL_MEM_FENCE);
            const int t = t0 + ly;
            real sn = 0, sd = 0;
            for (int ii = 0; ii < TF; ii++) {
                const real w = Ws[ii * (TF + 1) + ly];
                if (want_num) sn += w * Rt[ii * (TF + 1) + lx];
                if (want_den) sd += w * Ut[ii * (TF + 1) + lx];
            }
            if (t < k && j < n) {
                const size_t o = off + IDX(t, n, j);
                if (want_num) num[o] = (i0 == ib ? (real)0 : num[o]) + sn;
                if (want_den) den[o] = (i0 == ib ? (real)0 : den[o]) + sd;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        }
    }
}

// held_terms is fused_terms for the _r kernels: v = (W·H)(i, j) from W's
// row in Wl (row ly, FK wide) and H's column in Hl (column lx, TF+1 wide).
inline void held_terms(const int want_num, const int want_den, const int k,
                       __local const real* Wl, __local const real* Hl, const int in,
                       __global const real* restrict X, const size_t xo,
                       const int mode, const real e2, const int clampv, const real e1, const int clampu,
                       __local real* Rt, __local real* Ut)
{
    const int lx = get_local_id(0), ly = get_local_id(1);
    real v = 0;
    for (int t = 0; t < k; t++)
        v += Wl[ly * FK + t] * Hl[t * (TF + 1) + lx];
    fused_terms(want_num, want_den, in, X, xo, v, mode, e2, clampv, e1, clampu, Rt, Ut, ly * (TF + 1) + lx);
}

// fused_wr is the side-W body of the _r kernels (k <= FK): W's rows
// [i0, i0+TF) go to Wl[ii][t] once; per column tile, H's columns go to
// Hl[t][jj] and serve both W·H and the products; work-item (lx, ly) sums
// outputs (i0+ly, c*TF+lx) for c < FC in registers and writes them once.
inline void fused_wr(FUSED_PARAMS, const int want_num, const int want_den,
                     __local real* Wl, __local real* Hl, __local real* Rt, __local real* Ut)
{
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int i0 = get_group_id(1) * TF, i = i0 + ly;
    const int jb = get_group_id(0) * span, je = min(n, jb + span);
    const int kt = ceildiv(k, TF) * TF; // the components held, zero beyond k
    for (int t = lx; t < kt; t += TF) // row ly of the tile, coalesced in t
        Wl[ly * FK + t] = (i < l && t < k) ? W[IDX(i, k, t)] : (real)0;
    real an[FC], ad[FC];
    for (int c = 0; c < FC; c++) an[c] = ad[c] = 0;
    for (int j0 = jb; j0 < je; j0 += TF) {
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int t = ly; t < kt; t += TF)
            Hl[t * (TF + 1) + lx] = (t < k && j0 + lx < je) ? H[IDX(t, n, j0 + lx)] : (real)0;
        barrier(CLK_LOCAL_MEM_FENCE);
        const int j = j0 + lx;
        held_terms(want_num, want_den, k, Wl, Hl, i < l && j < je, X, IDX(i, n, j),
                   mode, e2, clampv, e1, clampu, Rt, Ut);
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int c = 0; c < FC; c++) {
            if (c * TF >= k) break;
            const int t = c * TF + lx;
            for (int jj = 0; jj < TF; jj++) {
                const real h = Hl[t * (TF + 1) + jj];
                if (want_num) an[c] += Rt[ly * (TF + 1) + jj] * h;
                if (want_den) ad[c] += Ut[ly * (TF + 1) + jj] * h;
            }
        }
    }
    const size_t off = (size_t)get_group_id(0) * (size_t)l * (size_t)k;
    for (int c = 0; c < FC; c++) {
        const int t = c * TF + lx;
        if (i < l && t < k) {
            if (want_num) num[off + IDX(i, k, t)] = an[c];
            if (want_den) den[off + IDX(i, k, t)] = ad[c];
        }
    }
}

// fused_hr is the side-H body of the _r kernels (k <= FK): H's columns
// [j0, j0+TF) go to Hl[t][jj] once; per row tile, W's rows go to Wl[ii][t];
// work-item (lx, ly) sums outputs (c*TF+ly, j0+lx) for c < FC.
inline void fused_hr(FUSED_PARAMS, const int want_num, const int want_den,
                     __local real* Wl, __local real* Hl, __local real* Rt, __local real* Ut)
{
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int j0 = get_group_id(0) * TF, j = j0 + lx;
    const int ib = get_group_id(1) * span, ie = min(l, ib + span);
    const int kt = ceildiv(k, TF) * TF;
    for (int t = ly; t < kt; t += TF)
        Hl[t * (TF + 1) + lx] = (t < k && j < n) ? H[IDX(t, n, j)] : (real)0;
    real an[FC], ad[FC];
    for (int c = 0; c < FC; c++) an[c] = ad[c] = 0;
    for (int i0 = ib; i0 < ie; i0 += TF) {
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int t = lx; t < kt; t += TF)
            Wl[ly * FK + t] = (i0 + ly < ie && t < k) ? W[IDX(i0 + ly, k, t)] : (real)0;
        barrier(CLK_LOCAL_MEM_FENCE);
        const int i = i0 + ly;
        held_terms(want_num, want_den, k, Wl, Hl, i < ie && j < n, X, IDX(i, n, j),
                   mode, e2, clampv, e1, clampu, Rt, Ut);
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int c = 0; c < FC; c++) {
            if (c * TF >= k) break;
            const int t = c * TF + ly;
            for (int ii = 0; ii < TF; ii++) {
                const real w = Wl[ii * FK + t];
                if (want_num) an[c] += w * Rt[ii * (TF + 1) + lx];
                if (want_den) ad[c] += w * Ut[ii * (TF + 1) + lx];
            }
        }
    }
    const size_t off = (size_t)get_group_id(1) * (size_t)k * (size_t)n;
    for (int c = 0; c < FC; c++) {
        const int t = c * TF + ly;
        if (t < k && j < n) {
            if (want_num) num[off + IDX(t, n, j)] = an[c];
            if (want_den) den[off + IDX(t, n, j)] = ad[c];
        }
    }
}

// FUSED_KERNEL defines kernel NAME running BODY with the wanted sums
// (constants, so each variant compiles only its own). The streaming bodies
// take four TF×(TF+1) scratch tiles, the _r bodies W's lines (TF×FK), H's
// (FK×(TF+1)) and two tiles.
#define FUSED_KERNEL(NAME, BODY, WN, WD, WSIZE, HSIZE)                                   \
    __kernel __attribute__((reqd_work_group_size(TF, TF, 1))) void NAME(FUSED_PARAMS) {    \
        __local real Ws[WSIZE], Hs[HSIZE], Rt[TF * (TF + 1)], Ut[TF * (TF + 1)];           \
        BODY(FUSED_ARGS, WN, WD, Ws, Hs, Rt, Ut);                                          \
    }
#define TILE (TF * (TF + 1))
FUSED_KERNEL(mu_fused_w_nd, fused_w, 1, 1, TILE, TILE)
FUSED_KERNEL(mu_fused_w_n, fused_w, 1, 0, TILE, TILE)
FUSED_KERNEL(mu_fused_w_d, fused_w, 0, 1, TILE, TILE)
FUSED_KERNEL(mu_fused_h_nd, fused_h, 1, 1, TILE, TILE)
FUSED_KERNEL(mu_fused_h_n, fused_h, 1, 0, TILE, TILE)
FUSED_KERNEL(mu_fused_h_d, fused_h, 0, 1, TILE, TILE)
FUSED_KERNEL(mu_fused_wr_nd, fused_wr, 1, 1, TF * FK, FK * (TF + 1))
FUSED_KERNEL(mu_fused_wr_n, fused_wr, 1, 0, TF * FK, FK * (TF + 1))
FUSED_KERNEL(mu_fused_wr_d, fused_wr, 0, 1, TF * FK, FK * (TF + 1))
FUSED_KERNEL(mu_fused_hr_nd, fused_hr, 1, 1, TF * FK, FK * (TF + 1))
FUSED_KERNEL(mu_fused_hr_n, fused_hr, 1, 0, TF * FK, FK * (TF + 1))
FUSED_KERNEL(mu_fused_hr_d, fused_hr, 0, 1, TF * FK, FK * (TF + 1))
#undef TILE

// div_dense writes to partial[g] work-group g's share of the β-divergence
// sum over the l×n elements of W·H (see div_x_term and div_wh_term; with
// has_x false only the W·H terms, for sparse X). The groups form a GX×GY
// grid (g = gy*GX + gx) that walks the TF×TF tiles: tile rows gy, gy+GY,
// ..., tile columns gx, gx+GX, ...
__kernel __attribute__((reqd_work_group_size(TF, TF, 1)))
void div_dense(const int l, const int n, const int k,
               __global const real* restrict X, const int has_x,
               __global const real* restrict W, __global const real* restrict H,
               const int mode, const real beta, const real bm1,
               __global acc* restrict partial)
{
    __local real Ws[TF * (TF + 1)], Hs[TF * (TF + 1)];
    __local acc red[TF2];
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int gx = get_group_id(0), gy = get_group_id(1);
    const int GX = get_num_groups(0), GY = get_num_groups(1);
    acc sum = 0;
    for (int i0 = gy * TF; i0 < l; i0 += GY * TF) {
        for (int j0 = gx * TF; j0 < n; j0 += GX * TF) {
            const real v = wh_tile(l, n, k, n, W, H, i0, j0, Ws, Hs);
            const int i = i0 + ly, j = j0 + lx;
            if (i < l && j < n) {
                if (has_x) sum += div_x_term(X[IDX(i, n, j)], v, mode, beta, bm1);
                sum += div_wh_term(v, mode, beta, bm1);
            }
        }
    }
    sum = group_sum(sum, red);
    if (lx == 0 && ly == 0) partial[gy * GX + gx] = sum;
}

#pragma OPENCL FP_CONTRACT OFF
