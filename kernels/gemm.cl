// gemm.cl: dense matrix products C = op(A)·op(B), and transposition.
//
// Operands are addressed through strides, which covers all four transpose
// combinations of row-major matrices with one kernel:
//   A(m, kk) = A[m*sam + kk*sak]    (A M×K: sam=K, sak=1; Aᵀ of a K×M: sam=1, sak=M)
//   B(kk, n) = B[kk*sbk + n*sbn]    (B K×N: sbk=N, sbn=1; Bᵀ of an N×K: sbk=1, sbn=K)
//   C(m, n)  = C[m*N + n]
// Loads and stores are guarded, so every shape is correct, not only
// multiples of the tile size.

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
