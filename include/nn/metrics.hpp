// nn/metrics.hpp: how well outputs match targets: accuracy (mean_squared_error is in loss.hpp).
#pragma once

#include <cstddef>

#include <nn/loss.hpp>
#include <nn/matrix.hpp>

namespace nn {

namespace detail {
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

// Matrix arguments deduce T through these.
template <Real T>
double accuracy(const Matrix<T>& outputs, const Matrix<T>& targets) {
    return accuracy<T>(outputs.view(), targets.view());
}
} // namespace nn
