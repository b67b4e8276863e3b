// nn/metrics.hpp: how well outputs match targets.
#pragma once

#include <cstddef>

#include <nn/matrix.hpp>

namespace nn {

namespace detail {
template <Real T>
void check_same_shape(MatrixView<const T> outputs, MatrixView<const T> targets, const char* what) {
    if (outputs.rows() != targets.rows() || outputs.cols() != targets.cols())
        fail("%s: the outputs are %zu x %zu, the targets %zu x %zu", what, outputs.rows(), outputs.cols(),
             targets.rows(), targets.cols());
    if (outputs.rows() == 0) fail("%s: there are no samples", what);
}

template <Real T>
std::size_t argmax(const T* row, std::size_t n) {
    std::size_t best = 0;
    for (std::size_t j = 1; j < n; ++j)
        if (row[j] > row[best]) best = j;
    return best;
}
} // namespace detail

/// The fraction of samples classified right: with several outputs, the largest output must be
/// where the target row has its largest value (one-hot labels); with one output, the output and
/// the target must fall on the same side of 0.5.
///     double acc = nn::accuracy(net.forward(X_test), Y_test);
template <Real T>
double accuracy(MatrixView<const T> outputs, MatrixView<const T> targets) {
    detail::check_same_shape(outputs, targets, "accuracy");
    const std::size_t n = outputs.rows(), k = outputs.cols();
    std::size_t right = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const T* a = outputs.data() + i * k;
        const T* y = targets.data() + i * k;
        right += k == 1 ? (a[0] > T(0.5)) == (y[0] > T(0.5)) : detail::argmax(a, k) == detail::argmax(y, k);
    }
    return double(right) / double(n);
}

/// The mean of (a - y)^2 over every element: sum / (samples x outputs), as FANN reports it.
/// (The MSE loss of a network is sum / samples: this times the number of outputs.)
template <Real T>
double mean_squared_error(MatrixView<const T> outputs, MatrixView<const T> targets) {
    detail::check_same_shape(outputs, targets, "mean_squared_error");
    double sum = 0;
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        const double d = double(outputs.data()[i]) - double(targets.data()[i]);
        sum += d * d;
    }
    return sum / double(outputs.size());
}

// Matrix arguments deduce T through these.
template <Real T>
double accuracy(const Matrix<T>& outputs, const Matrix<T>& targets) {
    return accuracy<T>(outputs.view(), targets.view());
}
template <Real T>
double mean_squared_error(const Matrix<T>& outputs, const Matrix<T>& targets) {
    return mean_squared_error<T>(outputs.view(), targets.view());
}

} // namespace nn
