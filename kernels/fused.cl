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

// wh_tile returns (W·H)(i0+ly, j0+lx) in work-item (lx, ly), 0 outside the
// l×n range. Ws and Hs are TF×(TF+1) local scratch. All work-items of the
// group must call it.
inline real wh_tile(const int l, const int n, const int k,
                    __global const real* restrict W, __global const real* restrict H,
                    const int i0, const int j0,
                    __local real* Ws, __local real* Hs)
{
    const int lx = get_local_id(0), ly = get_local_id(1);
    real v = 0;
    for (int t0 = 0; t0 < k; t0 += TF) {
        Ws[ly * (TF + 1) + lx] = (i0 + ly < l && t0 + lx < k) ? W[IDX(i0 + ly, k, t0 + lx)] : (real)0;
        Hs[ly * (TF + 1) + lx] = (t0 + ly < k && j0 + lx < n) ? H[IDX(t0 + ly, n, j0 + lx)] : (real)0;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int tt = 0; tt < TF; tt++)
            v += Ws[ly * (TF + 1) + tt] * Hs[tt * (TF + 1) + lx];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    return v;
}

// mu_fused_w computes the side-W terms (num, den l×k) for β ≠ 2:
//   num = (X ⊙ V^(β−2))·Hᵀ  (when want_num; X dense l×n)
//   den = U^(β−1)·Hᵀ        (when want_den)
// Work-group g owns rows [g*TF, g*TF+TF) of num and den and walks the
// column tiles of X; no other work-group writes those rows. n must be > 0
// (the host zero-fills the outputs otherwise).
__kernel __attribute__((reqd_work_group_size(TF, TF, 1)))
void mu_fused_w(const int l, const int n, const int k,
                __global const real* restrict X,
                __global const real* restrict W, __global const real* restrict H,
                __global real* restrict num, __global real* restrict den,
                const int want_num, const int want_den,
                const int mode, const real e2, const int clampv,
                const real e1, const int clampu)
{
    __local real Ws[TF * (TF + 1)], Hs[TF * (TF + 1)];
    __local real Rt[TF * (TF + 1)], Ut[TF * (TF + 1)];
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int i0 = get_group_id(1) * TF;
    const int i = i0 + ly;
    for (int j0 = 0; j0 < n; j0 += TF) {
        const real v = wh_tile(l, n, k, W, H, i0, j0, Ws, Hs);
        const int j = j0 + lx;
        const int in = i < l && j < n;
        // Rt[ii][jj], Ut[ii][jj]: this tile's ratio and power.
        Rt[ly * (TF + 1) + lx] = (want_num && in) ? mu_ratio(X[IDX(i, n, j)], v, mode, e2, clampv) : (real)0;
        Ut[ly * (TF + 1) + lx] = (want_den && in) ? mu_upow(v, e1, clampu) : (real)0;
        for (int t0 = 0; t0 < k; t0 += TF) {
            // Hs[tt][jj] = H[t0+tt][j0+jj]
            Hs[ly * (TF + 1) + lx] = (t0 + ly < k && j0 + lx < n) ? H[IDX(t0 + ly, n, j0 + lx)] : (real)0;
            barrier(CLK_LOCAL_MEM_FENCE);
            const int t = t0 + lx;
            real sn = 0, sd = 0;
            for (int jj = 0; jj < TF; jj++) {
                const real h = Hs[lx * (TF + 1) + jj];
                sn += Rt[ly * (TF + 1) + jj] * h;
                sd += Ut[ly * (TF + 1) + jj] * h;
            }
            if (i < l && t < k) {
                const size_t o = IDX(i, k, t);
                if (want_num) num[o] = (j0 == 0 ? (real)0 : num[o]) + sn;
                if (want_den) den[o] = (j0 == 0 ? (real)0 : den[o]) + sd;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        }
    }
}

// mu_fused_h computes the side-H terms (num, den k×n) for β ≠ 2:
//   num = Wᵀ·(X ⊙ V^(β−2))  (when want_num; X dense l×n)
//   den = Wᵀ·U^(β−1)        (when want_den)
// Work-group g owns columns [g*TF, g*TF+TF) of num and den and walks the
// row tiles of X. l must be > 0 (the host zero-fills the outputs otherwise).
__kernel __attribute__((reqd_work_group_size(TF, TF, 1)))
void mu_fused_h(const int l, const int n, const int k,
                __global const real* restrict X,
                __global const real* restrict W, __global const real* restrict H,
                __global real* restrict num, __global real* restrict den,
                const int want_num, const int want_den,
                const int mode, const real e2, const int clampv,
                const real e1, const int clampu)
{
    __local real Ws[TF * (TF + 1)], Hs[TF * (TF + 1)];
    __local real Rt[TF * (TF + 1)], Ut[TF * (TF + 1)];
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int j0 = get_group_id(0) * TF;
    const int j = j0 + lx;
    for (int i0 = 0; i0 < l; i0 += TF) {
        const real v = wh_tile(l, n, k, W, H, i0, j0, Ws, Hs);
        const int i = i0 + ly;
        const int in = i < l && j < n;
        Rt[ly * (TF + 1) + lx] = (want_num && in) ? mu_ratio(X[IDX(i, n, j)], v, mode, e2, clampv) : (real)0;
        Ut[ly * (TF + 1) + lx] = (want_den && in) ? mu_upow(v, e1, clampu) : (real)0;
        for (int t0 = 0; t0 < k; t0 += TF) {
            // Ws[ii][tt] = W[i0+ii][t0+tt]
            Ws[ly * (TF + 1) + lx] = (i0 + ly < l && t0 + lx < k) ? W[IDX(i0 + ly, k, t0 + lx)] : (real)0;
            barrier(CLK_LOCAL_MEM_FENCE);
            const int t = t0 + ly;
            real sn = 0, sd = 0;
            for (int ii = 0; ii < TF; ii++) {
                const real w = Ws[ii * (TF + 1) + ly];
                sn += w * Rt[ii * (TF + 1) + lx];
                sd += w * Ut[ii * (TF + 1) + lx];
            }
            if (t < k && j < n) {
                const size_t o = IDX(t, n, j);
                if (want_num) num[o] = (i0 == 0 ? (real)0 : num[o]) + sn;
                if (want_den) den[o] = (i0 == 0 ? (real)0 : den[o]) + sd;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        }
    }
}

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
            const real v = wh_tile(l, n, k, W, H, i0, j0, Ws, Hs);
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
