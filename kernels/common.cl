// common.cl: definitions shared by every clnmf kernel file.
//
// Build options:
//   -DPRECISION=32|64  element type `real` is float (32, default) or double (64)
//   -DACC64=1          accumulate reductions in double (needs cl_khr_fp64);
//                      the default is 1 for PRECISION=64 and 0 for 32
//
// Every file that includes these definitions compiles on its own with no
// options at all (float, float accumulators, default tile sizes).

#ifndef CLNMF_COMMON
#define CLNMF_COMMON

// Products and sums are rounded one by one, as on the host: contracting
// a*b+c into fma would change the last bits of the coordinate-descent
// sweep, which must reproduce the CPU path's numbers.
#pragma OPENCL FP_CONTRACT OFF

#ifndef PRECISION
#define PRECISION 32
#endif

#if PRECISION == 64
#ifndef ACC64
#define ACC64 1
#endif
#endif
#ifndef ACC64
#define ACC64 0
#endif

#if PRECISION == 64 || ACC64 == 1
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif

#if PRECISION == 64
typedef double real;
#else
typedef float real;
#endif

// acc is the type partial sums of reductions are kept in.
#if ACC64 == 1
typedef double acc;
#else
typedef float acc;
#endif

// EPSILON is scikit-learn's EPSILON, float32's machine epsilon, in both
// precisions (it is exactly representable in float).
#define EPSILON ((real)1.1920928955078125e-07f)

// IDX is the row-major offset of element (i, j) of a matrix with ld
// columns, computed in size_t so that l*n beyond 2^31 does not overflow.
#define IDX(i, ld, j) ((size_t)(i) * (size_t)(ld) + (size_t)(j))

// rpow is x^e with numpy's fast paths for scalar exponents (-1, 0, 0.5, 1,
// 2), so that the common exponents are computed as numpy computes them:
// reciprocal, one, square root, copy, square; and, as the CPU backend does,
// -0.5 and 1.5 (β = 1.5) through the square root, which is correctly
// rounded where pow is not and far faster than pow on some devices.
inline real rpow(real x, real e) {
    if (e == (real)2) return x * x;
    if (e == (real)1) return x;
    if (e == (real)0.5) return sqrt(x);
    if (e == (real)-1) return (real)1 / x;
    if (e == (real)0) return (real)1;
    if (e == (real)-0.5) return (real)1 / sqrt(x);
    if (e == (real)1.5) return x * sqrt(x);
    return pow(x, e);
}

// clampz replaces a zero by EPSILON.
inline real clampz(real v) { return v == (real)0 ? EPSILON : v; }

// ceildiv is the number of blocks of b needed to cover a.
inline int ceildiv(int a, int b) { return (a + b - 1) / b; }

// ---- Multiplicative-update element functions ----------------------------

// MU modes: how X ⊙ V^(β−2) is formed (decided on the host from β):
// MU_GENERAL pow(V, β−2)·X, MU_KL X / V (β = 1), MU_IS (1/V)²·X (β = 0).
// Their values are backend.MUMode's, given as -D defines by the host
// (backend.KernelDefines), never written here.
#if !defined(MU_GENERAL) || !defined(MU_KL) || !defined(MU_IS)
#error "MU_GENERAL, MU_KL, MU_IS: build with backend.KernelDefines()"
#endif

// mu_ratio is X ⊙ V^(β−2) at one element, as scikit-learn forms it: V = W·H
// with a zero replaced by EPSILON when clampv (β < 2).
inline real mu_ratio(real x, real v, int mode, real e2, int clampv) {
    if (clampv) v = clampz(v);
    if (mode == MU_KL) return x / v;
    if (mode == MU_IS) {
        const real r = (real)1 / v;
        return (r * r) * x;
    }
    return rpow(v, e2) * x;
}

// mu_upow is U^(β−1) at one element: U = W·H with a zero replaced by
// EPSILON when clampu (β < 1).
inline real mu_upow(real v, real e1, int clampu) {
    if (clampu) v = clampz(v);
    return rpow(v, e1);
}

// ---- β-divergence element functions ---------------------------------------

// Divergence modes (decided on the host from β): DIV_GENERAL β ∉ {0, 1, 2},
// DIV_KL β = 1, DIV_IS β = 0, DIV_FRO β = 2. Their values are
// backend.DivMode's, given as -D defines by the host (backend.KernelDefines).
#if !defined(DIV_GENERAL) || !defined(DIV_KL) || !defined(DIV_IS) || !defined(DIV_FRO)
#error "DIV_GENERAL, DIV_KL, DIV_IS, DIV_FRO: build with backend.KernelDefines()"
#endif

// div_x_term is the part of one element's term that involves x, for
// v = (W·H)(i, j): all of (x − v)² for DIV_FRO; otherwise nothing unless
// x > EPSILON, and then, with vc = v or EPSILON where v is zero,
//   KL: x·log(x/vc) − x      IS: x/vc − log(x/vc)
//   general: x^β − β·x·vc^(β−1)
// The pieces are computed in `real` as numpy computes them; they are
// combined in `acc`.
inline acc div_x_term(real x, real v, int mode, real beta, real bm1) {
    if (mode == DIV_FRO) {
        const real d = x - v;
        return (acc)d * (acc)d;
    }
    if (!(x > EPSILON)) return (acc)0;
    const real vc = clampz(v);
    if (mode == DIV_KL) {
        const real d = x / vc;
        return (acc)(x * log(d)) - (acc)x;
    }
    if (mode == DIV_IS) {
        const real d = x / vc;
        return (acc)d - (acc)log(d);
    }
    return (acc)rpow(x, beta) - (acc)beta * (acc)(x * rpow(vc, bm1));
}

// div_wh_term is the part of one element's term that every element of W·H
// contributes, x zero or not: v for KL, (β−1)·v^β for the general case.
// (IS subtracts l·n on the host; Frobenius has none.)
inline acc div_wh_term(real v, int mode, real beta, real bm1) {
    if (mode == DIV_KL) return (acc)v;
    if (mode == DIV_GENERAL) return (acc)bm1 * (acc)rpow(v, beta);
    return (acc)0;
}

// ---- Work-group reduction ---------------------------------------------------

// group_sum returns, in every work-item, the sum of v over the work-group,
// whose size must be a power of two no larger than scratch. It may be
// called several times in one kernel.
inline acc group_sum(acc v, __local acc* scratch) {
    const int lid = get_local_id(0) + get_local_id(1) * get_local_size(0);
    const int size = get_local_size(0) * get_local_size(1);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = size / 2; s > 0; s >>= 1) {
        if (lid < s) scratch[lid] += scratch[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const acc r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

#endif // CLNMF_COMMON
