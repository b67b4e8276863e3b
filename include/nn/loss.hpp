// nn/loss.hpp: the cost a network is trained to lower, in one place: the losses, the outputs
// each needs, the targets each takes, and their value and their derivative at the output layer.
// (FANN's mean squared error of a network's outputs is a metric: metrics.hpp.)
#pragma once

#include <cmath>
#include <cstddef>

#include <nn/activation.hpp>
#include <nn/detail/simd.hpp>
#include <nn/error.hpp>

namespace nn {

// The matrices the losses are computed on (nn/matrix.hpp), declared only: what reads a network's
// file (the loss's name) does not read the Matrix class; what computes a loss has included it.
template <class T>
class MatrixView;

/// The cost C of a batch of n samples, outputs a against targets y (rows are samples):
enum class Loss {
    MSE,                ///< (1/n) sum_i sum_j (a_ij - y_ij)^2: the notes' cost (eq. 3, 17), any output
    CrossEntropy,       ///< -(1/n) sum_i sum_j y_ij log a_ij: Softmax output, one-hot (or probability) rows
    BinaryCrossEntropy, ///< -(1/n) sum_i sum_j [y log a + (1 - y) log(1 - a)]: Sigmoid output, y in [0, 1]
};

/// The loss's lowercase name: "mse", "cross_entropy", "binary_cross_entropy".
inline const char* name(Loss loss) {
    switch (loss) {
    case Loss::MSE: return "mse";
    case Loss::CrossEntropy: return "cross_entropy";
    case Loss::BinaryCrossEntropy: return "binary_cross_entropy";
    }
    return "unknown";
}

/// True for the enumerators above.
inline bool is_valid(Loss loss) {
    return loss == Loss::MSE || loss == Loss::CrossEntropy || loss == Loss::BinaryCrossEntropy;
}

/// The output activation a loss needs, or Linear when any will do (MSE).
inline Activation required_output(Loss loss) {
    switch (loss) {
    case Loss::CrossEntropy: return Activation::Softmax;
    case Loss::BinaryCrossEntropy: return Activation::Sigmoid;
    case Loss::MSE: break;
    }
    return Activation::Linear;
}

namespace detail {

/// Throws nn::Error unless the loss can be trained on the targets Y (`name` as the caller called
/// them): the cross-entropies take targets in [0, 1] only.
template <Real T>
void check_targets(Loss loss, MatrixView<const T> Y, const char* name) {
    if (loss == Loss::MSE) return;
    for (std::size_t i = 0; i < Y.size(); ++i)
        if (!(Y.data()[i] >= T(0) && Y.data()[i] <= T(1)))
            fail("%s(%zu, %zu) is %.9g; the %s loss needs targets in [0, 1]", name, i / Y.cols(), i % Y.cols(),
                 double(Y.data()[i]), nn::name(loss));
}

/// The output layer's delta D = dC/dZ for the loss, from the outputs A and targets Y (n x out),
/// with n the rows of the batch they are part of (A's own rows unless told otherwise). Each is the
/// exact derivative of the loss's cost:
///   MSE, element-wise act:  (2/n) (a - y) act'(a)   (the factor 2 of d(a - y)^2 applied here, once)
///   MSE, Softmax:           with g = (2/n)(a - y) per row: a_j (g_j - sum_k a_k g_k)
///   CrossEntropy, Softmax:  (a s - y) / n, with s = sum_k y_k of the row (1 for one-hot rows)
///   BinaryCrossEntropy, Sigmoid: (a - y) / n
/// Always inlined, so that each copy of the kernels (Passes) computes it with its own instructions:
/// its multiply-adds fused where the target fuses the hidden layers' (x86-64's AVX2 and AVX-512
/// as aarch64, for the same bits). The Softmax row's dot product in eight partial sums (term j in
/// sum j mod 8), then the eight in order: no sum of products for GCC's -O3 to make an in-order
/// reduction, which would not fuse them as -O2 does.
/// d = the output delta of an element-wise output for lanes of outputs a and targets y, MSE's or
/// (any other loss, as the only one such an output takes) binary cross-entropy's: output_delta's
/// formulas, for a scalar or a vector of lanes (the one-sample paths' output layer).
template <Real T, class U>
NN_DETAIL_ALWAYS_INLINE inline void elementwise_delta(Loss loss, Activation act, const U& a, const U& y, T inv_n,
                                                      U& d) {
    if (loss == Loss::MSE) {
        d = T(2) * inv_n * (a - y);
        mul_derivative_lanes<T, U>(act, d, a);
    } else {
        d = (a - y) * inv_n;
    }
}

template <Real T>
NN_DETAIL_ALWAYS_INLINE inline void output_delta(Loss loss, Activation act, const MatrixView<const T>& A,
                                                 const MatrixView<const T>& Y, const MatrixView<T>& D,
                                                 std::size_t batch_rows = 0) {
    NN_ASSERT(A.rows() == Y.rows() && A.cols() == Y.cols() && D.rows() == A.rows() && D.cols() == A.cols(),
              "output delta shapes");
    const std::size_t n = A.rows(), out = A.cols();
    const T inv_n = T(1) / static_cast<T>(batch_rows > 0 ? batch_rows : n);
    const T* a = A.data();
    const T* y = Y.data();
    T* d = D.data();
    if (loss == Loss::MSE && is_elementwise(act)) {
        const auto loop = [&](Activation f) NN_DETAIL_ALWAYS_INLINE { // as in mul_derivative
            T* __restrict delta = d;
            for (std::size_t i = 0; i < A.size(); ++i) elementwise_delta<T>(Loss::MSE, f, a[i], y[i], inv_n, delta[i]);
        };
        act == Activation::Sigmoid ? loop(Activation::Sigmoid) : loop(act);
    } else if (loss == Loss::MSE) { // Softmax: the Jacobian diag(a) - a a^T, applied row by row
        constexpr std::size_t lanes = 8;
        for (std::size_t i = 0; i < n; ++i, a += out, y += out, d += out) {
            T part[lanes] = {};
            for (std::size_t j = 0; j < out; j += lanes)
                for (std::size_t l = 0; l < lanes && j + l < out; ++l)
                    part[l] = NN_DETAIL_FUSED(part[l] + a[j + l] * T(2) * inv_n * (a[j + l] - y[j + l]));
            T dot = 0;
            for (std::size_t l = 0; l < lanes; ++l) dot += part[l];
            for (std::size_t j = 0; j < out; ++j) d[j] = a[j] * (T(2) * inv_n * (a[j] - y[j]) - dot);
        }
    } else if (loss == Loss::CrossEntropy) {
        for (std::size_t i = 0; i < n; ++i, a += out, y += out, d += out) {
            T s = 0;
            for (std::size_t j = 0; j < out; ++j) s += y[j];
            for (std::size_t j = 0; j < out; ++j) d[j] = (a[j] * s - y[j]) * inv_n;
        }
    } else { // binary cross-entropy
        for (std::size_t i = 0; i < A.size(); ++i) elementwise_delta<T>(loss, act, a[i], y[i], inv_n, d[i]);
    }
}

/// A sum of many terms in eight partial sums, term k into sum k mod 8, then the eight in order: a
/// fixed order, which leaves GCC's -O3 no single sum of products to make an in-order reduction
/// (such a reduction does not fuse the multiply-adds -O2 fuses where the target has them).
struct PartialSums {
    double part[8] = {};
    unsigned next = 0;

    NN_DETAIL_ALWAYS_INLINE void add(double term) {
        part[next] += term;
        next = (next + 1) % 8;
    }
    /// Adds a * b, in one expression: a multiply-add that Clang (which contracts within an
    /// expression only) fuses where GCC does.
    NN_DETAIL_ALWAYS_INLINE void add(double a, double b) {
        part[next] += a * b;
        next = (next + 1) % 8;
    }
    NN_DETAIL_ALWAYS_INLINE double total() const {
        double sum = 0;
        for (const double p : part) sum += p;
        return sum;
    }
};

/// n times the cost of a batch: the loss summed over samples and outputs, accumulated in double
/// (PartialSums). The cross-entropies use the pre-activation Z, so that no log of a rounded-off 0
/// appears:
///   -y log a_j = y (logsumexp(z) - z_j) for Softmax, and
///   -[y log a + (1 - y) log(1 - a)] = softplus(z) - y z for Sigmoid, softplus(z) = log(1 + e^z).
/// Always inlined, as output_delta: nn::NN calls it through the kernels (Elementwise::loss_sum),
/// so that x86-64's AVX2 and AVX-512 copies fuse its multiply-adds as aarch64 does.
template <Real T>
NN_DETAIL_ALWAYS_INLINE inline double loss_sum(Loss loss, const MatrixView<const T>& Z, const MatrixView<const T>& A,
                                               const MatrixView<const T>& Y) {
    NN_ASSERT(A.rows() == Y.rows() && A.cols() == Y.cols() && Z.rows() == A.rows() && Z.cols() == A.cols(),
              "loss_sum shapes");
    PartialSums sum;
    if (loss == Loss::MSE) {
        for (std::size_t i = 0; i < A.size(); ++i) {
            const double d = static_cast<double>(A.data()[i]) - static_cast<double>(Y.data()[i]);
            sum.add(d, d);
        }
    } else if (loss == Loss::CrossEntropy) {
        const std::size_t out = Z.cols();
        for (std::size_t i = 0; i < Z.rows(); ++i) {
            const T* z = Z.data() + i * out;
            const T* y = Y.data() + i * out;
            double top = z[0];
            for (std::size_t j = 1; j < out; ++j) top = z[j] > top ? z[j] : top;
            double total = 0;
            for (std::size_t j = 0; j < out; ++j) total += std::exp(static_cast<double>(z[j]) - top);
            const double lse = top + std::log(total);
            for (std::size_t j = 0; j < out; ++j) sum.add(static_cast<double>(y[j]), lse - static_cast<double>(z[j]));
        }
    } else {
        for (std::size_t i = 0; i < Z.size(); ++i) {
            const double z = Z.data()[i], y = Y.data()[i];
            sum.add((z > 0 ? z : 0) + std::log1p(std::exp(-std::abs(z))) - y * z);
        }
    }
    return sum.total();
}

} // namespace detail

} // namespace nn
