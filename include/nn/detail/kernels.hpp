// nn/detail/kernels.hpp: every loop over matrix elements that forward, backprop and the
// optimizers run, in one place: the one place to make the library fast.
//
// The kernels are four structs of static functions, each written once: Products (products.hpp,
// with the GEMM of gemm.hpp and the dense row of rows.hpp), Elementwise (elementwise.hpp), Updates
// (updates.hpp), and Passes (passes.hpp: the layer loops of a forward pass and of backprop, which
// run the other three). Those files are read here once per instruction set (see simd.hpp; the
// baseline's vectors and rows come from baseline.hpp), each copy in a namespace of its own,
// nn::detail::baseline, ::avx2 and ::avx512, where Kernels<T> gathers the four. naive::Kernels<T>
// below is the reference each fast kernel is tested against (tests/test_kernels.cpp), written as
// plainly as the mathematics. Callers run one copy, the CPU's best, through with_kernels:
//     detail::with_kernels<T>([&](auto k) { k.matmul(A, B, C); });
// Shapes are checked with NN_ASSERT: the callers have already validated the user's input.
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
#include <nn/detail/arch.hpp>
#include <nn/detail/baseline.hpp>
#include <nn/detail/simd.hpp>
#include <nn/loss.hpp>
#include <nn/matrix.hpp>

#if defined(NN_USE_CBLAS)
#include <cblas.h>
#endif

namespace nn::detail {

/// What a pass (Passes<T>) needs of a network: its widths arch[0 .. layers], each layer's
/// activation, its parameters in the flat order (detail/arch.hpp), its loss, and whether the
/// forward pass keeps the output layer's pre-activation (NN::keeps_pre_activation).
template <Real T>
struct Layers {
    const std::size_t* arch;
    std::size_t layers;
    const Activation* act;
    const T* params;
    Loss loss;
    bool keep;
};

/// A float's or double's exponent bits, as its same-size integer: all ones for inf and NaN.
template <Real T>
inline constexpr SameSizeInt<T> exponent_bits = std::numeric_limits<SameSizeInt<T>>::max() ^
                                                ((SameSizeInt<T>(1) << (std::numeric_limits<T>::digits - 1)) - 1);

/// True when none of the count elements at x is NaN or infinite, element by element: what
/// all_finite does for arrays shorter than a vector.
template <Real T>
NN_DETAIL_ALWAYS_INLINE inline bool finite_elements(const T* x, std::size_t count) {
    bool finite = true;
    for (std::size_t i = 0; i < count; ++i)
        finite &= (NN_DETAIL_BIT_CAST(SameSizeInt<T>, x[i]) & exponent_bits<T>) != exponent_bits<T>;
    return finite;
}

} // namespace nn::detail

namespace nn::detail::naive {

/// The naive references: the same functions as the fast Kernels<T>, one loop per formula.
template <Real T>
struct Kernels {
    /// C = A . B          A: m x k, B: k x n -> C: m x n
    static void matmul(MatrixView<const T> A, MatrixView<const T> B, MatrixView<T> C) {
        NN_ASSERT(A.cols() == B.rows() && C.rows() == A.rows() && C.cols() == B.cols(), "matmul shapes");
        for (std::size_t i = 0; i < C.rows(); ++i)
            for (std::size_t j = 0; j < C.cols(); ++j) {
                T sum = 0;
                for (std::size_t p = 0; p < A.cols(); ++p) sum += A(i, p) * B(p, j);
                C(i, j) = sum;
            }
    }

    /// C = A^T . B        A: k x m, B: k x n -> C: m x n
    static void matmul_at_b(MatrixView<const T> A, MatrixView<const T> B, MatrixView<T> C) {
        NN_ASSERT(A.rows() == B.rows() && C.rows() == A.cols() && C.cols() == B.cols(), "matmul_at_b shapes");
        for (std::size_t i = 0; i < C.rows(); ++i)
            for (std::size_t j = 0; j < C.cols(); ++j) {
                T sum = 0;
                for (std::size_t p = 0; p < A.rows(); ++p) sum += A(p, i) * B(p, j);
                C(i, j) = sum;
            }
    }

    /// C = A . B^T        A: m x k, B: n x k -> C: m x n
    static void matmul_a_bt(MatrixView<const T> A, MatrixView<const T> B, MatrixView<T> C) {
        NN_ASSERT(A.cols() == B.cols() && C.rows() == A.rows() && C.cols() == B.rows(), "matmul_a_bt shapes");
        for (std::size_t i = 0; i < C.rows(); ++i)
            for (std::size_t j = 0; j < C.cols(); ++j) {
                T sum = 0;
                for (std::size_t p = 0; p < A.cols(); ++p) sum += A(i, p) * B(j, p);
                C(i, j) = sum;
            }
    }

    /// True when no element is NaN or infinite.
    static bool all_finite(const T* x, std::size_t count) {
        for (std::size_t i = 0; i < count; ++i)
            if (!std::isfinite(x[i])) return false;
        return true;
    }

    /// Z(i, :) += b.
    static void add_bias(MatrixView<T> Z, MatrixView<const T> b) {
        for (std::size_t i = 0; i < Z.rows(); ++i)
            for (std::size_t j = 0; j < Z.cols(); ++j) Z(i, j) += b(0, j);
    }

    /// Z = act(Z), act element-wise, with nn::activate.
    static void activate(MatrixView<T> Z, Activation act) {
        for (T& z : Z) z = nn::activate(act, z);
    }

    /// A = act(Z): element-wise with the standard library's functions, Softmax row by row with
    /// std::exp.
    static void activate_rows(MatrixView<const T> Z, Activation act, MatrixView<T> A) {
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
    static void mul_derivative(MatrixView<T> D, MatrixView<const T> A, Activation act) {
        NN_ASSERT(D.rows() == A.rows() && D.cols() == A.cols(), "mul_derivative shapes");
        for (std::size_t i = 0; i < D.size(); ++i) D.data()[i] *= derivative_from_output(act, A.data()[i]);
    }

    /// g(0, j) = sum over i of D(i, j), in row order.
    static void column_sums(MatrixView<const T> D, MatrixView<T> g) {
        NN_ASSERT(g.rows() == 1 && g.cols() == D.cols(), "column_sums shapes");
        for (std::size_t j = 0; j < D.cols(); ++j) {
            T sum = 0;
            for (std::size_t i = 0; i < D.rows(); ++i) sum += D(i, j);
            g(0, j) = sum;
        }
    }

    /// P -= rate * G.
    static void axpy_step(MatrixView<T> P, MatrixView<const T> G, T rate) {
        for (std::size_t i = 0; i < P.size(); ++i) P.data()[i] -= rate * G.data()[i];
    }

    /// One SGD step, element by element (see Updates::sgd_step).
    static void sgd_step(MatrixView<T> P, MatrixView<const T> G, MatrixView<T> V, T rate, T momentum, bool nesterov,
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

    /// One AdamW step, element by element (see Updates::adam_step).
    static void adam_step(MatrixView<T> P, MatrixView<const T> G, MatrixView<T> M, MatrixView<T> V, T rate, T beta1,
                          T beta2, T eps, T weight_decay, T correction1, T correction2) {
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
};

} // namespace nn::detail::naive

// ---- The fast kernels, once per target (see nn/detail/simd.hpp). ----

#define NN_DETAIL_TARGET_KERNELS                                                                                       \
    template <Real T>                                                                                                  \
    struct Kernels : Products<T>, Elementwise<T>, Updates<T>, Passes<T> {};

#define NN_DETAIL_TARGET_BYTES NN_DETAIL_BASELINE_BYTES
#define NN_DETAIL_ENTRY NN_DETAIL_ALWAYS_INLINE
namespace nn::detail::baseline { // whose vectors and rows detail/baseline.hpp holds
#include <nn/detail/elementwise.hpp>
#include <nn/detail/gemm.hpp>
#include <nn/detail/products.hpp>
#include <nn/detail/updates.hpp>

#include <nn/detail/passes.hpp> // after the kernels it runs
NN_DETAIL_TARGET_KERNELS
} // namespace nn::detail::baseline
#undef NN_DETAIL_TARGET_BYTES
#undef NN_DETAIL_ENTRY

// A wider target's kernels are calls, so they take their matrices by reference: a MatrixView (24
// bytes) passed by value is built by GCC on the stack with 8- and 16-byte stores that the callee's
// copy reads back with loads of other widths, which the core cannot forward from the stores (about
// 15 ns a call on a Zen 5 core; a 2-3-3-1 predict took 170 ns in the AVX-512 copy, 100 inlined).
#define NN_DETAIL_ENTRY // not inlined: a baseline function may call, but not inline, a wider target's
#if NN_DETAIL_AVX2
#define NN_DETAIL_TARGET_BYTES 32
NN_DETAIL_PUSH_TARGET("avx2,fma")
namespace nn::detail::avx2 {
#include <nn/detail/simd.hpp> // first: the vector types of the target

#include <nn/detail/rows.hpp> // second: the rows the kernels use

#include <nn/detail/elementwise.hpp>
#include <nn/detail/gemm.hpp>
#include <nn/detail/products.hpp>
#include <nn/detail/updates.hpp>

#include <nn/detail/passes.hpp> // after the kernels it runs
NN_DETAIL_TARGET_KERNELS
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

#include <nn/detail/rows.hpp> // second: the rows the kernels use

#include <nn/detail/elementwise.hpp>
#include <nn/detail/gemm.hpp>
#include <nn/detail/products.hpp>
#include <nn/detail/updates.hpp>

#include <nn/detail/passes.hpp> // after the kernels it runs
NN_DETAIL_TARGET_KERNELS
} // namespace nn::detail::avx512
NN_DETAIL_POP_TARGET
#undef NN_DETAIL_TARGET_BYTES
#else
namespace nn::detail {
namespace avx512 = baseline;
}
#endif
#undef NN_DETAIL_ENTRY
#undef NN_DETAIL_TARGET_KERNELS

namespace nn::detail {

/// f(k) with k the kernels of selected_isa(), the CPU's best copy (an empty object: k.matmul(...)
/// calls avx2::Kernels<T>::matmul and so on). One switch for as many kernels as f calls.
template <Real T, class F>
NN_DETAIL_ALWAYS_INLINE inline decltype(auto) with_kernels(F&& f) {
    switch (selected_isa()) {
    case Isa::Avx512: return f(avx512::Kernels<T>{});
    case Isa::Avx2: return f(avx2::Kernels<T>{});
    case Isa::Baseline: break;
    }
    return f(baseline::Kernels<T>{});
}

/// True when none of the count elements at x is NaN or infinite. A short array (most biases, a
/// tiny network's every matrix) is tested here, by its exponent bits, without a call.
template <Real T>
NN_DETAIL_ALWAYS_INLINE inline bool all_finite(const T* x, std::size_t count) {
    if (count <= 8) return finite_elements(x, count);
    return with_kernels<T>([&](auto k) { return k.all_finite(x, count); });
}

} // namespace nn::detail

/// The compiled mode's (config.hpp) kernels: every copy but the baseline's (which is inlined where
/// it is called), for float and double, instantiated in the library (`kind` = template) or
/// declared there (extern template). One line per instruction set and type.
#define NN_DETAIL_KERNEL_INSTANCES(kind, ns, T)                                                                        \
    kind struct nn::detail::ns::Products<T>;                                                                           \
    kind struct nn::detail::ns::Elementwise<T>;                                                                        \
    kind struct nn::detail::ns::Updates<T>;                                                                            \
    kind struct nn::detail::ns::Passes<T>
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
