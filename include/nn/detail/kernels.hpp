// nn/detail/kernels.hpp: every loop over matrix elements that forward, backprop and the
// optimizers run.
//
// This is the one place to make the library fast. Each matrix product has a naive reference in
// nn::detail::naive, which the tests hold the fast version to: products big enough to repay
// packing go to the blocked GEMM of gemm.hpp, small ones (XOR-sized networks) to plain loops
// with no packing or dispatch. Shapes are checked with NN_ASSERT: the callers in network.hpp have
// already validated the user's input.
#pragma once

#include <cmath>
#include <cstddef>

#include <nn/activation.hpp>
#include <nn/detail/gemm.hpp>

#if defined(NN_USE_CBLAS)
#include <cblas.h>
#endif
#include <nn/matrix.hpp>

namespace nn::detail {

namespace naive {

/// C = A . B          A: m x k, B: k x n -> C: m x n
template <Real T>
void matmul(MatrixView<const T> A, MatrixView<const T> B, MatrixView<T> C) {
    NN_ASSERT(A.cols() == B.rows() && C.rows() == A.rows() && C.cols() == B.cols(), "matmul shapes");
    for (std::size_t i = 0; i < C.rows(); ++i)
        for (std::size_t j = 0; j < C.cols(); ++j) {
            T sum = 0;
            for (std::size_t p = 0; p < A.cols(); ++p) sum += A(i, p) * B(p, j);
            C(i, j) = sum;
        }
}

/// C = A^T . B        A: k x m, B: k x n -> C: m x n
template <Real T>
void matmul_at_b(MatrixView<const T> A, MatrixView<const T> B, MatrixView<T> C) {
    NN_ASSERT(A.rows() == B.rows() && C.rows() == A.cols() && C.cols() == B.cols(), "matmul_at_b shapes");
    for (std::size_t i = 0; i < C.rows(); ++i)
        for (std::size_t j = 0; j < C.cols(); ++j) {
            T sum = 0;
            for (std::size_t p = 0; p < A.rows(); ++p) sum += A(p, i) * B(p, j);
            C(i, j) = sum;
        }
}

/// C = A . B^T        A: m x k, B: n x k -> C: m x n
template <Real T>
void matmul_a_bt(MatrixView<const T> A, MatrixView<const T> B, MatrixView<T> C) {
    NN_ASSERT(A.cols() == B.cols() && C.rows() == A.rows() && C.cols() == B.rows(), "matmul_a_bt shapes");
    for (std::size_t i = 0; i < C.rows(); ++i)
        for (std::size_t j = 0; j < C.cols(); ++j) {
            T sum = 0;
            for (std::size_t p = 0; p < A.cols(); ++p) sum += A(i, p) * B(j, p);
            C(i, j) = sum;
        }
}

/// g(0, j) = sum over i of D(i, j), in row order.
template <Real T>
void column_sums(MatrixView<const T> D, MatrixView<T> g) {
    NN_ASSERT(g.rows() == 1 && g.cols() == D.cols(), "column_sums shapes");
    for (std::size_t j = 0; j < D.cols(); ++j) {
        T sum = 0;
        for (std::size_t i = 0; i < D.rows(); ++i) sum += D(i, j);
        g(0, j) = sum;
    }
}

/// One SGD step, element by element (see nn::detail::sgd_step).
template <Real T>
void sgd_step(MatrixView<T> P, MatrixView<const T> G, MatrixView<T> V, T rate, T momentum, bool nesterov,
              T weight_decay) {
    for (std::size_t i = 0; i < P.size(); ++i) {
        T& p = P.data()[i];
        T step = G.data()[i] + weight_decay * p;
        if (momentum != T(0)) {
            T& v = V.data()[i];
            v = momentum * v + step;
            step = nesterov ? step + momentum * v : v;
        }
        p -= rate * step;
    }
}

/// One AdamW step, element by element (see nn::detail::adam_step).
template <Real T>
void adam_step(MatrixView<T> P, MatrixView<const T> G, MatrixView<T> M, MatrixView<T> V, T rate, T beta1, T beta2,
               T eps, T weight_decay, T correction1, T correction2) {
    for (std::size_t i = 0; i < P.size(); ++i) {
        T& p = P.data()[i];
        T& m = M.data()[i];
        T& v = V.data()[i];
        const T g = G.data()[i];
        p -= rate * weight_decay * p;
        m = beta1 * m + (T(1) - beta1) * g;
        v = beta2 * v + (T(1) - beta2) * g * g;
        p -= rate * (m / correction1) / (std::sqrt(v / correction2) + eps);
    }
}

} // namespace naive

/// Element-wise loops over at least this many elements are shared among OpenMP threads (when
/// compiled with -fopenmp); each element is computed alone, so threads never change results.
inline constexpr std::size_t parallel_elements = std::size_t(1) << 17;

/// update(i, Vec()) for i = first, first + lanes, ... while a whole vector of Vec fits below last,
/// then update(i, T()) for each element left: an element loop written once for a vector and for T,
/// so that the vectors and the tail do the same arithmetic. Explicit vectors, because GCC's -O2
/// keeps such loops scalar.
template <class Vec, Real T, class Update>
NN_DETAIL_ALWAYS_INLINE inline void by_vectors(std::size_t first, std::size_t last, const Update& update) {
    constexpr std::size_t W = sizeof(Vec) / sizeof(T);
    const std::size_t whole = first + (last - first) / W * W;
    for (std::size_t i = first; i < whole; i += W) update(i, Vec());
    for (std::size_t i = whole; i < last; ++i) update(i, T());
}

/// True when a product of these sizes is worth the blocked GEMM: below about 16^3 multiply-adds,
/// or for fewer than 4 rows of C (one sample: rows of C updated along contiguous rows of B), the
/// plain loops below cost less. A C narrower than 4 columns (a network with one output) still
/// goes to the GEMM when it is large: its one-vector kernel beats dot products one at a time.
inline bool use_gemm(std::size_t m, std::size_t n, std::size_t k) { return m * n * k >= 4096 && m >= 4; }

/// C (m x n) = op(A) . op(B) for the large products: the library's GEMM, or with NN_USE_CBLAS
/// the user's BLAS. A is m x k (k x m when a_transposed), B is k x n (n x k when b_transposed).
template <Real T>
void large_product(std::size_t m, std::size_t n, std::size_t k, const T* a, bool a_transposed, const T* b,
                   bool b_transposed, T* c) {
#if defined(NN_USE_CBLAS)
    const auto ta = a_transposed ? CblasTrans : CblasNoTrans, tb = b_transposed ? CblasTrans : CblasNoTrans;
    const int M = int(m), N = int(n), K = int(k), lda = a_transposed ? M : K, ldb = b_transposed ? K : N;
    if constexpr (sizeof(T) == 4)
        cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, 1.0f, a, lda, b, ldb, 0.0f, c, N);
    else
        cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, 1.0, a, lda, b, ldb, 0.0, c, N);
#else
    gemm<T>(m, n, k, a, a_transposed ? 1 : k, a_transposed ? m : 1, b, b_transposed ? 1 : n, b_transposed ? k : 1, c, n,
            1);
#endif
}

// The kernels that backprop calls once per layer are always inlined (NN_DETAIL_ALWAYS_INLINE):
// for XOR-sized layers the call, with its views passed on the stack, cost more than the
// arithmetic, and compiled with -fopenmp GCC stopped inlining them on its own.

/// Rows of C narrower than this are too short to vectorise along: the small products compute each
/// element as a dot product in a register instead.
inline constexpr std::size_t narrow_columns = 8;

/// C (m x n) = op(A) . op(B) for a small product with a narrow C, one dot product per element,
/// summed over p in order: element (i, p) of op(A) is a[i * rsa + p * csa], (p, j) of op(B) is
/// b[p * rsb + j * csb].
template <Real T>
void narrow_product(std::size_t m, std::size_t n, std::size_t k, const T* a, std::size_t rsa, std::size_t csa,
                    const T* b, std::size_t rsb, std::size_t csb, T* __restrict c) {
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            const T* x = a + i * rsa;
            const T* y = b + j * csb;
            T sum = 0;
            for (std::size_t p = 0; p < k; ++p, x += csa, y += rsb) sum += *x * *y;
            c[i * n + j] = sum;
        }
}

/// C = A . B          A: m x k, B: k x n -> C: m x n
/// Small: row of C += A(i, p) * row p of B, the inner loop along contiguous rows; a narrow C by
/// dot products.
template <Real T>
NN_DETAIL_ALWAYS_INLINE inline void matmul(MatrixView<const T> A, MatrixView<const T> B, MatrixView<T> C) {
    NN_ASSERT(A.cols() == B.rows() && C.rows() == A.rows() && C.cols() == B.cols(), "matmul shapes");
    const std::size_t m = A.rows(), k = A.cols(), n = B.cols();
    if (use_gemm(m, n, k)) return large_product<T>(m, n, k, A.data(), false, B.data(), false, C.data());
    if (n < narrow_columns) return narrow_product<T>(m, n, k, A.data(), k, 1, B.data(), n, 1, C.data());
    for (std::size_t i = 0; i < m; ++i) {
        T* __restrict c = C.data() + i * n;
        for (std::size_t j = 0; j < n; ++j) c[j] = T(0);
        for (std::size_t p = 0; p < k; ++p) {
            const T a = A.data()[i * k + p];
            const T* __restrict b = B.data() + p * n;
            for (std::size_t j = 0; j < n; ++j) c[j] += a * b[j];
        }
    }
}

/// C = A^T . B        A: k x m, B: k x n -> C: m x n
/// Small: summed over p in order, one rank-1 update a time; a narrow C by dot products.
template <Real T>
NN_DETAIL_ALWAYS_INLINE inline void matmul_at_b(MatrixView<const T> A, MatrixView<const T> B, MatrixView<T> C) {
    NN_ASSERT(A.rows() == B.rows() && C.rows() == A.cols() && C.cols() == B.cols(), "matmul_at_b shapes");
    const std::size_t k = A.rows(), m = A.cols(), n = B.cols();
    if (use_gemm(m, n, k)) return large_product<T>(m, n, k, A.data(), true, B.data(), false, C.data());
    if (n < narrow_columns) return narrow_product<T>(m, n, k, A.data(), 1, m, B.data(), n, 1, C.data());
    for (std::size_t i = 0; i < m * n; ++i) C.data()[i] = T(0);
    for (std::size_t p = 0; p < k; ++p) {
        const T* __restrict b = B.data() + p * n;
        for (std::size_t i = 0; i < m; ++i) {
            const T a = A.data()[p * m + i];
            T* __restrict c = C.data() + i * n;
            for (std::size_t j = 0; j < n; ++j) c[j] += a * b[j];
        }
    }
}

/// C = A . B^T        A: m x k, B: n x k -> C: m x n
/// Small: each C(i, j) is a dot product of two contiguous rows, summed in eight interleaved
/// partial sums (a fixed order, so results do not depend on the compiler); under eight, in order.
template <Real T>
NN_DETAIL_ALWAYS_INLINE inline void matmul_a_bt(MatrixView<const T> A, MatrixView<const T> B, MatrixView<T> C) {
    NN_ASSERT(A.cols() == B.cols() && C.rows() == A.rows() && C.cols() == B.rows(), "matmul_a_bt shapes");
    const std::size_t m = A.rows(), k = A.cols(), n = B.rows();
    if (use_gemm(m, n, k)) return large_product<T>(m, n, k, A.data(), false, B.data(), true, C.data());
    constexpr std::size_t lanes = 8;
    if (k < lanes) return narrow_product<T>(m, n, k, A.data(), k, 1, B.data(), 1, k, C.data());
    for (std::size_t i = 0; i < m; ++i) {
        const T* __restrict a = A.data() + i * k;
        for (std::size_t j = 0; j < n; ++j) {
            const T* __restrict b = B.data() + j * k;
            T part[lanes] = {};
            std::size_t p = 0;
            for (; p + lanes <= k; p += lanes)
                for (std::size_t l = 0; l < lanes; ++l) part[l] += a[p + l] * b[p + l];
            T sum = 0;
            for (std::size_t l = 0; l < lanes; ++l) sum += part[l];
            for (; p < k; ++p) sum += a[p] * b[p];
            C.data()[i * n + j] = sum;
        }
    }
}

/// True when no element is NaN or infinite: x * 0 is 0 for every finite x and NaN otherwise, and
/// a NaN survives a sum, so the scan is one branch-free pass, a vector of lanes at a time.
template <Real T>
bool all_finite(const T* x, std::size_t count) {
    using V = typename GemmShape<T>::Vector;
    constexpr std::size_t W = GemmShape<T>::lanes;
    const std::size_t full = count / W * W;
    V sum{};
    for (std::size_t i = 0; i < full; i += W) sum += load<V>(x + i) * T(0);
    T total = 0;
    if (full > 0)
        for (std::size_t l = 0; l < W; ++l) total += sum[l];
    for (std::size_t i = full; i < count; ++i) total += x[i] * T(0);
    return total == T(0);
}

/// z[j] = sigmoid(z[j]) for j < count, a vector of lanes at a time: the same arithmetic as
/// nn::activate, so the bits do not depend on the vector width.
template <Real T>
void sigmoid_in_place(T* __restrict z, std::size_t count) {
    using V = typename GemmShape<T>::Vector;
    typedef SameSizeInt<T> I __attribute__((vector_size(vector_bytes)));
    constexpr std::size_t W = GemmShape<T>::lanes;
    const std::size_t full = count / W * W;
    for (std::size_t j = 0; j < full; j += W) store(z + j, sigmoid_lanes<T, V, I>(load<V>(z + j)));
    for (std::size_t j = full; j < count; ++j) z[j] = sigmoid_lanes<T, T, SameSizeInt<T>>(z[j]);
}

/// Z(i, :) += b.     Z: n x out, b: 1 x out
template <Real T>
NN_DETAIL_ALWAYS_INLINE inline void add_bias(MatrixView<T> Z, MatrixView<const T> b) {
    NN_ASSERT(b.rows() == 1 && b.cols() == Z.cols(), "bias shape");
    const std::size_t out = Z.cols();
    const T* __restrict bias = b.data();
    for (std::size_t i = 0; i < Z.rows(); ++i) {
        T* __restrict z = Z.data() + i * out;
        by_vectors<typename GemmShape<T>::Vector, T>(0, out, [&]<class U>(std::size_t j, U) NN_DETAIL_ALWAYS_INLINE {
            store(z + j, load<U>(z + j) + load<U>(bias + j));
        });
    }
}

/// Forward epilogue of a hidden layer: Z(i, :) = act(Z(i, :) + b) in place, act element-wise.
/// Z: n x out, b: 1 x out
template <Real T>
NN_DETAIL_ALWAYS_INLINE inline void add_bias_activate(MatrixView<T> Z, MatrixView<const T> b, Activation act) {
    NN_ASSERT(b.rows() == 1 && b.cols() == Z.cols(), "bias shape");
    NN_ASSERT(is_elementwise(act), "add_bias_activate needs an element-wise activation");
    const std::size_t n = Z.rows(), out = Z.cols();
    if (act == Activation::Sigmoid) { // the bias row by row, then the sigmoid over the whole block in vectors
        add_bias<T>(Z, b);
        parallel_for(Z.size(), Z.size() >= parallel_elements,
                     [&](std::size_t first, std::size_t last)
                         NN_DETAIL_ALWAYS_INLINE { sigmoid_in_place<T>(Z.data() + first, last - first); });
        return;
    }
    parallel_for(n, Z.size() >= parallel_elements, [&](std::size_t first, std::size_t last) NN_DETAIL_ALWAYS_INLINE {
        for (std::size_t i = first; i < last; ++i) {
            T* __restrict z = Z.data() + i * out;
            for (std::size_t j = 0; j < out; ++j) z[j] = activate(act, z[j] + b.data()[j]);
        }
    });
}

/// A = act(Z), element-wise or, for Softmax, row by row: a_j = e^(z_j - max z) / sum_k e^(z_k - max z),
/// which cannot overflow.     Z, A: n x out
template <Real T>
void activate_rows(MatrixView<const T> Z, Activation act, MatrixView<T> A) {
    NN_ASSERT(Z.rows() == A.rows() && Z.cols() == A.cols(), "activate_rows shapes");
    if (act == Activation::Sigmoid) {
        for (std::size_t i = 0; i < Z.size(); ++i) A.data()[i] = Z.data()[i];
        sigmoid_in_place<T>(A.data(), A.size());
        return;
    }
    if (is_elementwise(act)) {
        for (std::size_t i = 0; i < Z.size(); ++i) A.data()[i] = activate(act, Z.data()[i]);
        return;
    }
    const std::size_t out = Z.cols();
    for (std::size_t i = 0; i < Z.rows(); ++i) {
        const T* z = Z.data() + i * out;
        T* a = A.data() + i * out;
        T top = z[0];
        for (std::size_t j = 1; j < out; ++j) top = z[j] > top ? z[j] : top;
        T sum = 0;
        for (std::size_t j = 0; j < out; ++j) sum += a[j] = std::exp(z[j] - top);
        for (std::size_t j = 0; j < out; ++j) a[j] /= sum;
    }
}

/// Backward through a hidden layer: D *= act'(A) element-wise, with A the layer's output.
/// D, A: n x out
template <Real T>
NN_DETAIL_ALWAYS_INLINE inline void mul_derivative(MatrixView<T> D, MatrixView<const T> A, Activation act) {
    NN_ASSERT(D.rows() == A.rows() && D.cols() == A.cols(), "mul_derivative shapes");
    parallel_for(D.size(), D.size() >= parallel_elements,
                 [&](std::size_t first, std::size_t last) NN_DETAIL_ALWAYS_INLINE {
                     T* __restrict d = D.data();
                     const T* __restrict a = A.data();
                     if (act != Activation::Sigmoid) {
                         for (std::size_t i = first; i < last; ++i) d[i] *= derivative_from_output(act, a[i]);
                         return;
                     }
                     // sigmoid' = a (1 - a)
                     by_vectors<typename GemmShape<T>::Vector, T>(
                         first, last, [&]<class U>(std::size_t i, U) NN_DETAIL_ALWAYS_INLINE {
                             const U x = load<U>(a + i);
                             store(d + i, load<U>(d + i) * (x * (T(1) - x)));
                         });
                 });
}

/// g(0, j) = sum over i of D(i, j): the bias gradient.     D: n x out -> g: 1 x out
/// A vector of columns at a time (the last vector overlapping the one before it, when out is not
/// a multiple of its width), each summed in four partial sums over the rows i mod 4. Every column
/// goes through the same operations whether a vector or a scalar carries it, so the bits depend on
/// neither the vector width nor the column's position.
template <Real T>
NN_DETAIL_ALWAYS_INLINE inline void column_sums(MatrixView<const T> D, MatrixView<T> g) {
    NN_ASSERT(g.rows() == 1 && g.cols() == D.cols(), "column_sums shapes");
    using V = typename GemmShape<T>::Vector;
    constexpr std::size_t W = GemmShape<T>::lanes;
    const std::size_t n = D.rows(), out = D.cols(), full = n / 4 * 4;
    const T* d = D.data();
    const auto sum = [&]<class U>(std::size_t j, U) NN_DETAIL_ALWAYS_INLINE { // columns j .. j + sizeof(U) / sizeof(T)
        const auto at = [&](std::size_t i) NN_DETAIL_ALWAYS_INLINE { return load<U>(d + i * out + j); };
        U part0{}, part1{}, part2{}, part3{};
        for (std::size_t i = 0; i < full; i += 4) {
            part0 += at(i);
            part1 += at(i + 1);
            part2 += at(i + 2);
            part3 += at(i + 3);
        }
        if (full < n) part0 += at(full);
        if (full + 1 < n) part1 += at(full + 1);
        if (full + 2 < n) part2 += at(full + 2);
        store(g.data() + j, (part0 + part1) + (part2 + part3));
    };
    if (out < W) {
        for (std::size_t j = 0; j < out; ++j) sum(j, T());
        return;
    }
    for (std::size_t j = 0; j + W <= out; j += W) sum(j, V());
    if (out % W != 0) sum(out - W, V());
}

/// P -= rate * G element-wise: one SGD step for one parameter matrix.
template <Real T>
void axpy_step(MatrixView<T> P, MatrixView<const T> G, T rate) {
    NN_ASSERT(P.rows() == G.rows() && P.cols() == G.cols(), "axpy_step shapes");
    T* __restrict p = P.data();
    const T* __restrict g = G.data();
    parallel_for(P.size(), P.size() >= parallel_elements,
                 [&](std::size_t first, std::size_t last) NN_DETAIL_ALWAYS_INLINE {
                     for (std::size_t i = first; i < last; ++i) p[i] -= rate * g[i];
                 });
}

/// One SGD step for one parameter matrix, as PyTorch's torch.optim.SGD defines it, element-wise:
///     g = G + weight_decay p;   with momentum: v = momentum v + g, g = nesterov ? g + momentum v : v
///     p -= rate g
/// V is ignored when momentum is 0.
template <Real T>
void sgd_step(MatrixView<T> P, MatrixView<const T> G, MatrixView<T> V, T rate, T momentum, bool nesterov,
              T weight_decay) {
    NN_ASSERT(P.rows() == G.rows() && P.cols() == G.cols(), "sgd_step shapes");
    NN_ASSERT(momentum == T(0) || (V.rows() == P.rows() && V.cols() == P.cols()), "sgd_step velocity shape");
    T* __restrict p = P.data();
    const T* __restrict g = G.data();
    T* __restrict v = V.data();
    parallel_for(P.size(), P.size() >= parallel_elements,
                 [&](std::size_t first, std::size_t last) NN_DETAIL_ALWAYS_INLINE {
                     by_vectors<typename GemmShape<T>::Vector, T>(
                         first, last, [&]<class U>(std::size_t i, U) NN_DETAIL_ALWAYS_INLINE {
                             U pi = load<U>(p + i), step = load<U>(g + i) + weight_decay * pi;
                             if (momentum != T(0)) {
                                 const U vi = momentum * load<U>(v + i) + step;
                                 store(v + i, vi);
                                 step = nesterov ? step + momentum * vi : vi;
                             }
                             store(p + i, pi - rate * step);
                         });
                 });
}

/// Adam's vectors, whose square root AVX (32 bytes) or SSE2 (16 bytes) computes, correctly rounded
/// as std::sqrt is: a loop of std::sqrt stays scalar, because std::sqrt may set errno.
template <Real T>
struct AdamShape {
#if defined(__AVX__)
    typedef T Vector __attribute__((vector_size(32)));
#else
    typedef T Vector __attribute__((vector_size(16)));
#endif
};
template <Real T>
typename AdamShape<T>::Vector sqrt_lanes(typename AdamShape<T>::Vector x) {
#if defined(__AVX__)
    if constexpr (sizeof(T) == 4)
        return __builtin_ia32_sqrtps256(x);
    else
        return __builtin_ia32_sqrtpd256(x);
#elif defined(__SSE2__)
    if constexpr (sizeof(T) == 4)
        return __builtin_ia32_sqrtps(x);
    else
        return __builtin_ia32_sqrtpd(x);
#else
    for (std::size_t l = 0; l < sizeof x / sizeof(T); ++l) x[l] = std::sqrt(x[l]);
    return x;
#endif
}

/// One Adam step with decoupled weight decay (AdamW, as torch.optim.AdamW), element-wise:
///     p -= rate weight_decay p
///     m = beta1 m + (1 - beta1) g,   v = beta2 v + (1 - beta2) g^2
///     p -= rate (m / correction1) / (sqrt(v / correction2) + eps)
/// with correction_k = 1 - beta_k^t after t steps.
template <Real T>
void adam_step(MatrixView<T> P, MatrixView<const T> G, MatrixView<T> M, MatrixView<T> V, T rate, T beta1, T beta2,
               T eps, T weight_decay, T correction1, T correction2) {
    NN_ASSERT(P.rows() == G.rows() && P.cols() == G.cols() && M.rows() == P.rows() && M.cols() == P.cols() &&
                  V.rows() == P.rows() && V.cols() == P.cols(),
              "adam_step shapes");
    T* __restrict p = P.data();
    const T* __restrict g = G.data();
    T* __restrict m = M.data();
    T* __restrict v = V.data();
    parallel_for(P.size(), P.size() >= parallel_elements,
                 [&](std::size_t first, std::size_t last) NN_DETAIL_ALWAYS_INLINE {
                     by_vectors<typename AdamShape<T>::Vector, T>(
                         first, last, [&]<class U>(std::size_t i, U) NN_DETAIL_ALWAYS_INLINE {
                             U pi = load<U>(p + i), mi = load<U>(m + i), vi = load<U>(v + i);
                             const U gi = load<U>(g + i);
                             pi -= rate * weight_decay * pi;
                             mi = beta1 * mi + (T(1) - beta1) * gi;
                             vi = beta2 * vi + (T(1) - beta2) * gi * gi;
                             U root = vi / correction2;
                             if constexpr (sizeof(U) == sizeof(T))
                                 root = std::sqrt(root);
                             else
                                 root = sqrt_lanes<T>(root);
                             pi -= rate * (mi / correction1) / (root + eps);
                             store(p + i, pi);
                             store(m + i, mi);
                             store(v + i, vi);
                         });
                 });
}

} // namespace nn::detail
