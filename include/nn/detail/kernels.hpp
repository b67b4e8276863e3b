// nn/detail/kernels.hpp: every loop over matrix elements that forward and backprop run.
//
// This is the one place to make the library fast. Each matrix product has a naive reference in
// nn::detail::naive, which the tests hold the fast version to. Shapes are checked with NN_ASSERT:
// the callers in network.hpp have already validated the user's input.
#pragma once

#include <cstddef>

#include <nn/activation.hpp>
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

} // namespace naive

/// C = A . B          A: m x k, B: k x n -> C: m x n
/// Row of C += A(i, p) * row p of B: the inner loop runs along contiguous rows and vectorises.
template <Real T>
void matmul(MatrixView<const T> A, MatrixView<const T> B, MatrixView<T> C) {
    NN_ASSERT(A.cols() == B.rows() && C.rows() == A.rows() && C.cols() == B.cols(), "matmul shapes");
    const std::size_t m = A.rows(), k = A.cols(), n = B.cols();
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
/// Summed over p in order, as the naive version does, one rank-1 update a time.
template <Real T>
void matmul_at_b(MatrixView<const T> A, MatrixView<const T> B, MatrixView<T> C) {
    NN_ASSERT(A.rows() == B.rows() && C.rows() == A.cols() && C.cols() == B.cols(), "matmul_at_b shapes");
    const std::size_t k = A.rows(), m = A.cols(), n = B.cols();
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
/// Each C(i, j) is a dot product of two contiguous rows, summed in eight interleaved partial sums
/// (a fixed order, so results do not depend on the compiler) that the compiler can keep in registers.
template <Real T>
void matmul_a_bt(MatrixView<const T> A, MatrixView<const T> B, MatrixView<T> C) {
    NN_ASSERT(A.cols() == B.cols() && C.rows() == A.rows() && C.cols() == B.rows(), "matmul_a_bt shapes");
    const std::size_t m = A.rows(), k = A.cols(), n = B.rows();
    constexpr std::size_t lanes = 8;
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

/// Forward epilogue: Z(i, :) = act(Z(i, :) + b) in place.     Z: n x out, b: 1 x out
template <Real T>
void add_bias_activate(MatrixView<T> Z, MatrixView<const T> b, Activation act) {
    NN_ASSERT(b.rows() == 1 && b.cols() == Z.cols(), "bias shape");
    const std::size_t n = Z.rows(), out = Z.cols();
    for (std::size_t i = 0; i < n; ++i) {
        T* __restrict z = Z.data() + i * out;
        for (std::size_t j = 0; j < out; ++j) z[j] = activate(act, z[j] + b.data()[j]);
    }
}

/// Backward: D *= act'(A) element-wise, with A the layer's output.     D, A: n x out
template <Real T>
void mul_derivative(MatrixView<T> D, MatrixView<const T> A, Activation act) {
    NN_ASSERT(D.rows() == A.rows() && D.cols() == A.cols(), "mul_derivative shapes");
    for (std::size_t i = 0; i < D.size(); ++i) D.data()[i] *= derivative_from_output(act, A.data()[i]);
}

/// The output layer's delta for C = (1/n) sum (a - y)^2:
/// D = dC/dZ = (2/n) (A - Y) * act'(A), the factor 2 of d(a - y)^2 applied here and only here.
template <Real T>
void mse_output_delta(MatrixView<const T> A, MatrixView<const T> Y, Activation act, MatrixView<T> D) {
    NN_ASSERT(A.rows() == Y.rows() && A.cols() == Y.cols() && D.rows() == A.rows() && D.cols() == A.cols(),
              "output delta shapes");
    const T scale = T(2) / static_cast<T>(A.rows());
    for (std::size_t i = 0; i < A.size(); ++i)
        D.data()[i] = scale * (A.data()[i] - Y.data()[i]) * derivative_from_output(act, A.data()[i]);
}

/// g(0, j) = sum over i of D(i, j): the bias gradient.     D: n x out -> g: 1 x out
template <Real T>
void column_sums(MatrixView<const T> D, MatrixView<T> g) {
    NN_ASSERT(g.rows() == 1 && g.cols() == D.cols(), "column_sums shapes");
    for (std::size_t j = 0; j < g.cols(); ++j) g.data()[j] = T(0);
    for (std::size_t i = 0; i < D.rows(); ++i)
        for (std::size_t j = 0; j < D.cols(); ++j) g.data()[j] += D.data()[i * D.cols() + j];
}

/// sum (A - Y)^2 over every element, accumulated in double so a float cost keeps its digits.
template <Real T>
double squared_error_sum(MatrixView<const T> A, MatrixView<const T> Y) {
    NN_ASSERT(A.rows() == Y.rows() && A.cols() == Y.cols(), "squared_error_sum shapes");
    double sum = 0;
    for (std::size_t i = 0; i < A.size(); ++i) {
        const double d = static_cast<double>(A.data()[i]) - static_cast<double>(Y.data()[i]);
        sum += d * d;
    }
    return sum;
}

/// P -= rate * G element-wise: one SGD step for one parameter matrix.
template <Real T>
void axpy_step(MatrixView<T> P, MatrixView<const T> G, T rate) {
    NN_ASSERT(P.rows() == G.rows() && P.cols() == G.cols(), "axpy_step shapes");
    T* __restrict p = P.data();
    const T* __restrict g = G.data();
    for (std::size_t i = 0; i < P.size(); ++i) p[i] -= rate * g[i];
}

} // namespace nn::detail
