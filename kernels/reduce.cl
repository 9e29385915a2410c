// reduce.cl: sums. Partial sums are kept per work-group in `acc` (double
// where the device has it) after a tree reduction inside the group; the
// host adds the few partials in float64.

// RWG is the work-group size of the reductions (a power of two).
#ifndef RWG
#define RWG 256
#endif

// dot_partials writes to partial[g] work-group g's share of Σ_e a[e]·b[e]
// (or Σ_e a[e] when b_is_one) over e < len; groups take elements
// g*RWG + lid, then every G*RWG further.
__kernel __attribute__((reqd_work_group_size(RWG, 1, 1)))
void dot_partials(const long len, __global const real* restrict a,
                  __global const real* restrict b, const int b_is_one,
                  __global acc* restrict partial)
{
    __local acc red[RWG];
    acc sum = 0;
    const size_t stride = get_global_size(0);
    for (size_t e = get_global_id(0); e < (size_t)len; e += stride)
        sum += b_is_one ? (acc)a[e] : (acc)(a[e] * b[e]);
    sum = group_sum(sum, red);
    if (get_local_id(0) == 0) partial[get_group_id(0)] = sum;
}

// line_sums sets out[q] = Σ_e a[q*sq + e*se] for e < len, q < lines: row
// sums (sq = cols, se = 1) or column sums (sq = 1, se = cols) of a matrix.
// One work-group per line; the sum is accumulated in acc and rounded to real.
__kernel __attribute__((reqd_work_group_size(RWG, 1, 1)))
void line_sums(const int lines, const int len, __global const real* restrict a,
               const int sq, const int se, __global real* restrict out)
{
    __local acc red[RWG];
    const int q = get_group_id(0);
    acc sum = 0;
    for (int e = get_local_id(0); e < len; e += RWG)
        sum += (acc)a[(size_t)q * sq + (size_t)e * se];
    sum = group_sum(sum, red);
    if (get_local_id(0) == 0 && q < lines) out[q] = (real)sum;
}
