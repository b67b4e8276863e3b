// nn/matrix.hpp: Matrix<T>, an owning, contiguous, row-major matrix, and MatrixView<T>, a
// non-owning view of consecutive rows of one.
#pragma once

#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <limits>
#include <new>
#include <type_traits>
#include <vector>

#include <nn/error.hpp>

namespace nn {

/// The element types the library computes in.
template <class T>
concept Real = std::floating_point<T>;

namespace detail {

/// Hands out storage aligned to NN_ALIGNMENT bytes, so that kernels may use aligned vector loads.
template <class T>
struct AlignedAllocator {
    using value_type = T;
    static constexpr std::align_val_t alignment{NN_ALIGNMENT};
    static_assert(NN_ALIGNMENT >= alignof(T) && (NN_ALIGNMENT & (NN_ALIGNMENT - 1)) == 0,
                  "NN_ALIGNMENT must be a power of two no smaller than the element's alignment");

    AlignedAllocator() = default;
    template <class U>
    AlignedAllocator(const AlignedAllocator<U>&) noexcept {}

    T* allocate(std::size_t n) {
        if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_array_new_length();
        return static_cast<T*>(::operator new(n * sizeof(T), alignment));
    }
    void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, alignment); }

    template <class U>
    bool operator==(const AlignedAllocator<U>&) const noexcept {
        return true;
    }
};

/// rows * cols, or nn::Error when the product does not fit in std::size_t.
inline std::size_t checked_size(std::size_t rows, std::size_t cols) {
    if (cols != 0 && rows > std::numeric_limits<std::size_t>::max() / cols)
        fail("a ", rows, " x ", cols, " matrix has more elements than std::size_t can count");
    return rows * cols;
}

} // namespace detail

/// A non-owning view of a row-major block of `rows x cols` elements (T may be const).
/// Views come from Matrix::row and Matrix::rows and stay valid while the matrix is not resized.
///     nn::MatrixView<const float> batch = X.rows(32, 16);  // samples 32..47, no copy
template <class T>
class MatrixView {
public:
    MatrixView() = default;
    MatrixView(T* data, std::size_t rows, std::size_t cols) : data_(data), rows_(rows), cols_(cols) {}
    /// A view of mutable elements converts to a view of const ones.
    template <class U>
    requires std::is_same_v<const U, T> &&(!std::is_same_v<U, T>)MatrixView(MatrixView<U> other)
        : data_(other.data()), rows_(other.rows()), cols_(other.cols()) {}

    std::size_t rows() const { return rows_; }
    std::size_t cols() const { return cols_; }
    std::size_t size() const { return rows_ * cols_; }
    bool empty() const { return size() == 0; }
    T* data() const { return data_; }
    T* begin() const { return data_; }
    T* end() const { return data_ + size(); }

    T& operator()(std::size_t r, std::size_t c) const {
        NN_ASSERT(r < rows_ && c < cols_, "matrix index out of range");
        return data_[r * cols_ + c];
    }

    /// Row i as a 1 x cols view.
    MatrixView row(std::size_t i) const { return rows(i, 1); }

    /// Rows first .. first+count-1 as a count x cols view.
    MatrixView rows(std::size_t first, std::size_t count) const {
        if (first > rows_ || count > rows_ - first)
            detail::fail("rows(", first, ", ", count, ") is out of range: the matrix has ", rows_, " rows");
        return MatrixView(data_ + first * cols_, count, cols_);
    }

private:
    T* data_ = nullptr;
    std::size_t rows_ = 0;
    std::size_t cols_ = 0;
};

/// An owning, contiguous, row-major matrix of float or double, aligned to NN_ALIGNMENT bytes.
///     nn::Matrix<float> X{{0, 0}, {0, 1}, {1, 0}, {1, 1}};  // 4 x 2
///     X(3, 1) = 0.5f;
template <class T>
class Matrix {
    static_assert(std::floating_point<T>, "nn::Matrix<T> needs a floating-point T (float or double)");

public:
    using value_type = T;

    Matrix() = default;

    /// A rows x cols matrix filled with `value` (zero by default).
    Matrix(std::size_t rows, std::size_t cols, T value = T(0))
        : data_(detail::checked_size(rows, cols), value), rows_(rows), cols_(cols) {}

    /// A matrix from nested braces, one inner list a row: Matrix<double>{{1, 2}, {3, 4}}.
    Matrix(std::initializer_list<std::initializer_list<T>> init) : rows_(init.size()) {
        cols_ = rows_ == 0 ? 0 : init.begin()->size();
        data_.reserve(rows_ * cols_);
        std::size_t r = 0;
        for (const auto& row : init) {
            if (row.size() != cols_)
                detail::fail("row ", r, " of the initializer has ", row.size(), " values, row 0 has ", cols_);
            data_.insert(data_.end(), row.begin(), row.end());
            ++r;
        }
    }

    /// A copy of a view's elements.
    explicit Matrix(MatrixView<const T> v) : data_(v.begin(), v.end()), rows_(v.rows()), cols_(v.cols()) {}

    std::size_t rows() const { return rows_; }
    std::size_t cols() const { return cols_; }
    std::size_t size() const { return data_.size(); }
    bool empty() const { return data_.empty(); }
    T* data() { return data_.data(); }
    const T* data() const { return data_.data(); }
    T* begin() { return data(); }
    T* end() { return data() + size(); }
    const T* begin() const { return data(); }
    const T* end() const { return data() + size(); }

    T& operator()(std::size_t r, std::size_t c) { return view()(r, c); }
    const T& operator()(std::size_t r, std::size_t c) const { return view()(r, c); }

    MatrixView<T> view() { return {data(), rows_, cols_}; }
    MatrixView<const T> view() const { return {data(), rows_, cols_}; }
    operator MatrixView<T>() { return view(); }
    operator MatrixView<const T>() const { return view(); }

    /// Row i as a 1 x cols view (no copy).
    MatrixView<T> row(std::size_t i) { return view().row(i); }
    MatrixView<const T> row(std::size_t i) const { return view().row(i); }

    /// Rows first .. first+count-1 as a view (no copy).
    MatrixView<T> rows(std::size_t first, std::size_t count) { return view().rows(first, count); }
    MatrixView<const T> rows(std::size_t first, std::size_t count) const { return view().rows(first, count); }

    /// Makes the matrix rows x cols and zero; keeps the storage when it is large enough.
    void resize(std::size_t rows, std::size_t cols) {
        data_.assign(detail::checked_size(rows, cols), T(0));
        rows_ = rows;
        cols_ = cols;
    }

    void fill(T value) {
        for (T& x : data_) x = value;
    }

    /// Same shape and the same elements (NaN is unequal to everything, as for float).
    friend bool operator==(const Matrix& a, const Matrix& b) {
        return a.rows_ == b.rows_ && a.cols_ == b.cols_ && a.data_ == b.data_;
    }

private:
    std::vector<T, detail::AlignedAllocator<T>> data_;
    std::size_t rows_ = 0;
    std::size_t cols_ = 0;
};

} // namespace nn
