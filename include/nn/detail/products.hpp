// nn/detail/products.hpp: the matrix products of forward and backprop (Products<T>), one copy per
// instruction set. Products large enough to repay packing go to gemm.hpp; the small ones are plain
// loops here and rows.hpp's dense row (which nn::StaticNN shares). The naive references are in
// kernels.hpp, which reads this file once per target, inside the target's namespace: it includes
// nothing itself.
#if !defined(NN_DETAIL_TARGET_BYTES)
#error "nn/detail/products.hpp is read by nn/detail/kernels.hpp, once per target: include <nn/detail/kernels.hpp>"
#endif

/// True when a product of these sizes is worth the blocked GEMM: below about 16^3 multiply-adds,
/// or for fewer than 4 rows of C (one sample: rows of C updated along contiguous rows of B), the
/// plain loops below cost less. A C narrower than 4 columns (a network with one output) still
/// goes to the GEMM when it is large: its one-vector kernel beats dot products one at a time.
inline bool use_gemm(std::size_t m, std::size_t n, std::size_t k) { return m * n * k >= 4096 && m >= 4; }

/// C (m x n) = op(A) . op(B), then plus bias[j] in each row given a bias, for the large products:
/// the library's GEMM, or with NN_USE_CBLAS the user's BLAS. A is m x k (k x m when a_transposed),
/// B is k x n (n x k when b_transposed).
template <Real T>
void large_product(std::size_t m, std::size_t n, std::size_t k, const T* a, bool a_transposed, const T* b,
                   bool b_transposed, T* c, const T* bias = nullptr) {
#if defined(NN_USE_CBLAS)
    const auto ta = a_transposed ? CblasTrans : CblasNoTrans, tb = b_transposed ? CblasTrans : CblasNoTrans;
    const int M = int(m), N = int(n), K = int(k), lda = a_transposed ? M : K, ldb = b_transposed ? K : N;
    if constexpr (sizeof(T) == 4)
        cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, 1.0f, a, lda, b, ldb, 0.0f, c, N);
    else
        cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, 1.0, a, lda, b, ldb, 0.0, c, N);
    if (bias) Elementwise<T>::add_bias(MatrixView<T>(c, m, n), MatrixView<const T>(bias, 1, n));
#else
    gemm<T>(m, n, k, a, a_transposed ? 1 : k, a_transposed ? m : 1, b, b_transposed ? 1 : n, b_transposed ? k : 1, c, n,
            1, bias);
#endif
}

/// True when rows of C of n columns are too short to vectorise along (narrower than a 16-byte
/// vector): the small products compute each element as a dot product in a register instead.
template <Real T>
constexpr bool narrow(std::size_t n) {
    return n * sizeof(T) < 16;
}

/// C (m x n) = op(A) . op(B) for a small product with a narrow C, one dot product per element,
/// summed over p in order: element (i, p) of op(A) is a[i * rsa + p * csa], (p, j) of op(B) is
/// b[p * rsb + j * csb], C(i, j) is c[i * ldc + j]; then bias[j] added to each sum, when there is
/// a bias. K and N, when not 0, are the k and n it is called with, constants for GCC (narrow_copy).
/// Built without loop vectorisation: GCC's -O3 would otherwise make the sum over p an in-order
/// reduction, its products in a vector and its adds one by one, unfusing the multiply-adds that
/// -O2 and the vector loops fuse (different bits for the same source at -O2 and -O3).
template <Real T, std::size_t K = 0, std::size_t N = 0>
NN_DETAIL_SCALAR_ATTRIBUTE void narrow_product(std::size_t m, std::size_t n, std::size_t k, const T* a, std::size_t rsa,
                                               std::size_t csa, const T* b, std::size_t rsb, std::size_t csb,
                                               T* __restrict c, std::size_t ldc, const T* bias = nullptr) {
    if constexpr (K != 0) k = K;
    if constexpr (N != 0) n = N;
    NN_DETAIL_SCALAR_LOOP
    for (std::size_t i = 0; i < m; ++i) {
        NN_DETAIL_SCALAR_LOOP
        for (std::size_t j = 0; j < n; ++j) {
            const T* x = a + i * rsa;
            const T* y = b + j * csb;
            T sum = 0;
#pragma GCC unroll 4
            for (std::size_t p = 0; p < k; ++p, x += csa, y += rsb) sum = NN_DETAIL_FUSED(sum + *x * *y);
            c[i * ldc + j] = bias ? T(sum + bias[j]) : sum;
        }
    }
}

/// The copy of narrow_product to call for these k and n. GCC's code for a tiny network's sums (k
/// of 1 to 4 terms, n of 1 to 3 columns) is much shorter with k and n constants: such a product
/// calls the copy for its k and n, from a table (the loops' bookkeeping and the calls were a third
/// of the instructions of a XOR step), and the caller calls it directly; Clang's is not.
template <Real T>
NN_DETAIL_ALWAYS_INLINE inline auto narrow_copy([[maybe_unused]] std::size_t k, [[maybe_unused]] std::size_t n) {
    using Copy = void (*)(std::size_t, std::size_t, std::size_t, const T*, std::size_t, std::size_t, const T*,
                          std::size_t, std::size_t, T*, std::size_t, const T*);
#if !defined(__clang__)
    static constexpr Copy fixed[4][4] = {
        {narrow_product<T, 1, 0>, narrow_product<T, 1, 1>, narrow_product<T, 1, 2>, narrow_product<T, 1, 3>},
        {narrow_product<T, 2, 0>, narrow_product<T, 2, 1>, narrow_product<T, 2, 2>, narrow_product<T, 2, 3>},
        {narrow_product<T, 3, 0>, narrow_product<T, 3, 1>, narrow_product<T, 3, 2>, narrow_product<T, 3, 3>},
        {narrow_product<T, 4, 0>, narrow_product<T, 4, 1>, narrow_product<T, 4, 2>, narrow_product<T, 4, 3>}};
    if (k >= 1 && k <= 4) return fixed[k - 1][n <= 3 ? n : 0];
#endif
    return Copy(narrow_product<T>);
}

/// The products of forward and backprop: a large one through the GEMM, a small one by the loops
/// above. Each sums in a fixed order, so the bits depend on neither the compiler nor the vector
/// width (the GEMM's order is its own; see gemm.hpp).
template <Real T>
struct Products {
    /// C = A . B, then, given a bias row b, C(i, :) += b: a layer's weighted sums.
    /// A: m x k, B: k x n, b: 1 x n or empty -> C: m x n
    NN_DETAIL_ENTRY static void matmul(const MatrixView<const T>& A, const MatrixView<const T>& B,
                                       const MatrixView<T>& C, const MatrixView<const T>& b = {}) {
        NN_ASSERT(A.cols() == B.rows() && C.rows() == A.rows() && C.cols() == B.cols(), "matmul shapes");
        NN_ASSERT(b.empty() || (b.rows() == 1 && b.cols() == C.cols()), "bias shape");
        const T* bias = b.empty() ? nullptr : b.data();
        if (use_gemm(A.rows(), B.cols(), A.cols())) // the bias added in the GEMM's stores
            return large_product<T>(A.rows(), B.cols(), A.cols(), A.data(), false, B.data(), false, C.data(), bias);
        small_matmul(A, B, C, bias);
    }

    /// matmul's product too small for the GEMM (and one sample's layer in Passes): a row of C is
    /// the sum over p of A(i, p) * row p of B, in order, eight vectors of the row at a time (then
    /// four, two, one, and narrower vectors down to 16 bytes); the last columns, fewer than a
    /// 16-byte vector holds (all of a narrow C), by narrow_product's dot products, summed in the
    /// same order. Then each element's bias is added to its whole sum.
    NN_DETAIL_ALWAYS_INLINE static void small_matmul(MatrixView<const T> A, MatrixView<const T> B, MatrixView<T> C,
                                                     const T* bias) {
        const std::size_t m = A.rows(), k = A.cols(), n = B.cols(), vectors = n - n % (16 / sizeof(T));
        constexpr std::size_t W = Lanes<T>::count;
        for (std::size_t i = 0; i < m && vectors > 0; ++i) {
            const T* a = A.data() + i * k;
            T* __restrict c = C.data() + i * n;
            std::size_t j = 0;
            const auto store_at = [&](std::size_t at) {
                return [c, at, bias]<class U>(std::size_t jj, U z)
                           NN_DETAIL_ALWAYS_INLINE { store(c + at + jj, bias ? U(z + load<U>(bias + at + jj)) : z); };
            };
            for (; j + 8 * W <= n; j += 8 * W) dense_row<8, 0, 1>(a, B.data() + j, k, n, store_at(j));
            if (j + 4 * W <= n) dense_row<4, 0, 1>(a, B.data() + j, k, n, store_at(j)), j += 4 * W;
            if (j + 2 * W <= n) dense_row<2, 0, 1>(a, B.data() + j, k, n, store_at(j)), j += 2 * W;
            if (j + W <= n) dense_row<1, 0, 1>(a, B.data() + j, k, n, store_at(j)), j += W;
            by_vectors<typename Lanes<T>::Vector, T>(
                j, vectors, [&]<class U>(std::size_t jj, U) NN_DETAIL_ALWAYS_INLINE {
                    if constexpr (!std::is_same_v<U, T>) { // (vectors ends where elements would begin)
                        U sum{};
                        for (std::size_t p = 0; p < k; ++p)
                            sum = NN_DETAIL_FUSED(sum + a[p] * load<U>(B.data() + p * n + jj));
                        store_at(0)(jj, sum);
                    }
                });
        }
        if (vectors < n)
            narrow_copy<T>(k, n - vectors)(m, n - vectors, k, A.data(), k, 1, B.data() + vectors, n, 1,
                                           C.data() + vectors, n, bias ? bias + vectors : nullptr);
    }

    /// C = A^T . B        A: k x m, B: k x n -> C: m x n
    /// Small: summed over p in order, one rank-1 update a time; a narrow C by dot products.
    NN_DETAIL_ENTRY static void matmul_at_b(const MatrixView<const T>& A, const MatrixView<const T>& B,
                                            const MatrixView<T>& C) {
        NN_ASSERT(A.rows() == B.rows() && C.rows() == A.cols() && C.cols() == B.cols(), "matmul_at_b shapes");
        const std::size_t k = A.rows(), m = A.cols(), n = B.cols();
        if (use_gemm(m, n, k)) return large_product<T>(m, n, k, A.data(), true, B.data(), false, C.data());
        if (narrow<T>(n)) return narrow_copy<T>(k, n)(m, n, k, A.data(), 1, m, B.data(), n, 1, C.data(), n, nullptr);
        const T* const a_data = A.data(); // (the stores below may alias the views, not these)
        const T* const b_data = B.data();
        T* const c_data = C.data();
        if (k == 0)
            for (std::size_t i = 0; i < m * n; ++i) c_data[i] = T(0);
        for (std::size_t p = 0; p < k; ++p) {
            const T* __restrict b = b_data + p * n;
            for (std::size_t i = 0; i < m; ++i) {
                const T a = a_data[p * m + i];
                T* __restrict c = c_data + i * n;
                // The first term added to 0 as the others are to the sum, without reading C (whose
                // zeros, stored element by element, a vector load would wait for).
                by_vectors<typename Lanes<T>::Vector, T>(0, n, [&]<class U>(std::size_t j, U) NN_DETAIL_ALWAYS_INLINE {
                    store(c + j, (p == 0 ? U{} : load<U>(c + j)) + a * load<U>(b + j));
                });
            }
        }
    }

    /// C = A . B^T        A: m x k, B: n x k -> C: m x n
    /// Small: each C(i, j) is a dot product of two contiguous rows, summed in eight interleaved
    /// partial sums, the last k mod 8 terms into the first of them, then the eight in order (a fixed
    /// order, so results do not depend on the compiler; no sum of products over p left for GCC's
    /// -O3 to turn into an in-order reduction, which unfuses); under eight terms, by narrow_product.
    NN_DETAIL_ENTRY static void matmul_a_bt(const MatrixView<const T>& A, const MatrixView<const T>& B,
                                            const MatrixView<T>& C) {
        NN_ASSERT(A.cols() == B.cols() && C.rows() == A.rows() && C.cols() == B.rows(), "matmul_a_bt shapes");
        const std::size_t m = A.rows(), k = A.cols(), n = B.rows();
        if (use_gemm(m, n, k)) return large_product<T>(m, n, k, A.data(), false, B.data(), true, C.data());
        // The eight partial sums in vectors no wider than the target's (one of 32 or 64 bytes, or
        // two or four of 16 or 32): explicit, as NN_DETAIL_FUSED keeps a loop from being vectorised.
        constexpr std::size_t lanes = 8,
                              part_bytes = lanes * sizeof(T) < vector_bytes ? lanes * sizeof(T) : vector_bytes;
        constexpr std::size_t per = part_bytes / sizeof(T), parts = lanes / per;
        using P = typename VectorOf<T, part_bytes>::type;
        if (k < lanes) return narrow_copy<T>(k, n)(m, n, k, A.data(), k, 1, B.data(), 1, k, C.data(), n, nullptr);
        for (std::size_t i = 0; i < m; ++i) {
            const T* __restrict a = A.data() + i * k;
            for (std::size_t j = 0; j < n; ++j) {
                const T* __restrict b = B.data() + j * k;
                P part[parts] = {};
                std::size_t p = 0;
                for (; p + lanes <= k; p += lanes)
                    for (std::size_t q = 0; q < parts; ++q)
                        part[q] = NN_DETAIL_FUSED(part[q] + load<P>(a + p + q * per) * load<P>(b + p + q * per));
                T last[lanes];
                std::memcpy(last, part, sizeof last);
                for (std::size_t l = 0; p + l < k; ++l) last[l] += a[p + l] * b[p + l];
                T sum = 0;
                for (std::size_t l = 0; l < lanes; ++l) sum += last[l];
                C.data()[i * n + j] = sum;
            }
        }
    }
};
