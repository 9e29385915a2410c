// mu.cl: element-wise pieces of the multiplicative update.

// MU_WG is the work-group size of the element-wise kernels.
#ifndef MU_WG
#define MU_WG 256
#endif

// mu_elem forms, for the materialised dense path, from V = W·H (len
// elements, in place):
//   R = X ⊙ V^(β−2) (see mu_ratio), when want_r;
//   V ← U^(β−1) (see mu_upow), when want_u.
__kernel void mu_elem(const long len, __global const real* restrict X,
                      __global real* restrict V, __global real* restrict R,
                      const int mode, const real e2, const int clampv,
                      const real e1, const int clampu,
                      const int want_r, const int want_u)
{
    const size_t e = get_global_id(0);
    if (e >= (size_t)len) return;
    const real v = V[e];
    if (want_r) R[e] = mu_ratio(X[e], v, mode, e2, clampv);
    if (want_u) V[e] = mu_upow(v, e1, clampu);
}

// bcast_w sets den[i][t] = s[t] for den rows×k (β = 1, side W: s holds the
// row sums of H).
__kernel void bcast_w(const int rows, const int k,
                      __global const real* restrict s, __global real* restrict den)
{
    const int t = get_global_id(0), i = get_global_id(1);
    if (t >= k || i >= rows) return;
    den[IDX(i, k, t)] = s[t];
}

// bcast_h sets den[t][j] = s[t], or 1 where s[t] is zero, for den k×n (β = 1,
// side H: s holds the column sums of W).
__kernel void bcast_h(const int k, const int n,
                      __global const real* restrict s, __global real* restrict den)
{
    const int j = get_global_id(0), t = get_global_id(1);
    if (j >= n || t >= k) return;
    const real v = s[t];
    den[IDX(t, n, j)] = v == (real)0 ? (real)1 : v;
}

// mu_step applies one multiplicative update to the len elements of m:
//   d = den + l1 (if l1 > 0); d = d + l2·m (if l2 > 0); d = EPSILON where d == 0
//   m = m · (num/d)^gamma;  m = 0 where m < flush (if flush > 0)
__kernel void mu_step(const long len, __global real* restrict m,
                      __global const real* restrict num, __global const real* restrict den,
                      const real l1, const real l2, const real gamma, const real flush)
{
    const size_t e = get_global_id(0);
    if (e >= (size_t)len) return;
    const real x = m[e];
    real d = den[e];
    if (l1 > (real)0) d = d + l1;
    if (l2 > (real)0) d = d + l2 * x;
    if (d == (real)0) d = EPSILON;
    real r = num[e] / d;
    if (gamma != (real)1) r = rpow(r, gamma);
    real y = x * r;
    if (flush > (real)0 && y < flush) y = (real)0;
    m[e] = y;
}

// zero_fill sets the first n 32-bit words of p to zero (used instead of
// clEnqueueFillBuffer, which needs OpenCL 1.2 and which oclgrind's
// uninitialised-value checker mishandles).
__kernel void zero_fill(const long n, __global uint* restrict p)
{
    const size_t e = get_global_id(0);
    if (e < (size_t)n) p[e] = 0u;
}
