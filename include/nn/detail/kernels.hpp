// nn/detail/kernels.hpp: every loop over matrix elements that forward, backprop and the
// optimizers run.
//
// This is the one place to make the library fast. Each kernel has a naive reference here, in
// nn::detail::naive, which the tests hold the fast version to. The fast kernels are in lanes.hpp
// (small products, element-wise loops) and gemm.hpp (products big enough to repay packing),
// compiled once per instruction set (see simd.hpp) in nn::detail::baseline, ::avx2 and ::avx512;
// the functions at the end of this file run the copy for this CPU. Shapes are checked with
// NN_ASSERT: the callers in network.hpp have already validated the user's input.
#pragma once

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

#include <nn/activation.hpp>
#include <nn/detail/simd.hpp>
#include <nn/matrix.hpp>

#if defined(NN_USE_CBLAS)
#include <cblas.h>
#endif

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

/// A = act(Z): element-wise with the standard library's functions, Softmax row by row with
/// std::exp (see activate_rows in lanes.hpp).
template <Real T>
void activate_rows(MatrixView<const T> Z, Activation act, MatrixView<T> A) {
    NN_ASSERT(Z.rows() == A.rows() && Z.cols() == A.cols(), "activate_rows shapes");
    for (std::size_t i = 0; i < Z.rows(); ++i) {
        if (act == Activation::Softmax) {
            T top = Z(i, 0), sum = 0;
            for (std::size_t j = 1; j < Z.cols(); ++j) top = Z(i, j) > top ? Z(i, j) : top;
            for (std::size_t j = 0; j < Z.cols(); ++j) sum += A(i, j) = std::exp(Z(i, j) - top);
            for (std::size_t j = 0; j < Z.cols(); ++j) A(i, j) /= sum;
            continue;
        }
        for (std::size_t j = 0; j < Z.cols(); ++j) {
            const T z = Z(i, j);
            switch (act) {
            case Activation::Sigmoid: // e^z / (1 + e^z) for z < 0, where e^-z could overflow
                A(i, j) = z >= T(0) ? T(1) / (T(1) + std::exp(-z)) : std::exp(z) / (T(1) + std::exp(z));
                break;
            case Activation::Tanh: A(i, j) = std::tanh(z); break;
            case Activation::ReLU: A(i, j) = z > T(0) ? z : T(0); break;
            case Activation::LeakyReLU: A(i, j) = z > T(0) ? z : T(leaky_relu_slope) * z; break;
            default: A(i, j) = z;
            }
        }
    }
}

/// D *= act'(A) element-wise, with nn::derivative_from_output.
template <Real T>
void mul_derivative(MatrixView<T> D, MatrixView<const T> A, Activation act) {
    NN_ASSERT(D.rows() == A.rows() && D.cols() == A.cols(), "mul_derivative shapes");
    for (std::size_t i = 0; i < D.size(); ++i) D.data()[i] *= derivative_from_output(act, A.data()[i]);
}

} // namespace naive

} // namespace nn::detail

// ---- The fast kernels, once per target (see nn/detail/simd.hpp). ----

#define NN_DETAIL_TARGET_BYTES NN_DETAIL_BASELINE_BYTES
#define NN_DETAIL_ENTRY NN_DETAIL_ALWAYS_INLINE inline
namespace nn::detail::baseline {
#include <nn/detail/simd.hpp> // first: the vector types of the target

#include <nn/detail/gemm.hpp>
#include <nn/detail/lanes.hpp>
} // namespace nn::detail::baseline
#undef NN_DETAIL_TARGET_BYTES
#undef NN_DETAIL_ENTRY

#define NN_DETAIL_ENTRY // plain function templates: with NN_COMPILED, instantiated in the library only
#if NN_DETAIL_AVX2
#define NN_DETAIL_TARGET_BYTES 32
NN_DETAIL_PUSH_TARGET("avx2,fma")
namespace nn::detail::avx2 {
#include <nn/detail/simd.hpp> // first: the vector types of the target

#include <nn/detail/gemm.hpp>
#include <nn/detail/lanes.hpp>
} // namespace nn::detail::avx2
NN_DETAIL_POP_TARGET
#undef NN_DETAIL_TARGET_BYTES
#else
namespace nn::detail {
namespace avx2 = baseline;
}
#endif

#if NN_DETAIL_AVX512
#define NN_DETAIL_TARGET_BYTES 64
NN_DETAIL_PUSH_TARGET("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")
namespace nn::detail::avx512 {
#include <nn/detail/simd.hpp> // first: the vector types of the target

#include <nn/detail/gemm.hpp>
#include <nn/detail/lanes.hpp>
} // namespace nn::detail::avx512
NN_DETAIL_POP_TARGET
#undef NN_DETAIL_TARGET_BYTES
#else
namespace nn::detail {
namespace avx512 = baseline;
}
#endif
#undef NN_DETAIL_ENTRY

namespace nn::detail {

// ---- The kernels the library calls: each runs the copy of selected_isa(). ----

#define NN_DETAIL_DISPATCH_TO(call)                                                                                    \
    switch (selected_isa()) {                                                                                          \
    case Isa::Avx512: return avx512::call;                                                                             \
    case Isa::Avx2: return avx2::call;                                                                                 \
    case Isa::Baseline: break;                                                                                         \
    }                                                                                                                  \
    return baseline::call

/// C = A . B          A: m x k, B: k x n -> C: m x n
template <Real T>
NN_DETAIL_ALWAYS_INLINE inline void matmul(MatrixView<const T> A, MatrixView<const T> B, MatrixView<T> C) {
    NN_DETAIL_DISPATCH_TO(matmul<T>(A, B, C));
}
/// C = A^T . B        A: k x m, B: k x n -> C: m x n
template <Real T>
NN_DETAIL_ALWAYS_INLINE inline void matmul_at_b(MatrixView<const T> A, MatrixView<const T> B, MatrixView<T> C) {
    NN_DETAIL_DISPATCH_TO(matmul_at_b<T>(A, B, C));
}
/// C = A . B^T        A: m x k, B: n x k -> C: m x n
template <Real T>
NN_DETAIL_ALWAYS_INLINE inline void matmul_a_bt(MatrixView<const T> A, MatrixView<const T> B, MatrixView<T> C) {
    NN_DETAIL_DISPATCH_TO(matmul_a_bt<T>(A, B, C));
}
/// True when none of the count elements at x is NaN or infinite. A short array (most biases, a
/// tiny network's every matrix) is tested here, by its exponent bits, without a call.
template <Real T>
NN_DETAIL_ALWAYS_INLINE inline bool all_finite(const T* x, std::size_t count) {
    if (count <= 8) {
        using I = SameSizeInt<T>;
        constexpr I mantissa = (I(1) << (std::numeric_limits<T>::digits - 1)) - 1;
        constexpr I exponent = std::numeric_limits<I>::max() ^ mantissa; // all ones for inf and NaN
        bool finite = true;
        for (std::size_t i = 0; i < count; ++i) finite &= (NN_DETAIL_BIT_CAST(I, x[i]) & exponent) != exponent;
        return finite;
    }
    NN_DETAIL_DISPATCH_TO(all_finite<T>(x, count));
}
/// Z(i, :) += b.     Z: n x out, b: 1 x out
template <Real T>
NN_DETAIL_ALWAYS_INLINE inline void add_bias(MatrixView<T> Z, MatrixView<const T> b) {
    NN_DETAIL_DISPATCH_TO(add_bias<T>(Z, b));
}
/// Z(i, :) = act(Z(i, :) + b), act element-wise.     Z: n x out, b: 1 x out
template <Real T>
NN_DETAIL_ALWAYS_INLINE inline void add_bias_activate(MatrixView<T> Z, MatrixView<const T> b, Activation act) {
    NN_DETAIL_DISPATCH_TO(add_bias_activate<T>(Z, b, act));
}
/// A = act(Z), element-wise or, for Softmax, row by row.     Z, A: n x out
template <Real T>
void activate_rows(MatrixView<const T> Z, Activation act, MatrixView<T> A) {
    NN_DETAIL_DISPATCH_TO(activate_rows<T>(Z, act, A));
}
/// D *= act'(A) element-wise.     D, A: n x out
template <Real T>
NN_DETAIL_ALWAYS_INLINE inline void mul_derivative(MatrixView<T> D, MatrixView<const T> A, Activation act) {
    NN_DETAIL_DISPATCH_TO(mul_derivative<T>(D, A, act));
}
/// g(0, j) = sum over i of D(i, j).     D: n x out -> g: 1 x out
template <Real T>
NN_DETAIL_ALWAYS_INLINE inline void column_sums(MatrixView<const T> D, MatrixView<T> g) {
    NN_DETAIL_DISPATCH_TO(column_sums<T>(D, g));
}
/// P -= rate * G.
template <Real T>
void axpy_step(MatrixView<T> P, MatrixView<const T> G, T rate) {
    NN_DETAIL_DISPATCH_TO(axpy_step<T>(P, G, rate));
}
/// One SGD step (see sgd_step in lanes.hpp).
template <Real T>
void sgd_step(MatrixView<T> P, MatrixView<const T> G, MatrixView<T> V, T rate, T momentum, bool nesterov,
              T weight_decay) {
    NN_DETAIL_DISPATCH_TO(sgd_step<T>(P, G, V, rate, momentum, nesterov, weight_decay));
}
/// One AdamW step (see adam_step in lanes.hpp).
template <Real T>
void adam_step(MatrixView<T> P, MatrixView<const T> G, MatrixView<T> M, MatrixView<T> V, T rate, T beta1, T beta2,
               T eps, T weight_decay, T correction1, T correction2) {
    NN_DETAIL_DISPATCH_TO(adam_step<T>(P, G, M, V, rate, beta1, beta2, eps, weight_decay, correction1, correction2));
}

#undef NN_DETAIL_DISPATCH_TO

} // namespace nn::detail

/// The entry points of one copy of the kernels for one type, as explicit instantiations
/// (`kind` = template) or their declarations (extern template): the compiled mode's (config.hpp).
#define NN_DETAIL_KERNEL_INSTANCES(kind, ns, T)                                                                        \
    kind void nn::detail::ns::matmul<T>(MatrixView<const T>, MatrixView<const T>, MatrixView<T>);                      \
    kind void nn::detail::ns::matmul_at_b<T>(MatrixView<const T>, MatrixView<const T>, MatrixView<T>);                 \
    kind void nn::detail::ns::matmul_a_bt<T>(MatrixView<const T>, MatrixView<const T>, MatrixView<T>);                 \
    kind bool nn::detail::ns::all_finite<T>(const T*, std::size_t);                                                    \
    kind void nn::detail::ns::add_bias<T>(MatrixView<T>, MatrixView<const T>);                                         \
    kind void nn::detail::ns::add_bias_activate<T>(MatrixView<T>, MatrixView<const T>, Activation);                    \
    kind void nn::detail::ns::activate_rows<T>(MatrixView<const T>, Activation, MatrixView<T>);                        \
    kind void nn::detail::ns::mul_derivative<T>(MatrixView<T>, MatrixView<const T>, Activation);                       \
    kind void nn::detail::ns::column_sums<T>(MatrixView<const T>, MatrixView<T>);                                      \
    kind void nn::detail::ns::axpy_step<T>(MatrixView<T>, MatrixView<const T>, T);                                     \
    kind void nn::detail::ns::sgd_step<T>(MatrixView<T>, MatrixView<const T>, MatrixView<T>, T, T, bool, T);           \
    kind void nn::detail::ns::adam_step<T>(MatrixView<T>, MatrixView<const T>, MatrixView<T>, MatrixView<T>, T, T, T,  \
                                           T, T, T, T)

/// Every instance the compiled mode holds in the library: the copies other than the baseline's
/// (which is inlined where it is called), for float and double.
#if NN_DETAIL_AVX2 && NN_DETAIL_AVX512
#define NN_DETAIL_ALL_KERNEL_INSTANCES(kind)                                                                           \
    NN_DETAIL_KERNEL_INSTANCES(kind, avx2, float);                                                                     \
    NN_DETAIL_KERNEL_INSTANCES(kind, avx2, double);                                                                    \
    NN_DETAIL_KERNEL_INSTANCES(kind, avx512, float);                                                                   \
    NN_DETAIL_KERNEL_INSTANCES(kind, avx512, double)
#elif NN_DETAIL_AVX512
#define NN_DETAIL_ALL_KERNEL_INSTANCES(kind)                                                                           \
    NN_DETAIL_KERNEL_INSTANCES(kind, avx512, float);                                                                   \
    NN_DETAIL_KERNEL_INSTANCES(kind, avx512, double)
#else
#define NN_DETAIL_ALL_KERNEL_INSTANCES(kind) static_assert(true)
#endif

#if defined(NN_COMPILED)
NN_DETAIL_ALL_KERNEL_INSTANCES(extern template);
#endif
