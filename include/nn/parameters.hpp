// nn/parameters.hpp: Parameters<T>, every weight and bias of a network in one buffer, in the
// flat order of detail/arch.hpp, and ParameterMatrix<T>, the fixed-shape view of one weight matrix
// or bias row in it.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <span>
#include <utility>
#include <vector>

#include <nn/detail/arch.hpp>
#include <nn/error.hpp>
#include <nn/matrix.hpp>

namespace nn {

namespace detail {

/// A span as a 1 x size matrix, for the kernels.
template <class T>
MatrixView<T> as_row(std::span<T> values) {
    return {values.data(), 1, values.size()};
}

} // namespace detail

template <Real T>
class Parameters;

/// One weight matrix or bias row of a network (or of a gradient, or of an optimizer's state): a
/// view into its Parameters, whose shape is fixed. Its elements can be read and written, and a
/// matrix of the same shape assigned to it; a matrix of another shape throws nn::Error and changes
/// nothing, so a network's parameters always have the shapes of its arch. It cannot be copied
/// (a copy would be a second name for the same numbers): take a reference, or a Matrix with matrix().
///     auto& W = net.weights(0);
///     W(1, 2) = 0.5f;                            // an element
///     W = nn::Matrix<float>(W.rows(), W.cols()); // a whole matrix of the same shape
///     nn::Matrix<float> copy = W.matrix();       // the numbers, on their own
template <Real T>
class ParameterMatrix : public detail::Elements<T> {
    using detail::Elements<T>::data_, detail::Elements<T>::rows_, detail::Elements<T>::cols_;

public:
    using detail::Elements<T>::rows, detail::Elements<T>::cols, detail::Elements<T>::size, detail::Elements<T>::view;

    ParameterMatrix(const ParameterMatrix&) = delete;

    /// Copies the elements of a matrix or view of the same shape; another shape throws nn::Error.
    ParameterMatrix& operator=(MatrixView<const T> other) {
        if (other.rows() != rows() || other.cols() != cols())
            detail::fail("cannot assign a %zu x %zu matrix to parameters of shape %zu x %zu: a network's weights and "
                         "biases keep the shapes of its arch",
                         other.rows(), other.cols(), rows(), cols());
        const T* source = other.data();
        if (source != data_)
            for (std::size_t i = 0; i < size(); ++i) data_[i] = source[i];
        return *this;
    }
    ParameterMatrix& operator=(const ParameterMatrix& other) { return *this = other.view(); }
    /// Nested braces, one inner list a row, of the same shape: W = {{1, 2}, {3, 4}}.
    ParameterMatrix& operator=(std::initializer_list<std::initializer_list<T>> init) {
        return *this = Matrix<T>(init).view();
    }

    /// The elements as a Matrix of their own.
    Matrix<T> matrix() const { return Matrix<T>(view()); }

private:
    friend class Parameters<T>;
    ParameterMatrix() = default;
};

/// Every weight and bias of a network of some arch, in one aligned buffer in the flat order (see
/// the top of this file): a network's parameters, a gradient (nn::Gradient), an optimizer's state
/// (momentum, Adam's moments, iRPROP-'s step sizes). weights(l) and biases(l) view it by layer,
/// values() as one span, so a loop over every parameter is one loop.
///     nn::Parameters<float> p({2, 3, 1});   // 13 zeros
///     p.weights(0)(1, 2) = 1;               // == p.values()[5]
template <Real T>
class Parameters {
public:
    Parameters() = default;

    /// Zeros, shaped for a network of this arch (an empty arch: no layers).
    explicit Parameters(const std::vector<std::size_t>& arch) { resize(arch); }

    Parameters(const Parameters& other) : arch_(other.arch_), values_(other.values_) { bind(); }
    Parameters(Parameters&& other) noexcept { swap(other); } // the buffer moves whole: the views stay right
    ~Parameters() { delete[] views_; }
    /// Copies other's values, and its shape when it has another.
    Parameters& operator=(const Parameters& other) {
        if (this == &other) return *this;
        if (arch_ != other.arch_) return *this = Parameters(other);
        const T* from = other.values_.data();
        for (std::size_t k = 0; k < values_.size(); ++k) values_.data()[k] = from[k];
        return *this;
    }
    Parameters& operator=(Parameters&& other) noexcept {
        swap(other);
        return *this;
    }

    void swap(Parameters& other) noexcept {
        arch_.swap(other.arch_);
        values_.swap(other.values_);
        std::swap(views_, other.views_);
    }

    /// The arch these parameters are shaped for (empty for a default-constructed one).
    const std::vector<std::size_t>& arch() const { return arch_; }
    std::size_t layers() const { return arch_.empty() ? 0 : arch_.size() - 1; }
    /// The number of values: every weight and bias.
    std::size_t size() const { return values_.size(); }

    /// Every value in the flat order.
    std::span<T> values() { return {values_.data(), values_.size()}; }
    std::span<const T> values() const { return {values_.data(), values_.size()}; }

    /// values() as a 1 x size() matrix, for the kernels.
    MatrixView<T> view() { return values_.view(); }
    MatrixView<const T> view() const { return values_.view(); }

    /// W(l), arch[l] x arch[l+1], and b(l), 1 x arch[l+1]: views into values().
    ParameterMatrix<T>& weights(std::size_t l) { return views_[2 * checked(l)]; }
    const ParameterMatrix<T>& weights(std::size_t l) const { return views_[2 * checked(l)]; }
    ParameterMatrix<T>& biases(std::size_t l) { return views_[2 * checked(l) + 1]; }
    const ParameterMatrix<T>& biases(std::size_t l) const { return views_[2 * checked(l) + 1]; }

    /// True when the shapes are those of a network with this arch.
    bool matches(const std::vector<std::size_t>& arch) const { return arch == arch_; }

    /// Gives the values the shapes of this arch, all zero; keeps the buffer when the arch is the same.
    void resize(const std::vector<std::size_t>& arch) {
        if (arch != arch_) {
            const std::size_t count = arch.empty() ? 0 : detail::layer_offset(arch, arch.size() - 1);
            values_.resize_for_overwrite(1, count);
            arch_ = arch;
            bind();
        }
        fill(T(0));
    }

    void fill(T value) { values_.fill(value); }

    /// Same shapes and the same values (NaN is unequal to everything, as for float).
    friend bool operator==(const Parameters& a, const Parameters& b) {
        return a.arch_ == b.arch_ && a.values_ == b.values_;
    }

private:
    std::size_t checked(std::size_t l) const {
        if (l >= layers()) detail::fail("layer %zu is out of range: there are %zu layers", l, layers());
        return l;
    }

    /// Points the views at their places in values_.
    void bind() {
        delete[] views_;
        views_ = new ParameterMatrix<T>[2 * layers()];
        for (std::size_t l = 0; l < layers(); ++l) {
            T* w = values_.data() + detail::layer_offset(arch_, l);
            views_[2 * l].data_ = w, views_[2 * l].rows_ = arch_[l], views_[2 * l].cols_ = arch_[l + 1];
            views_[2 * l + 1].data_ = w + arch_[l] * arch_[l + 1], views_[2 * l + 1].rows_ = 1,
                           views_[2 * l + 1].cols_ = arch_[l + 1];
        }
    }

    std::vector<std::size_t> arch_;
    Matrix<T> values_;                    // 1 x size(), aligned to NN_ALIGNMENT
    ParameterMatrix<T>* views_ = nullptr; // owned: weights(l) at 2 l, biases(l) at 2 l + 1 (not unique_ptr:
                                          // <memory> costs every includer compile time, see detail/json.hpp)
};

#if defined(NN_COMPILED) // compiled once, in the nn::compiled library (see config.hpp)
extern template class ParameterMatrix<float>;
extern template class ParameterMatrix<double>;
extern template class Parameters<float>;
extern template class Parameters<double>;
#endif

} // namespace nn
