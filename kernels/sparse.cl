// sparse.cl: products with a CSR matrix A (rows×cols): A is X, or Xᵀ as a
// second CSR built on the host when the data is made. Row pointers are
// long, column indices int; rowidx[p] is the row of entry p (COO rows), for
// the kernels that take one work-item per entry.

// SP_TR and SP_TT are the work-group sides of spmm (rows × components).
#ifndef SP_TR
#define SP_TR 16
#endif
#ifndef SP_TT
#define SP_TT 16
#endif
// SP_WG is the work-group size of the kernels over entries (a power of two).
#ifndef SP_WG
#define SP_WG 256
#endif

// SP_K is the most lanes per entry of the kernels that read Hᵀ (a power of
// two dividing SP_WG). They take `lanes` (a power of two up to SP_K, chosen
// by the host from k): lane u of an entry's lanes takes components u,
// u+lanes, ..., so that the lanes read consecutive elements of W's row and
// of Hᵀ's; a group takes SP_WG/lanes entries.
#ifndef SP_K
#define SP_K 16
#endif

// spmm sets out(q, t) = Σ_p val[p]·B(idx[p], t) over the entries p of row q,
// for q < rows and t < k, where B(c, t) = B[c*sbc + t*sbt] and
// out(q, t) = out[q*soq + t*sot]. val may be X's values or the values R of
// a matrix with X's pattern. Work-item (t, q).
__kernel __attribute__((reqd_work_group_size(SP_TT, SP_TR, 1)))
void spmm(const int rows, const int k,
          __global const long* restrict ptr, __global const int* restrict idx,
          __global const real* restrict val,
          __global const real* restrict B, const int sbc, const int sbt,
          __global real* restrict out, const int soq, const int sot)
{
    const int t = get_global_id(0), q = get_global_id(1);
    if (t >= k || q >= rows) return;
    real sum = 0;
    const long pe = ptr[q + 1];
    for (long p = ptr[q]; p < pe; p++)
        sum += val[p] * B[(size_t)idx[p] * sbc + (size_t)t * sbt];
    out[(size_t)q * soq + (size_t)t * sot] = sum;
}

// sddot is (W·H)(i, j) = Σ_t W[i][t]·H[t][j], in t order.
inline real sddot(const int k, const int n, __global const real* restrict W,
                  __global const real* restrict H, const int i, const int j)
{
    real v = 0;
    for (int t = 0; t < k; t++)
        v += W[IDX(i, k, t)] * H[IDX(t, n, j)];
    return v;
}

// sddmm_ratio sets R[p] = mu_ratio(val[p], (W·H)(i, j)) for the nnz entries
// of A: (i, j) = (rowidx[p], idx[p]) when A is X, (idx[p], rowidx[p]) when A
// is Xᵀ (trans). W is l×k, H k×n.
__kernel __attribute__((reqd_work_group_size(SP_WG, 1, 1)))
void sddmm_ratio(const long nnz, const int trans, const int k, const int n,
                 __global const int* restrict rowidx, __global const int* restrict idx,
                 __global const real* restrict val,
                 __global const real* restrict W, __global const real* restrict H,
                 __global real* restrict R,
                 const int mode, const real e2, const int clampv)
{
    const size_t p = get_global_id(0);
    if (p >= (size_t)nnz) return;
    const int a = rowidx[p], b = idx[p];
    const int i = trans ? b : a, j = trans ? a : b;
    R[p] = mu_ratio(val[p], sddot(k, n, W, H, i, j), mode, e2, clampv);
}

// sddot_lanes returns, in the first of each entry's lanes, (W·H)(i, j) =
// Σ_t W[i][t]·HT[j][t] for HT = Hᵀ (n×k): each lane sums its components in
// t order, then the lanes are added pairwise in a fixed tree in red (SP_WG
// elements). Entries that are not valid give 0. All work-items of the group
// must call it.
inline real sddot_lanes(const int k, const int lanes, __global const real* restrict W,
                        __global const real* restrict HT, const int i, const int j,
                        const int valid, __local real* red)
{
    const int lid = get_local_id(0), lane = lid & (lanes - 1);
    real v = 0;
    if (valid)
        for (int t = lane; t < k; t += lanes)
            v += W[IDX(i, k, t)] * HT[IDX(j, k, t)];
    red[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = lanes / 2; s > 0; s >>= 1) {
        if (lane < s) red[lid] += red[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    v = red[lid];
    barrier(CLK_LOCAL_MEM_FENCE);
    return v;
}

// sddmm_ratio_t is sddmm_ratio reading HT = Hᵀ (n×k) with `lanes` lanes
// per entry (see sddot_lanes): work-group g takes SP_WG/lanes entries from
// g*SP_WG/lanes.
__kernel __attribute__((reqd_work_group_size(SP_WG, 1, 1)))
void sddmm_ratio_t(const long nnz, const int trans, const int k, const int lanes,
                   __global const int* restrict rowidx, __global const int* restrict idx,
                   __global const real* restrict val,
                   __global const real* restrict W, __global const real* restrict HT,
                   __global real* restrict R,
                   const int mode, const real e2, const int clampv)
{
    __local real red[SP_WG];
    const int lid = get_local_id(0);
    const size_t p = (size_t)get_group_id(0) * (SP_WG / lanes) + lid / lanes;
    const int valid = p < (size_t)nnz;
    const int a = valid ? rowidx[p] : 0, b = valid ? idx[p] : 0;
    const int i = trans ? b : a, j = trans ? a : b;
    const real v = sddot_lanes(k, lanes, W, HT, i, j, valid, red);
    if (valid && (lid & (lanes - 1)) == 0)
        R[p] = mu_ratio(val[p], v, mode, e2, clampv);
}

// div_sparse writes to partial[g] work-group g's share of Σ_p
// div_x_term(X[p], (W·H)(i, j)) over X's nnz entries (the terms of the
// β-divergence in X; the terms over all of W·H are summed elsewhere).
__kernel __attribute__((reqd_work_group_size(SP_WG, 1, 1)))
void div_sparse(const long nnz, const int k, const int n,
                __global const int* restrict rowidx, __global const int* restrict idx,
                __global const real* restrict val,
                __global const real* restrict W, __global const real* restrict H,
                const int mode, const real beta, const real bm1,
                __global acc* restrict partial)
{
    __local acc red[SP_WG];
    acc sum = 0;
    const size_t stride = get_global_size(0);
    for (size_t p = get_global_id(0); p < (size_t)nnz; p += stride)
        sum += div_x_term(val[p], sddot(k, n, W, H, rowidx[p], idx[p]), mode, beta, bm1);
    sum = group_sum(sum, red);
    if (get_local_id(0) == 0) partial[get_group_id(0)] = sum;
}

// div_sparse_t is div_sparse reading HT = Hᵀ (n×k) with `lanes` lanes per
// entry (see sddot_lanes): the groups take SP_WG/lanes entries at a time,
// every num_groups·SP_WG/lanes further.
__kernel __attribute__((reqd_work_group_size(SP_WG, 1, 1)))
void div_sparse_t(const long nnz, const int k, const int lanes,
                  __global const int* restrict rowidx, __global const int* restrict idx,
                  __global const real* restrict val,
                  __global const real* restrict W, __global const real* restrict HT,
                  const int mode, const real beta, const real bm1,
                  __global acc* restrict partial)
{
    __local real red[SP_WG];
    __local acc ared[SP_WG];
    const int lid = get_local_id(0), per = SP_WG / lanes;
    const size_t stride = (size_t)get_num_groups(0) * per;
    acc sum = 0;
    for (size_t p0 = (size_t)get_group_id(0) * per; p0 < (size_t)nnz; p0 += stride) {
        const size_t p = p0 + lid / lanes;
        const int valid = p < (size_t)nnz;
        const int i = valid ? rowidx[p] : 0, j = valid ? idx[p] : 0;
        const real v = sddot_lanes(k, lanes, W, HT, i, j, valid, red);
        if (valid && (lid & (lanes - 1)) == 0)
            sum += div_x_term(val[p], v, mode, beta, bm1);
    }
    sum = group_sum(sum, ared);
    if (lid == 0) partial[get_group_id(0)] = sum;
}
