// cd.cl: one sweep of coordinate descent (scikit-learn's
// _update_cdnmf_fast) over the rows of W.

// CD_WG is the work-group size of cd_sweep.
#ifndef CD_WG
#define CD_WG 64
#endif

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
    real v = 0;
    for (int s = 0; s < k; s++) {
        const int t = perm[s];
        __global const real* h = hht + IDX(t, k, 0);
        real grad = -(xht[IDX(i, k, t)] - l1);
        for (int q = 0; q < k; q++) {
            const real hq = q == t ? h[q] + l2 : h[q];
            grad += hq * w[q];
        }
        const real wt = w[t];
        const real pg = wt == (real)0 ? fmin(grad, (real)0) : grad;
        v += fabs(pg);
        const real hess = h[t] + l2;
        if (hess != (real)0) {
            const real y = wt - grad / hess;
            w[t] = y > (real)0 ? y : (real)0;
        }
    }
    viol[i] = v;
}
