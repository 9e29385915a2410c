// gemm.cl: dense matrix products C = op(A)·op(B), and transposition.
//
// Operands are addressed through strides, which covers all four transpose
// combinations of row-major matrices with one kernel:
//   A(m, kk) = A[m*sam + kk*sak]    (A M×K: sam=K, sak=1; Aᵀ of a K×M: sam=1, sak=M)
//   B(kk, n) = B[kk*sbk + n*sbn]    (B K×N: sbk=N, sbn=1; Bᵀ of an N×K: sbk=1, sbn=K)
//   C(m, n)  = C[m*N + n]
// Loads and stores are guarded, so every shape is correct, not only
// multiples of the tile size.

// GEMM_CONTRACT lets the compiler contract a*b+c into fma in the products (1), or
// not (0, the default; common.cl turns contraction off for every file, and
// the end of this file turns it off again for the files after it).
#ifndef GEMM_CONTRACT
#define GEMM_CONTRACT 0
#endif
#if GEMM_CONTRACT
#pragma OPENCL FP_CONTRACT ON
#endif

// TS is the side of the square tiles (work-group TS×TS) of gemm.
#ifndef TS
#define TS 16
#endif

// Split K: work-group (x, y, s) sums kk over [s*kchunk, min(K, (s+1)*kchunk))
// and writes its M×N partial product to C + s*M*N; gemm_slices sums the
// slices afterwards. With one slice (kchunk >= K) C is the product itself.
__kernel __attribute__((reqd_work_group_size(TS, TS, 1)))
void gemm(const int M, const int N, const int K, const int kchunk,
          __global const real* restrict A, const int sam, const int sak,
          __global const real* restrict B, const int sbk, const int sbn,
          __global real* restrict C)
{
    __local real As[TS][TS + 1]; // As[mm][kk]
    __local real Bs[TS][TS + 1]; // Bs[kk][nn]
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int n0 = get_group_id(0) * TS, m0 = get_group_id(1) * TS;
    const int s = get_group_id(2);
    const int kb = s * kchunk;
    const int ke = min(K, kb + kchunk);
    // Threads with consecutive lx read consecutive addresses: along kk
    // when A's rows are contiguous, along m when A is transposed.
    const int amm = sak == 1 ? ly : lx, akk = sak == 1 ? lx : ly;
    const int bkk = sbn == 1 ? ly : lx, bnn = sbn == 1 ? lx : ly;
    real sum = 0;
    for (int k0 = kb; k0 < ke; k0 += TS) {
        const int am = m0 + amm, ak = k0 + akk;
        As[amm][akk] = (am < M && ak < ke) ? A[(size_t)am * sam + (size_t)ak * sak] : (real)0;
        const int bk = k0 + bkk, bn = n0 + bnn;
        Bs[bkk][bnn] = (bk < ke && bn < N) ? B[(size_t)bk * sbk + (size_t)bn * sbn] : (real)0;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < TS; kk++)
            sum += As[ly][kk] * Bs[kk][lx];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const int m = m0 + ly, n = n0 + lx;
    if (m < M && n < N)
        C[(size_t)s * M * N + IDX(m, N, n)] = sum;
}

// RB_T is the side of the output tile of gemm_rb, RB_K the depth of its
// inner-dimension tiles; each of its TS×TS work-items computes
// (RB_T/TS)² outputs, rows ly, ly+TS, ... and columns lx, lx+TS, ...
#ifndef RB_T
#define RB_T 64
#endif
#ifndef RB_K
#define RB_K 16
#endif
#define RB_W (RB_T / TS)

// gemm_rb is gemm (one slice, same operands) with register blocking, for
// outputs of at least RB_T×RB_T: work-group (x, y) computes
// C[y*RB_T.., x*RB_T..]. Loads and stores are guarded as in gemm. RB_T and
// RB_K are powers of two, RB_T a multiple of TS and RB_T·RB_K of TS².
__kernel __attribute__((reqd_work_group_size(TS, TS, 1)))
void gemm_rb(const int M, const int N, const int K,
             __global const real* restrict A, const int sam, const int sak,
             __global const real* restrict B, const int sbk, const int sbn,
             __global real* restrict C)
{
    __local real As[RB_K][RB_T + 1]; // As[kk][mm]
    __local real Bs[RB_K][RB_T + 1]; // Bs[kk][nn]
    const int lx = get_local_id(0), ly = get_local_id(1);
    const uint tid = ly * TS + lx;
    const int m0 = get_group_id(1) * RB_T, n0 = get_group_id(0) * RB_T;
    real sum[RB_W][RB_W];
    for (int wi = 0; wi < RB_W; wi++)
        for (int wj = 0; wj < RB_W; wj++)
            sum[wi][wj] = 0;
    for (int k0 = 0; k0 < K; k0 += RB_K) {
        // Consecutive work-items read consecutive addresses: along kk
        // when A's rows are contiguous, along m when A is transposed.
        // (Unsigned indices: power-of-two divisions become shifts.)
        for (uint r = 0; r < RB_T * RB_K / (TS * TS); r++) {
            const uint e = tid + r * (TS * TS);
            const int mm = sak == 1 ? e / RB_K : e % RB_T;
            const int kk = sak == 1 ? e % RB_K : e / RB_T;
            const int am = m0 + mm, ak = k0 + kk;
            As[kk][mm] = (am < M && ak < K) ? A[(size_t)am * sam + (size_t)ak * sak] : (real)0;
        }
        for (uint r = 0; r < RB_T * RB_K / (TS * TS); r++) {
            const uint e = tid + r * (TS * TS);
            const int nn = sbn == 1 ? e % RB_T : e / RB_K;
            const int kk = sbn == 1 ? e / RB_T : e % RB_K;
            const int bk = k0 + kk, bn = n0 + nn;
            Bs[kk][nn] = (bk < K && bn < N) ? B[(size_t)bk * sbk + (size_t)bn * sbn] : (real)0;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < RB_K; kk++) {
            real a[RB_W], b[RB_W];
            for (int w = 0; w < RB_W; w++) {
                a[w] = As[kk][ly + w * TS];
                b[w] = Bs[kk][lx + w * TS];
            }
            for (int wi = 0; wi < RB_W; wi++)
                for (int wj = 0; wj < RB_W; wj++)
                    sum[wi][wj] += a[wi] * b[wj];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int wi = 0; wi < RB_W; wi++) {
        const int m = m0 + ly + wi * TS;
        for (int wj = 0; wj < RB_W; wj++) {
            const int n = n0 + lx + wj * TS;
            if (m < M && n < N) C[IDX(m, N, n)] = sum[wi][wj];
        }
    }
}

// ---- CPU variants: no local memory, no barriers --------------------------
//
// On CPU devices (PoCL) a work-item is a loop iteration and local memory is
// ordinary memory behind the same caches, so the tiled kernels above pay for
// their copies and barriers and win nothing. gemm_vn and gemm_vd instead keep
// a block of C in vector registers and read A and B straight from global
// memory, with explicit vector loads along a contiguous dimension:
//   gemm_vn: B's rows contiguous (sbn = 1); each work-item computes CG_RM
//            rows × CG_VN vectors of CG_VW columns, k in order (the same
//            sums, rounded the same way, as gemm);
//   gemm_vd: A's and B's rows contiguous along k (sak = sbk = 1); each
//            work-item computes CG_DM×CG_DN outputs as dot products with
//            CG_VW-wide partial sums along k.
// Row indices are clamped to the last row so that every load is in bounds;
// stores are guarded. CG_VW is 2, 4, 8 or 16; the other sizes are ≥ 1.
#ifndef CG_VW
#define CG_VW 8
#endif
#ifndef CG_RM
#define CG_RM 4
#endif
#ifndef CG_VN
#define CG_VN 2
#endif
#ifndef CG_DM
#define CG_DM 4
#endif
#ifndef CG_DN
#define CG_DN 2
#endif
#define CG_CAT_(a, b) a##b
#define CG_CAT(a, b) CG_CAT_(a, b)
#if PRECISION == 64
#define CG_VT CG_CAT(double, CG_VW)
#else
#define CG_VT CG_CAT(float, CG_VW)
#endif
#define CG_VLOAD CG_CAT(vload, CG_VW)
#define CG_VSTORE CG_CAT(vstore, CG_VW)
#define CG_NW (CG_VW * CG_VN)

// gemm_vn reads the CG_NW columns of B at n0 from B + (n0/CG_NW)*sbp +
// k*sbk: sbp = CG_NW and sbk = N for a plain row-major B, sbp = K*CG_NW and
// sbk = CG_NW for B packed by gemm_pack (panels of CG_NW columns, each
// contiguous, the last padded with zeros: packed = 1). With mfast the
// work-items of consecutive ids walk m first (B's panel stays in cache),
// else n first (A's rows stay in cache).
__kernel void gemm_vn(const int M, const int N, const int K,
                      __global const real* restrict A, const int sam, const int sak,
                      __global const real* restrict B, const int sbp, const int sbk,
                      const int packed, const int mfast, const int k0, const int accum,
                      __global real* restrict C)
{
    const int g0 = get_global_id(0), g1 = get_global_id(1);
    const int n0 = (mfast ? g1 : g0) * CG_NW, m0 = (mfast ? g0 : g1) * CG_RM;
    if (n0 >= N || m0 >= M) return;
    B += (size_t)(n0 / CG_NW) * sbp;
    size_t ar[CG_RM];
    #pragma unroll
    for (int i = 0; i < CG_RM; i++)
        ar[i] = (size_t)min(m0 + i, M - 1) * sam;
    // With accum the sums continue from C (a previous chunk of k), in the
    // same order of operations as one pass; A's columns start at k0.
    CG_VT acc[CG_RM][CG_VN];
    #pragma unroll
    for (int i = 0; i < CG_RM; i++) {
        real t[CG_NW];
        #pragma unroll
        for (int c = 0; c < CG_NW; c++)
            t[c] = accum && m0 + i < M && n0 + c < N ? C[IDX(m0 + i, N, n0 + c)] : (real)0;
        #pragma unroll
        for (int j = 0; j < CG_VN; j++)
            acc[i][j] = CG_VLOAD(j, t);
    }
    A += (size_t)k0 * sak;
    if (packed || n0 + CG_NW <= N) {
        for (int k = 0; k < K; k++) {
            __global const real* bp = B + (size_t)k * sbk;
            CG_VT b[CG_VN];
            #pragma unroll
            for (int j = 0; j < CG_VN; j++)
                b[j] = CG_VLOAD(j, bp);
            const size_t ak = (size_t)k * sak;
            #pragma unroll
            for (int i = 0; i < CG_RM; i++) {
                const real a = A[ar[i] + ak];
                #pragma unroll
                for (int j = 0; j < CG_VN; j++)
                    acc[i][j] += a * b[j];
            }
        }
        if (n0 + CG_NW <= N) {
            #pragma unroll
            for (int i = 0; i < CG_RM; i++)
                if (m0 + i < M)
                    #pragma unroll
                    for (int j = 0; j < CG_VN; j++)
                        CG_VSTORE(acc[i][j], j, C + IDX(m0 + i, N, n0));
            return;
        }
    } else {
        // The last columns of a plain B: read element by element.
        for (int k = 0; k < K; k++) {
            real t[CG_NW];
            #pragma unroll
            for (int c = 0; c < CG_NW; c++)
                t[c] = n0 + c < N ? B[(size_t)k * sbk + c] : (real)0;
            CG_VT b[CG_VN];
            #pragma unroll
            for (int j = 0; j < CG_VN; j++)
                b[j] = CG_VLOAD(j, t);
            const size_t ak = (size_t)k * sak;
            #pragma unroll
            for (int i = 0; i < CG_RM; i++) {
                const real a = A[ar[i] + ak];
                #pragma unroll
                for (int j = 0; j < CG_VN; j++)
                    acc[i][j] += a * b[j];
            }
        }
    }
    #pragma unroll
    for (int i = 0; i < CG_RM; i++) {
        if (m0 + i >= M) continue;
        real t[CG_NW];
        #pragma unroll
        for (int j = 0; j < CG_VN; j++)
            CG_VSTORE(acc[i][j], j, t);
        #pragma unroll
        for (int c = 0; c < CG_NW; c++)
            if (n0 + c < N) C[IDX(m0 + i, N, n0 + c)] = t[c];
    }
}

// gemm_pack sets P, the K×N operand B(kk, n) = B[kk*sbk + n*sbn] in
// panels of CG_NW columns: P[(p*K + kk)*CG_NW + c] = B(kk, p*CG_NW + c), with
// zeros for the columns ≥ N of the last panel, for the K rows from k0 of B
// (global: CG_NW × K × panels;
// no division, whose div/rem pairs oclgrind cannot follow).
__kernel void gemm_pack(const int N, const int K,
                        __global const real* restrict B, const int sbk, const int sbn,
                        const int k0, __global real* restrict P)
{
    B += (size_t)k0 * sbk;
    const int c = get_global_id(0), kk = get_global_id(1), p = get_global_id(2);
    const int n = p * CG_NW + c;
    if (c >= CG_NW || kk >= K || p * CG_NW >= N) return;
    P[((size_t)p * K + kk) * CG_NW + c] =
        n < N ? B[(size_t)kk * sbk + (size_t)n * sbn] : (real)0;
}

__kernel void gemm_vd(const int M, const int N, const int K,
                      __global const real* restrict A, const int sam,
                      __global const real* restrict B, const int sbn,
                      const int mfast, __global real* restrict C)
{
    const int g0 = get_global_id(0), g1 = get_global_id(1);
    const int n0 = (mfast ? g1 : g0) * CG_DN, m0 = (mfast ? g0 : g1) * CG_DM;
    if (n0 >= N || m0 >= M) return;
    size_t ar[CG_DM], br[CG_DN];
    #pragma unroll
    for (int i = 0; i < CG_DM; i++)
        ar[i] = (size_t)min(m0 + i, M - 1) * sam;
    #pragma unroll
    for (int j = 0; j < CG_DN; j++)
        br[j] = (size_t)min(n0 + j, N - 1) * sbn;
    CG_VT acc[CG_DM][CG_DN];
    #pragma unroll
    for (int i = 0; i < CG_DM; i++)
        #pragma unroll
        for (int j = 0; j < CG_DN; j++)
            acc[i][j] = (CG_VT)0;
    int k = 0;
    for (; k + CG_VW <= K; k += CG_VW) {
        CG_VT a[CG_DM], b[CG_DN];
        #pragma unroll
        for (int i = 0; i < CG_DM; i++)
            a[i] = CG_VLOAD(0, A + ar[i] + k);
        #pragma unroll
        for (int j = 0; j < CG_DN; j++)
            b[j] = CG_VLOAD(0, B + br[j] + k);
        #pragma unroll
        for (int i = 0; i < CG_DM; i++)
            #pragma unroll
            for (int j = 0; j < CG_DN; j++)
                acc[i][j] += a[i] * b[j];
    }
    #pragma unroll
    for (int i = 0; i < CG_DM; i++) {
        #pragma unroll
        for (int j = 0; j < CG_DN; j++) {
            real t[CG_VW];
            CG_VSTORE(acc[i][j], 0, t);
            real s = t[0];
            #pragma unroll
            for (int c = 1; c < CG_VW; c++)
                s += t[c];
            for (int kk = k; kk < K; kk++)
                s += A[ar[i] + kk] * B[br[j] + kk];
            if (m0 + i < M && n0 + j < N)
                C[IDX(m0 + i, N, n0 + j)] = s;
        }
    }
}

// gemm_slices sets C[e] = Σ_s P[s*len + e] for e < len.
__kernel void gemm_slices(const int len, const int S,
                          __global const real* restrict P,
                          __global real* restrict C)
{
    const int e = get_global_id(0);
    if (e >= len) return;
    real sum = 0;
    for (int s = 0; s < S; s++)
        sum += P[(size_t)s * len + e];
    C[e] = sum;
}

// transpose sets B = Aᵀ for an R×C matrix A (B is C×R), through a local
// tile so that both the reads and the writes are contiguous.
__kernel __attribute__((reqd_work_group_size(TS, TS, 1)))
void transpose(const int R, const int C,
               __global const real* restrict A, __global real* restrict B)
{
    __local real T[TS][TS + 1];
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int c0 = get_group_id(0) * TS, r0 = get_group_id(1) * TS;
    if (r0 + ly < R && c0 + lx < C)
        T[ly][lx] = A[IDX(r0 + ly, C, c0 + lx)];
    barrier(CLK_LOCAL_MEM_FENCE);
    // B(c0+ly, r0+lx) = A(r0+lx, c0+ly) = T[lx][ly]
    if (c0 + ly < C && r0 + lx < R)
        B[IDX(c0 + ly, R, r0 + lx)] = T[lx][ly];
}

#pragma OPENCL FP_CONTRACT OFF
