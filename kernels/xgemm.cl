// xgemm.cl: the GPU profile's tunable GEMM, of CLBlast's xgemm design
// (CLBlast src/kernels/level3/xgemm_part1..3.opencl, "kernel 0"): a
// work-group of MDIMC×NDIMC work-items computes an MWG×NWG tile of C, each
// work-item an MWI×NWI register tile (MWI = MWG/MDIMC, NWI = NWG/NDIMC, at
// most 8×8), walking K in tiles of KWG unrolled by KWI; A's and B's tiles
// are cached in local memory (SA, SB) or read straight into registers;
// VWM/VWN are the vector widths of the loads and of the accumulators.
//
// Orientation as CLBlast's: C is M×N with m contiguous, C(m, n) = C[n*M + m]
// (the host passes a row-major product with its dimensions swapped), and
// C = Σ_k A(m, k)·B(n, k). Each operand has one of two layouts, fixed per
// kernel (the letter is 't' when the operand is contiguous along k):
//   A: 'n' A(m, k) = A[k*lda + m]    't' A(m, k) = A[m*lda + k]
//   B: 'n' B(n, k) = B[k*ldb + n]    't' B(n, k) = B[n*ldb + k]
// so xgemm_nn, _tn, _nt and _tt cover every transpose. Unlike CLBlast's
// xgemm, which needs operands padded to whole tiles, every load is guarded
// (zeros outside the matrices) and every store too: any M, N, K ≥ 1 is
// computed in place, and no operand is copied.
//
// Split K: work-group (x, y, s) sums k over [s*kchunk, min(K, (s+1)*kchunk))
// (kchunk a multiple of KWG) and writes C + s*M*N; gemm_slices (gemm.cl)
// adds the slices. With kchunk ≥ K, C is the product itself.

// GEMM_CONTRACT (gemm.cl's) allows fma contraction here too.
#if defined(GEMM_CONTRACT) && GEMM_CONTRACT
#pragma OPENCL FP_CONTRACT ON
#endif

// The defaults are CLBlast's own default row (xgemm_32.hpp, "default").
#ifndef MWG
#define MWG 32
#endif
#ifndef NWG
#define NWG 32
#endif
#ifndef KWG
#define KWG 32
#endif
#ifndef MDIMC
#define MDIMC 8
#endif
#ifndef NDIMC
#define NDIMC 8
#endif
#ifndef MDIMA
#define MDIMA 8
#endif
#ifndef NDIMB
#define NDIMB 8
#endif
#ifndef KWI
#define KWI 2
#endif
#ifndef VWM
#define VWM 4
#endif
#ifndef VWN
#define VWN 4
#endif
#ifndef STRM
#define STRM 0
#endif
#ifndef STRN
#define STRN 0
#endif
#ifndef SA
#define SA 1
#endif
#ifndef SB
#define SB 1
#endif

#define MWI (MWG / MDIMC)              // outputs per work-item along m
#define NWI (NWG / NDIMC)              // outputs per work-item along n
#define XG_WGS (MDIMC * NDIMC)         // work-items per group
#define KDIMA (XG_WGS / MDIMA)         // A's tile loads: MDIMA × KDIMA items
#define KDIMB (XG_WGS / NDIMB)         // B's tile loads: NDIMB × KDIMB items
#define MWA (MWG / MDIMA)
#define KWA (KWG / KDIMA)
#define NWB (NWG / NDIMB)
#define KWB (KWG / KDIMB)
// Local rows are padded by a few elements (a whole vector at least), so
// that the transposing stores of a k-contiguous operand (8 work-items
// along k, the rest along m) fall in different banks.
#define XG_PADM (VWM < 4 ? 4 / VWM : 1) // in vectors of VWM
#define XG_PADN (VWN < 4 ? 4 / VWN : 1)
#define XG_RSA (MWG / VWM + XG_PADM)    // A's local row, in vectors
#define XG_RSB (NWG / VWN + XG_PADN)
#define XG_KL 8                         // work-items along k for 't' tiles

#define XG_CAT_(a, b) a##b
#define XG_CAT(a, b) XG_CAT_(a, b)
#if PRECISION == 64
#define XG_SCALAR double
#else
#define XG_SCALAR float
#endif
#if VWM == 1
typedef real realM;
#define XG_VLOADM(o, p) ((p)[o])
#define XG_VSTOREM(v, o, p) ((p)[o] = (v))
#else
typedef XG_CAT(XG_SCALAR, VWM) realM;
#define XG_VLOADM XG_CAT(vload, VWM)
#define XG_VSTOREM XG_CAT(vstore, VWM)
#endif
#if VWN == 1
typedef real realN;
#define XG_VLOADN(o, p) ((p)[o])
#define XG_VSTOREN(v, o, p) ((p)[o] = (v))
#else
typedef XG_CAT(XG_SCALAR, VWN) realN;
#define XG_VLOADN XG_CAT(vload, VWN)
#define XG_VSTOREN XG_CAT(vstore, VWN)
#endif

// xg_loadM returns the VWM elements p[off..] of which the first avail are
// inside the matrix (zeros for the rest); al says p + off is aligned to a
// vector (then one vector load). xg_gatherM returns p[off + i*stride] for
// i < VWM (zeros from avail on). xg_loadN and xg_gatherN are the same with
// VWN: XG_LOADERS defines both pairs.
#define XG_LOADERS(S, VW, T, VLOAD)                                                             \
    inline T xg_load##S(__global const real* restrict p, const size_t off, const int avail,     \
                        const int al) {                                                         \
        if (avail >= VW)                                                                        \
            return al ? ((__global const T*)p)[off / VW] : VLOAD(0, p + off);                   \
        real t[VW];                                                                             \
        for (int i = 0; i < VW; i++)                                                            \
            t[i] = i < avail ? p[off + i] : (real)0;                                            \
        return VLOAD(0, t);                                                                     \
    }                                                                                           \
    inline T xg_gather##S(__global const real* restrict p, const size_t off, const int stride,  \
                          const int avail) {                                                    \
        real t[VW];                                                                             \
        for (int i = 0; i < VW; i++)                                                            \
            t[i] = i < avail ? p[off + (size_t)i * stride] : (real)0;                           \
        return VLOAD(0, t);                                                                     \
    }
XG_LOADERS(M, VWM, realM, XG_VLOADM)
XG_LOADERS(N, VWN, realN, XG_VLOADN)

// xg_mvec and xg_nvec are the vector index (along m, in vectors of VWM;
// along n, of VWN) of a work-item's i-th register vector: strided over
// the group (STRM/STRN = 1) or a contiguous block per work-item (0).
inline int xg_mvec(const int lid0, const int i) { return STRM ? lid0 + i * MDIMC : i + lid0 * (MWI / VWM); }
inline int xg_nvec(const int lid1, const int i) { return STRN ? lid1 + i * NDIMC : i + lid1 * (NWI / VWN); }

// xg_tileT caches the KWG×ow tile at (o0, kwg) of a 't' operand P(o, k) =
// P[o*ld + k] (zeros beyond rows and ke) in ls[kk*rs + oo]: 8 work-items
// along k reading consecutive elements, the others along o.
inline void xg_tileT(__local real* ls, const int rs, const int ow, __global const real* restrict P, const int ld,
                     const int rows, const int o0, const int kwg, const int ke, const int tid) {
    const int kl = tid % XG_KL, ol = tid / XG_KL;
    for (int oo = ol; oo < ow; oo += XG_WGS / XG_KL) {
        const int o = o0 + oo;
        #pragma unroll
        for (int kk = kl; kk < KWG; kk += XG_KL) {
            const int k = kwg + kk;
            ls[kk * rs + oo] = o < rows && k < ke ? P[(size_t)o * ld + k] : (real)0;
        }
    }
}

// xg_tileA caches A's KWG×MWG tile at (m0, kwg) in alm[kg*XG_RSA + mg]
// (zeros beyond M and ke). 'n' layout: CLBlast's GlobalToLocalA, vectors
// along m by MDIMA×KDIMA work-items; 't': xg_tileT.
inline void xg_tileA(__local realM* alm, __global const real* restrict A, const int lda, const int at,
                     const int M, const int m0, const int kwg, const int ke, const int tid) {
    if (!at) {
        const int la0 = tid % MDIMA, la1 = tid / MDIMA, al = lda % VWM == 0;
        #pragma unroll
        for (int mia = 0; mia < MWA / VWM; mia++) {
            #pragma unroll
            for (int kia = 0; kia < KWA; kia++) {
                const int mg = STRM ? la0 + mia * MDIMA : mia + la0 * (MWA / VWM);
                const int kg = kia + la1 * KWA;
                const int m = m0 + mg * VWM, k = kwg + kg;
                alm[kg * XG_RSA + mg] = xg_loadM(A, (size_t)k * lda + m, k < ke ? M - m : 0, al);
            }
        }
    } else {
        xg_tileT((__local real*)alm, XG_RSA * VWM, MWG, A, lda, M, m0, kwg, ke, tid);
    }
}

// xg_tileB is xg_tileA for B's KWG×NWG tile at (n0, kwg).
inline void xg_tileB(__local realN* blm, __global const real* restrict B, const int ldb, const int bt,
                     const int N, const int n0, const int kwg, const int ke, const int tid) {
    if (!bt) {
        const int lb0 = tid % NDIMB, lb1 = tid / NDIMB, al = ldb % VWN == 0;
        #pragma unroll
        for (int kib = 0; kib < KWB; kib++) {
            #pragma unroll
            for (int nib = 0; nib < NWB / VWN; nib++) {
                const int ng = STRN ? lb0 + nib * NDIMB : nib + lb0 * (NWB / VWN);
                const int kg = kib + lb1 * KWB;
                const int n = n0 + ng * VWN, k = kwg + kg;
                blm[kg * XG_RSB + ng] = xg_loadN(B, (size_t)k * ldb + n, k < ke ? N - n : 0, al);
            }
        }
    } else {
        xg_tileT((__local real*)blm, XG_RSB * VWN, NWG, B, ldb, N, n0, kwg, ke, tid);
    }
}

// xg_privA returns a work-item's i-th vector of A at k (SA = 0: from
// global memory); xg_privB B's, as VWN scalars into b.
inline realM xg_privA(__global const real* restrict A, const int lda, const int at,
                      const int M, const int m0, const int i, const int k) {
    const int m = m0 + xg_mvec(get_local_id(0), i) * VWM;
    if (at)
        return xg_gatherM(A, (size_t)m * lda + k, lda, M - m);
    return xg_loadM(A, (size_t)k * lda + m, M - m, lda % VWM == 0);
}

inline realN xg_privB(__global const real* restrict B, const int ldb, const int bt,
                      const int N, const int n0, const int i, const int k) {
    const int n = n0 + xg_nvec(get_local_id(1), i) * VWN;
    if (bt)
        return xg_gatherN(B, (size_t)n * ldb + k, ldb, N - n);
    return xg_loadN(B, (size_t)k * ldb + n, N - n, ldb % VWN == 0);
}

// XG_STEP adds one k (kg within the tile, k in the matrices) to the
// accumulators: A's MWI values as vectors, B's NWI as scalars.
#if SA
#define XG_APM(i, kg, k) alm[(kg) * XG_RSA + xg_mvec(lid0, i)]
#else
#define XG_APM(i, kg, k) xg_privA(A, lda, at, M, m0, i, k)
#endif
#if SB
#define XG_BPN(i, kg, k) blm[(kg) * XG_RSB + xg_nvec(lid1, i)]
#else
#define XG_BPN(i, kg, k) xg_privB(B, ldb, bt, N, n0, i, k)
#endif
#define XG_STEP(kg, k)                                                   \
    {                                                                    \
        realM apm[MWI / VWM];                                            \
        real bpn[NWI];                                                   \
        _Pragma("unroll") for (int i = 0; i < MWI / VWM; i++)            \
            apm[i] = XG_APM(i, kg, k);                                   \
        _Pragma("unroll") for (int j = 0; j < NWI / VWN; j++)            \
            XG_VSTOREN(XG_BPN(j, kg, k), j, bpn);                        \
        _Pragma("unroll") for (int j = 0; j < NWI; j++)                  \
            _Pragma("unroll") for (int i = 0; i < MWI / VWM; i++)        \
                cpm[j][i] += apm[i] * bpn[j];                            \
    }

// xg_store writes a work-item's register tile to C (guarded).
inline void xg_store(__global real* restrict C, const int M, const int N,
                     const int m0, const int n0, realM cpm[NWI][MWI / VWM]) {
    const int lid0 = get_local_id(0), lid1 = get_local_id(1);
    const int al = M % VWM == 0;
    #pragma unroll
    for (int j = 0; j < NWI; j++) {
        const int n = n0 + xg_nvec(lid1, j / VWN) * VWN + j % VWN;
        if (n >= N)
            continue;
        #pragma unroll
        for (int i = 0; i < MWI / VWM; i++) {
            const int m = m0 + xg_mvec(lid0, i) * VWM;
            const size_t off = (size_t)n * M + m;
            if (m + VWM <= M) {
                if (al)
                    ((__global realM*)C)[off / VWM] = cpm[j][i];
                else
                    XG_VSTOREM(cpm[j][i], 0, C + off);
            } else if (m < M) {
                real t[VWM];
                XG_VSTOREM(cpm[j][i], 0, t);
                for (int e = 0; e < M - m; e++)
                    C[off + e] = t[e];
            }
        }
    }
}

// xgemm_body is the kernel: at and bt say whether A and B are contiguous
// along k (constants in each of the four kernels below).
inline void xgemm_body(const int M, const int N, const int K, const int kchunk,
                       __global const real* restrict A, const int lda, const int at,
                       __global const real* restrict B, const int ldb, const int bt,
                       __global real* restrict C, __local realM* alm, __local realN* blm) {
    const int lid0 = get_local_id(0), lid1 = get_local_id(1);
    const int tid = lid1 * MDIMC + lid0;
    const int m0 = get_group_id(0) * MWG, n0 = get_group_id(1) * NWG;
    const int s = get_group_id(2);
    const int kb = s * kchunk, ke = min(K, kb + kchunk);
    realM cpm[NWI][MWI / VWM];
    #pragma unroll
    for (int j = 0; j < NWI; j++)
        #pragma unroll
        for (int i = 0; i < MWI / VWM; i++)
            cpm[j][i] = (realM)0;
    for (int kwg = kb; kwg < ke; kwg += KWG) {
#if SA
        xg_tileA(alm, A, lda, at, M, m0, kwg, ke, tid);
#endif
#if SB
        xg_tileB(blm, B, ldb, bt, N, n0, kwg, ke, tid);
#endif
#if SA || SB
        barrier(CLK_LOCAL_MEM_FENCE);
#endif
        if (kwg + KWG <= ke) {
            for (int pwi = 0; pwi < KWG; pwi += KWI) {
                #pragma unroll
                for (int pit = 0; pit < KWI; pit++)
                    XG_STEP(pwi + pit, kwg + pwi + pit)
            }
        } else {
            for (int kg = 0; kg < ke - kwg; kg++)
                XG_STEP(kg, kwg + kg)
        }
#if SA || SB
        barrier(CLK_LOCAL_MEM_FENCE);
#endif
    }
    xg_store(C + (size_t)s * M * N, M, N, m0, n0, cpm);
}

#define XG_KERNEL(name, at, bt)                                                      \
    __kernel __attribute__((reqd_work_group_size(MDIMC, NDIMC, 1)))                  \
    void name(const int M, const int N, const int K, const int kchunk,               \
              __global const real* restrict A, const int lda,                        \
              __global const real* restrict B, const int ldb,                        \
              __global real* restrict C) {                                           \
        __local realM alm[SA ? KWG * XG_RSA : 1];                                    \
        __local realN blm[SB ? KWG * XG_RSB : 1];                                    \
        xgemm_body(M, N, K, kchunk, A, lda, at, B, ldb, bt, C, alm, blm);            \
    }

XG_KERNEL(xgemm_nn, 0, 0)
XG_KERNEL(xgemm_tn, 1, 0)
XG_KERNEL(xgemm_nt, 0, 1)
XG_KERNEL(xgemm_tt, 1, 1)

#pragma OPENCL FP_CONTRACT OFF
