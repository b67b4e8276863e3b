// nn/matrix.hpp: Matrix<T>, an owning, contiguous, row-major matrix, and MatrixView<T>, a
// non-owning view of consecutive rows of one.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <limits>
#include <new>
#include <type_traits>
#include <utility>

#include <nn/error.hpp>

namespace nn {

namespace detail {

/// rows * cols, or nn::Error when that many elements of `element_size` bytes cannot be addressed.
inline std::size_t checked_size(std::size_t rows, std::size_t cols, std::size_t element_size) {
    if (cols != 0 && rows > std::numeric_limits<std::size_t>::max() / element_size / cols)
        fail("a %zu x %zu matrix has more elements than memory can address", rows, cols);
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
            detail::fail("rows(%zu, %zu) is out of range: the matrix has %zu rows", first, count, rows_);
        return MatrixView(data_ + first * cols_, count, cols_);
    }

private:
    T* data_ = nullptr;
    std::size_t rows_ = 0;
    std::size_t cols_ = 0;
};

namespace detail {

/// What Matrix and ParameterMatrix (parameters.hpp) share: rows x cols elements, row-major, at
/// data_, which the derived class owns or views, and the ways to read and write them.
template <class T>
class Elements {
public:
    using value_type = T;

    std::size_t rows() const { return rows_; }
    std::size_t cols() const { return cols_; }
    std::size_t size() const { return rows_ * cols_; }
    bool empty() const { return size() == 0; }
    T* data() { return data_; }
    const T* data() const { return data_; }
    T* begin() { return data_; }
    T* end() { return data_ + size(); }
    const T* begin() const { return data_; }
    const T* end() const { return data_ + size(); }

    T& operator()(std::size_t r, std::size_t c) { return view()(r, c); }
    const T& operator()(std::size_t r, std::size_t c) const { return view()(r, c); }

    MatrixView<T> view() { return {data_, rows_, cols_}; }
    MatrixView<const T> view() const { return {data_, rows_, cols_}; }
    operator MatrixView<T>() { return view(); }
    operator MatrixView<const T>() const { return view(); }

    /// Row i as a 1 x cols view (no copy).
    MatrixView<T> row(std::size_t i) { return view().row(i); }
    MatrixView<const T> row(std::size_t i) const { return view().row(i); }

    /// Rows first .. first+count-1 as a view (no copy).
    MatrixView<T> rows(std::size_t first, std::size_t count) { return view().rows(first, count); }
    MatrixView<const T> rows(std::size_t first, std::size_t count) const { return view().rows(first, count); }

    void fill(T value) {
        for (T& x : *this) x = value;
    }

    /// Same shape and the same elements (NaN is unequal to everything, as for float).
    friend bool operator==(const Elements& a, const Elements& b) {
        if (a.rows_ != b.rows_ || a.cols_ != b.cols_) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (!(a.data_[i] == b.data_[i])) return false;
        return true;
    }

protected:
    Elements() = default;
    Elements(const Elements&) = default;
    Elements& operator=(const Elements&) = default;
    ~Elements() = default;

    T* data_ = nullptr;
    std::size_t rows_ = 0;
    std::size_t cols_ = 0;
};

} // namespace detail

/// An owning, contiguous, row-major matrix of float or double, aligned to NN_ALIGNMENT bytes.
///     nn::Matrix<float> X{{0, 0}, {0, 1}, {1, 0}, {1, 1}};  // 4 x 2
///     X(3, 1) = 0.5f;
template <class T>
class Matrix : public detail::Elements<T> {
    static_assert(Real<T>, "nn::Matrix<T> needs T = float or double");
    using detail::Elements<T>::data_, detail::Elements<T>::rows_, detail::Elements<T>::cols_;

public:
    using detail::Elements<T>::size, detail::Elements<T>::fill, detail::Elements<T>::view;

    Matrix() = default;

    /// A rows x cols matrix filled with `value` (zero by default).
    Matrix(std::size_t rows, std::size_t cols, T value = T(0)) {
        resize_for_overwrite(rows, cols);
        fill(value);
    }

    /// A matrix from nested braces, one inner list a row: Matrix<double>{{1, 2}, {3, 4}}.
    Matrix(std::initializer_list<std::initializer_list<T>> init) {
        const std::size_t cols = init.size() == 0 ? 0 : init.begin()->size();
        std::size_t r = 0;
        for (const auto& row : init) {
            if (row.size() != cols)
                detail::fail("row %zu of the initializer has %zu values, row 0 has %zu", r, row.size(), cols);
            ++r;
        }
        resize_for_overwrite(init.size(), cols);
        T* out = data_;
        for (const auto& row : init)
            for (T x : row) *out++ = x;
    }

    /// A copy of a view's elements.
    explicit Matrix(MatrixView<const T> v) {
        resize_for_overwrite(v.rows(), v.cols());
        copy_from(v.data());
    }

    Matrix(const Matrix& other) : Matrix(other.view()) {}
    Matrix(Matrix&& other) noexcept { swap(other); }
    /// Copy assignment reuses this matrix's storage when it is large enough.
    Matrix& operator=(const Matrix& other) {
        if (this != &other) {
            resize_for_overwrite(other.rows_, other.cols_);
            copy_from(other.data_);
        }
        return *this;
    }
    Matrix& operator=(Matrix&& other) noexcept {
        swap(other);
        return *this;
    }
    ~Matrix() { ::operator delete(data_, alignment); }

    void swap(Matrix& other) noexcept {
        std::swap(data_, other.data_);
        std::swap(rows_, other.rows_);
        std::swap(cols_, other.cols_);
        std::swap(capacity_, other.capacity_);
    }

    /// Makes the matrix rows x cols and zero; keeps the storage when it is large enough.
    void resize(std::size_t rows, std::size_t cols) {
        resize_for_overwrite(rows, cols);
        fill(T(0));
    }

    /// Makes the matrix rows x cols with unspecified contents, for a caller about to write every
    /// element; allocates only when the storage is too small.
    void resize_for_overwrite(std::size_t rows, std::size_t cols) {
        const std::size_t n = detail::checked_size(rows, cols, sizeof(T));
        if (n > capacity_) {
            T* fresh = static_cast<T*>(::operator new(n * sizeof(T), alignment, std::nothrow));
            if (!fresh)
                detail::fail("out of memory: cannot allocate %zu bytes (%.3g GB) for a %zu x %zu matrix of %s",
                             n * sizeof(T), double(n * sizeof(T)) / 1e9, rows, cols,
                             sizeof(T) == 4 ? "float" : "double");
            ::operator delete(data_, alignment);
            data_ = fresh;
            capacity_ = n;
        }
        rows_ = rows;
        cols_ = cols;
    }

private:
    static constexpr std::align_val_t alignment{NN_ALIGNMENT};
    static_assert(NN_ALIGNMENT >= alignof(T) && (NN_ALIGNMENT & (NN_ALIGNMENT - 1)) == 0,
                  "NN_ALIGNMENT must be a power of two no smaller than the element's alignment");

    void copy_from(const T* source) {
        for (std::size_t i = 0; i < size(); ++i) data_[i] = source[i];
    }

    std::size_t capacity_ = 0; // elements at data_, aligned to NN_ALIGNMENT
};

#if defined(NN_COMPILED) // compiled once, in the nn::compiled library (see config.hpp)
extern template class Matrix<float>;
extern template class Matrix<double>;
#endif

} // namespace nn
