// nn/detail/lanes.hpp: the fast kernels, one copy per instruction set: the small matrix products
// and every element-wise loop of forward, backprop and the optimizers. The large products go to
// gemm.hpp. Each kernel here has its naive reference in nn/detail/kernels.hpp, which also
// chooses the copy to run; this file is read by it once per target, inside the target's
// namespace, and so includes nothing itself.
//
// The kernels that backprop calls once per layer are NN_DETAIL_ENTRY: always inlined in the
// baseline copy (for XOR-sized layers the call, with its views passed on the stack, cost more than
// the arithmetic, and compiled with -fopenmp GCC stopped inlining them on its own), plain functions
// in the others, which a baseline function can call but not inline.
#if !defined(NN_DETAIL_TARGET_BYTES)
#error "nn/detail/lanes.hpp is read by nn/detail/kernels.hpp, once per target: include <nn/detail/kernels.hpp>"
#endif

/// Element-wise loops over at least this many elements are shared among OpenMP threads (when
/// compiled with -fopenmp); each element is computed alone, so threads never change results.
inline constexpr std::size_t parallel_elements = std::size_t(1) << 17;

/// The integers of the shape of U, a vector of T or T itself: what the activations' bit tricks use.
template <class U, Real T>
using IntLanes = std::conditional_t<std::is_same_v<U, T>, SameSizeInt<T>, typename Lanes<T>::Mask>;

/// f(std::integral_constant<Activation, act>{}): a loop written in f is compiled once per
/// activation, with the activation a constant inside it.
template <class F>
NN_DETAIL_ALWAYS_INLINE inline void with_activation(Activation act, const F& f) {
    using A = Activation;
    switch (act) {
    case A::Sigmoid: return f(std::integral_constant<A, A::Sigmoid>{});
    case A::Tanh: return f(std::integral_constant<A, A::Tanh>{});
    case A::ReLU: return f(std::integral_constant<A, A::ReLU>{});
    case A::LeakyReLU: return f(std::integral_constant<A, A::LeakyReLU>{});
    case A::Linear:
    case A::Softmax: return f(std::integral_constant<A, A::Linear>{});
    }
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

/// Rows of C narrower than this are too short to vectorise along: the small products compute each
/// element as a dot product in a register instead.
inline constexpr std::size_t narrow_columns = 8;

/// C (m x n) = op(A) . op(B) for a small product with a narrow C, one dot product per element,
/// summed over p in order: element (i, p) of op(A) is a[i * rsa + p * csa], (p, j) of op(B) is
/// b[p * rsb + j * csb]. GCC's code for sums of one to four terms, a tiny network's, is shorter
/// with k a constant (xor's step: 15% fewer instructions); Clang's is not.
template <Real T, std::size_t K = 0>
NN_DETAIL_SCALAR_ATTRIBUTE void narrow_product(std::size_t m, std::size_t n, std::size_t k, const T* a, std::size_t rsa,
                                               std::size_t csa, const T* b, std::size_t rsb, std::size_t csb,
                                               T* __restrict c) {
#if !defined(__clang__)
    if constexpr (K == 0) switch (k) {
        case 1: return narrow_product<T, 1>(m, n, 1, a, rsa, csa, b, rsb, csb, c);
        case 2: return narrow_product<T, 2>(m, n, 2, a, rsa, csa, b, rsb, csb, c);
        case 3: return narrow_product<T, 3>(m, n, 3, a, rsa, csa, b, rsb, csb, c);
        case 4: return narrow_product<T, 4>(m, n, 4, a, rsa, csa, b, rsb, csb, c);
        }
    if constexpr (K != 0) k = K;
#endif
    NN_DETAIL_SCALAR_LOOP
    for (std::size_t i = 0; i < m; ++i) {
        NN_DETAIL_SCALAR_LOOP
        for (std::size_t j = 0; j < n; ++j) {
            const T* x = a + i * rsa;
            const T* y = b + j * csb;
            T sum = 0;
#pragma GCC unroll 4
            for (std::size_t p = 0; p < k; ++p, x += csa, y += rsb) sum += *x * *y;
            c[i * n + j] = sum;
        }
    }
}

/// C(i, j .. j + v W) = sum over p of A(i, p) B(p, j .. j + v W), in order: v vectors of a row of
/// C in registers, independent sums (not a chain through memory).
template <std::size_t v, Real T>
NN_DETAIL_ALWAYS_INLINE inline void row_vectors(const T* __restrict a, const T* b, std::size_t k, std::size_t n,
                                                T* __restrict c) {
    using V = typename Lanes<T>::Vector;
    constexpr std::size_t W = Lanes<T>::count;
    V s[v] = {};
    for (std::size_t p = 0; p < k; ++p, b += n)
        for (std::size_t q = 0; q < v; ++q) s[q] += a[p] * load<V>(b + q * W);
    for (std::size_t q = 0; q < v; ++q) store(c + q * W, s[q]);
}

/// C = A . B          A: m x k, B: k x n -> C: m x n
/// Small: a row of C is the sum over p of A(i, p) * row p of B, in order, eight vectors of the row
/// at a time (then four, two, one, and the last elements one by one); a narrow C by dot products.
template <Real T>
NN_DETAIL_ENTRY void matmul(MatrixView<const T> A, MatrixView<const T> B, MatrixView<T> C) {
    NN_ASSERT(A.cols() == B.rows() && C.rows() == A.rows() && C.cols() == B.cols(), "matmul shapes");
    const std::size_t m = A.rows(), k = A.cols(), n = B.cols();
    if (use_gemm(m, n, k)) return large_product<T>(m, n, k, A.data(), false, B.data(), false, C.data());
    if (n < narrow_columns) return narrow_product<T>(m, n, k, A.data(), k, 1, B.data(), n, 1, C.data());
    constexpr std::size_t W = Lanes<T>::count;
    for (std::size_t i = 0; i < m; ++i) {
        const T* __restrict a = A.data() + i * k;
        T* __restrict c = C.data() + i * n;
        std::size_t j = 0;
        for (; j + 8 * W <= n; j += 8 * W) row_vectors<8>(a, B.data() + j, k, n, c + j);
        if (j + 4 * W <= n) row_vectors<4>(a, B.data() + j, k, n, c + j), j += 4 * W;
        if (j + 2 * W <= n) row_vectors<2>(a, B.data() + j, k, n, c + j), j += 2 * W;
        if (j + W <= n) row_vectors<1>(a, B.data() + j, k, n, c + j), j += W;
        for (; j < n; ++j) {
            T s = 0;
            for (std::size_t p = 0; p < k; ++p) s += a[p] * B.data()[p * n + j];
            c[j] = s;
        }
    }
}

/// C = A^T . B        A: k x m, B: k x n -> C: m x n
/// Small: summed over p in order, one rank-1 update a time; a narrow C by dot products.
template <Real T>
NN_DETAIL_ENTRY void matmul_at_b(MatrixView<const T> A, MatrixView<const T> B, MatrixView<T> C) {
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
NN_DETAIL_ENTRY void matmul_a_bt(MatrixView<const T> A, MatrixView<const T> B, MatrixView<T> C) {
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
    using V = typename Lanes<T>::Vector;
    constexpr std::size_t W = Lanes<T>::count;
    const std::size_t full = count / W * W;
    V sum{};
    for (std::size_t i = 0; i < full; i += W) sum += load<V>(x + i) * T(0);
    T total = 0;
    if (full > 0)
        for (std::size_t l = 0; l < W; ++l) total += sum[l];
    for (std::size_t i = full; i < count; ++i) total += x[i] * T(0);
    return total == T(0);
}

/// z[j] = act(z[j]) for j < count, an element-wise activation, a vector of lanes at a time, with
/// the same arithmetic as nn::activate, so the bits do not depend on the vector width. Over
/// several threads for a large count.
template <Real T>
NN_DETAIL_ALWAYS_INLINE inline void activate_in_place(T* __restrict z, std::size_t count, Activation act) {
    if (act == Activation::Linear) return;
    with_activation(act, [&](auto f) NN_DETAIL_ALWAYS_INLINE {
        parallel_for(count, count >= parallel_elements,
                     [&](std::size_t first, std::size_t last) NN_DETAIL_ALWAYS_INLINE {
                         by_vectors<typename Lanes<T>::Vector, T>(
                             first, last, [&]<class U>(std::size_t j, U) NN_DETAIL_ALWAYS_INLINE {
                                 U x = load<U>(z + j);
                                 activate_lanes<T, U, IntLanes<U, T>>(f.value, x);
                                 store(z + j, x);
                             });
                     });
    });
}

/// Z(i, :) += b.     Z: n x out, b: 1 x out
template <Real T>
NN_DETAIL_ENTRY void add_bias(MatrixView<T> Z, MatrixView<const T> b) {
    NN_ASSERT(b.rows() == 1 && b.cols() == Z.cols(), "bias shape");
    const std::size_t out = Z.cols();
    const T* __restrict bias = b.data();
    for (std::size_t i = 0; i < Z.rows(); ++i) {
        T* __restrict z = Z.data() + i * out;
        by_vectors<typename Lanes<T>::Vector, T>(0, out, [&]<class U>(std::size_t j, U) NN_DETAIL_ALWAYS_INLINE {
            store(z + j, load<U>(z + j) + load<U>(bias + j));
        });
    }
}

/// Forward epilogue of a hidden layer: Z(i, :) = act(Z(i, :) + b) in place, act element-wise: the
/// bias row by row, then the activation over the whole block in vectors.     Z: n x out, b: 1 x out
template <Real T>
NN_DETAIL_ENTRY void add_bias_activate(MatrixView<T> Z, MatrixView<const T> b, Activation act) {
    NN_ASSERT(b.rows() == 1 && b.cols() == Z.cols(), "bias shape");
    NN_ASSERT(is_elementwise(act), "add_bias_activate needs an element-wise activation");
    add_bias<T>(Z, b);
    activate_in_place<T>(Z.data(), Z.size(), act);
}

/// A = act(Z), element-wise or, for Softmax, row by row: a_j = e^(z_j - max z) / sum_k e^(z_k - max z),
/// which cannot overflow; the sum in order, so the bits do not depend on the vector width.
/// Z, A: n x out
template <Real T>
void activate_rows(MatrixView<const T> Z, Activation act, MatrixView<T> A) {
    NN_ASSERT(Z.rows() == A.rows() && Z.cols() == A.cols(), "activate_rows shapes");
    using V = typename Lanes<T>::Vector;
    if (is_elementwise(act)) {
        std::memcpy(A.data(), Z.data(), Z.size() * sizeof(T));
        return activate_in_place<T>(A.data(), A.size(), act);
    }
    const std::size_t out = Z.cols();
    for (std::size_t i = 0; i < Z.rows(); ++i) {
        const T* __restrict z = Z.data() + i * out;
        T* __restrict a = A.data() + i * out;
        T top = z[0];
        for (std::size_t j = 1; j < out; ++j) top = z[j] > top ? z[j] : top;
        by_vectors<V, T>(0, out, [&]<class U>(std::size_t j, U) NN_DETAIL_ALWAYS_INLINE {
            U x = load<U>(z + j) - top;
            exp_lanes<T, U, IntLanes<U, T>>(x);
            store(a + j, x);
        });
        T sum = 0;
        for (std::size_t j = 0; j < out; ++j) sum += a[j];
        by_vectors<V, T>(
            0, out, [&]<class U>(std::size_t j, U) NN_DETAIL_ALWAYS_INLINE { store(a + j, load<U>(a + j) / sum); });
    }
}

/// Backward through a hidden layer: D *= act'(A) element-wise, with A the layer's output.
/// D, A: n x out
template <Real T>
NN_DETAIL_ENTRY void mul_derivative(MatrixView<T> D, MatrixView<const T> A, Activation act) {
    NN_ASSERT(D.rows() == A.rows() && D.cols() == A.cols(), "mul_derivative shapes");
    if (act == Activation::Linear) return;
    T* __restrict d = D.data();
    const T* __restrict a = A.data();
    with_activation(act, [&](auto f) NN_DETAIL_ALWAYS_INLINE {
        parallel_for(D.size(), D.size() >= parallel_elements,
                     [&](std::size_t first, std::size_t last) NN_DETAIL_ALWAYS_INLINE {
                         by_vectors<typename Lanes<T>::Vector, T>(
                             first, last, [&]<class U>(std::size_t i, U) NN_DETAIL_ALWAYS_INLINE {
                                 U x = load<U>(d + i);
                                 mul_derivative_lanes<T, U>(f.value, x, load<U>(a + i));
                                 store(d + i, x);
                             });
                     });
    });
}

/// g(0, j) = sum over i of D(i, j): the bias gradient.     D: n x out -> g: 1 x out
/// A vector of columns at a time (the last vector overlapping the one before it, when out is not
/// a multiple of its width), each summed in four partial sums over the rows i mod 4. Every column
/// goes through the same operations whether a vector or a scalar carries it, so the bits depend on
/// neither the vector width nor the column's position.
template <Real T>
NN_DETAIL_ENTRY void column_sums(MatrixView<const T> D, MatrixView<T> g) {
    NN_ASSERT(g.rows() == 1 && g.cols() == D.cols(), "column_sums shapes");
    using V = typename Lanes<T>::Vector;
    constexpr std::size_t W = Lanes<T>::count;
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
                     by_vectors<typename Lanes<T>::Vector, T>(
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

/// The square roots of a vector's lanes, correctly rounded as std::sqrt is: a loop of std::sqrt
/// stays scalar, because std::sqrt may set errno.
template <Real T, class U>
NN_DETAIL_ALWAYS_INLINE inline U sqrt_lanes(U x) {
    if constexpr (sizeof(U) == sizeof(T)) {
        return std::sqrt(x);
    } else {
#if defined(__x86_64__) && defined(__GNUC__)
        if constexpr (sizeof(U) == 16) {
            if constexpr (sizeof(T) == 4)
                return __builtin_ia32_sqrtps(x);
            else
                return __builtin_ia32_sqrtpd(x);
        } else if constexpr (sizeof(U) == 32) {
            if constexpr (sizeof(T) == 4)
                return __builtin_ia32_sqrtps256(x);
            else
                return __builtin_ia32_sqrtpd256(x);
        } else { // AVX-512: the two halves
            typedef T Half __attribute__((vector_size(32)));
            Half half[2];
            std::memcpy(half, &x, sizeof x);
            for (Half& h : half) h = sqrt_lanes<T, Half>(h);
            std::memcpy(&x, half, sizeof x);
            return x;
        }
#else
        for (std::size_t l = 0; l < sizeof x / sizeof(T); ++l) x[l] = std::sqrt(x[l]);
        return x;
#endif
    }
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
                     by_vectors<typename Lanes<T>::Vector, T>(
                         first, last, [&]<class U>(std::size_t i, U) NN_DETAIL_ALWAYS_INLINE {
                             U pi = load<U>(p + i), mi = load<U>(m + i), vi = load<U>(v + i);
                             const U gi = load<U>(g + i);
                             pi -= rate * weight_decay * pi;
                             mi = beta1 * mi + (T(1) - beta1) * gi;
                             vi = beta2 * vi + (T(1) - beta2) * gi * gi;
                             pi -= rate * (mi / correction1) / (sqrt_lanes<T, U>(vi / correction2) + eps);
                             store(p + i, pi);
                             store(m + i, mi);
                             store(v + i, vi);
                         });
                 });
}
