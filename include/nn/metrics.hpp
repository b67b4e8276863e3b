// nn/metrics.hpp: how well outputs match targets: accuracy, and the mean squared error as FANN reports it.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include <nn/error.hpp>
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

/// How many classes n outputs tell apart: n, or 2 for one output (see class_of).
inline std::size_t class_count(std::size_t n) { return n == 1 ? 2 : n; }

/// The class an output row names: with several outputs the index of the largest, with one output
/// 1 when it is above 0.5 and 0 otherwise.
template <Real T>
std::size_t class_of(const T* row, std::size_t n) {
    return n == 1 ? std::size_t(row[0] > T(0.5)) : argmax(row, n);
}
template <Real T>
void check_same_shape(MatrixView<const T> outputs, MatrixView<const T> targets, const char* what) {
    if (outputs.rows() != targets.rows() || outputs.cols() != targets.cols())
        fail("%s: the outputs are %zu x %zu, the targets %zu x %zu", what, outputs.rows(), outputs.cols(),
             targets.rows(), targets.cols());
    if (outputs.rows() == 0) fail("%s: there are no samples", what);
}
} // namespace detail

/// The index of the largest value, the first of equal ones; nn::Error for no values.
///     std::size_t k = nn::argmax(std::span<const float>(out));
template <Real T>
std::size_t argmax(std::span<const T> values) {
    if (values.empty()) detail::fail("argmax was given no values; at least one is needed");
    return detail::argmax(values.data(), values.size());
}
template <Real T>
std::size_t argmax(const std::vector<T>& values) {
    return argmax(std::span<const T>(values));
}

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
        right += detail::class_of(a, k) == detail::class_of(y, k);
    }
    return double(right) / double(n);
}

// Matrix arguments deduce T through these.
template <Real T>
double accuracy(const Matrix<T>& outputs, const Matrix<T>& targets) {
    return accuracy<T>(outputs.view(), targets.view());
}

/// The mean of (a - y)^2 over every element: sum / (samples x outputs), as FANN reports it.
/// (The MSE loss of a network is sum / samples: this times the number of outputs.)
template <Real T>
double mean_squared_error(MatrixView<const T> outputs, MatrixView<const T> targets) {
    detail::check_same_shape(outputs, targets, "mean_squared_error");
    return detail::loss_sum<T>(Loss::MSE, outputs, outputs, targets) / double(outputs.size());
}
template <Real T>
double mean_squared_error(const Matrix<T>& outputs, const Matrix<T>& targets) {
    return mean_squared_error<T>(outputs.view(), targets.view());
}
} // namespace nn
