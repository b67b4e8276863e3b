// Parameters: every weight and bias in one buffer in the flat order, and ParameterMatrix, the
// fixed-shape view of one matrix in it.
#include <doctest/doctest.h>

#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

#include <nn/parameters.hpp>

TEST_CASE("layer_offset: every layer's weights, then its biases, layer after layer") {
    constexpr std::size_t arch[] = {3, 4, 2};
    static_assert(nn::detail::layer_offset(arch, 0) == 0);
    static_assert(nn::detail::layer_offset(arch, 1) == 3 * 4 + 4);
    static_assert(nn::detail::layer_offset(arch, 2) == 3 * 4 + 4 + 4 * 2 + 2); // the count
}

TEST_CASE_TEMPLATE("Parameters: weights(l) and biases(l) view values() in the flat order", T, float, double) {
    nn::Parameters<T> p({3, 4, 2});
    REQUIRE(p.size() == 26);
    CHECK(p.layers() == 2);
    for (T x : p.values()) CHECK(x == T(0));
    for (std::size_t i = 0; i < p.size(); ++i) p.values()[i] = T(i);
    std::size_t k = 0; // walking the matrices row by row must meet 0, 1, 2, ... in turn
    for (std::size_t l = 0; l < p.layers(); ++l) {
        CHECK(p.weights(l).rows() == p.arch()[l]);
        CHECK(p.weights(l).cols() == p.arch()[l + 1]);
        CHECK(p.biases(l).rows() == 1);
        CHECK(p.biases(l).cols() == p.arch()[l + 1]);
        for (std::size_t r = 0; r < p.weights(l).rows(); ++r)
            for (std::size_t c = 0; c < p.weights(l).cols(); ++c) CHECK(p.weights(l)(r, c) == T(k++));
        for (T b : p.biases(l)) CHECK(b == T(k++));
    }
    CHECK(k == p.size());
    CHECK(reinterpret_cast<std::uintptr_t>(p.values().data()) % NN_ALIGNMENT == 0);
    CHECK_THROWS_WITH_AS(p.weights(2), "layer 2 is out of range: there are 2 layers", nn::Error);
}

TEST_CASE_TEMPLATE("Parameters: copies are independent, moves keep the views right, resize reshapes", T, float,
                   double) {
    nn::Parameters<T> p({2, 3, 1});
    p.weights(1)(2, 0) = T(7);
    nn::Parameters<T> copy = p;
    CHECK(copy == p);
    copy.weights(1)(2, 0) = T(8);
    CHECK(p.weights(1)(2, 0) == T(7));
    CHECK(copy.values()[copy.size() - 2] == T(8)); // the copy's views point into the copy
    const T* storage = p.values().data();
    nn::Parameters<T> moved = std::move(p);
    CHECK(moved.values().data() == storage);
    CHECK(moved.weights(1).data() == storage + nn::detail::layer_offset(moved.arch(), 1));
    CHECK(moved.weights(1)(2, 0) == T(7));
    moved = copy; // same shape: values copied, storage kept
    CHECK(moved.values().data() == storage);
    CHECK(moved.weights(1)(2, 0) == T(8));
    nn::Parameters<T> other({4, 1});
    moved = other; // another shape: reshaped
    CHECK(moved.matches({4, 1}));
    CHECK(moved.weights(0).rows() == 4);
    moved.weights(0)(3, 0) = T(1);
    CHECK(other.weights(0)(3, 0) == T(0));
    moved.resize({4, 1});
    CHECK(moved.weights(0)(3, 0) == T(0));
    nn::Parameters<T> empty;
    CHECK(empty.layers() == 0);
    CHECK(empty.size() == 0);
    CHECK_FALSE(empty.matches({4, 1}));
}

TEST_CASE_TEMPLATE("ParameterMatrix: elements and same-shape matrices in, other shapes refused, no copies", T, float,
                   double) {
    static_assert(!std::is_copy_constructible_v<nn::ParameterMatrix<T>>, "a copy would be a second name");
    nn::Parameters<T> params({2, 3});
    nn::ParameterMatrix<T>& p = params.weights(0);
    CHECK(p.rows() == 2);
    CHECK(p.cols() == 3);
    p(1, 2) = T(5);
    CHECK(p.data()[5] == T(5));
    p = nn::Matrix<T>{{1, 2, 3}, {4, 5, 6}};
    CHECK(p.matrix() == (nn::Matrix<T>{{1, 2, 3}, {4, 5, 6}}));
    const nn::MatrixView<const T> v = p;
    CHECK(v(1, 0) == T(4));
    p = p.view(); // itself: no change
    CHECK(p(0, 1) == T(2));
    const auto before = p.matrix();
    CHECK_THROWS_WITH_AS(p = nn::Matrix<T>(3, 2),
                         "cannot assign a 3 x 2 matrix to parameters of shape 2 x 3: a network's weights and biases "
                         "keep the shapes of its arch",
                         nn::Error);
    CHECK_THROWS_AS((p = {{1, 2}, {3, 4}}), nn::Error);
    CHECK_THROWS_AS(p = params.biases(0), nn::Error);
    CHECK(p.matrix() == before);
    nn::Parameters<T> others({2, 3});
    others.weights(0) = p; // assigned when the shapes agree
    others.weights(0)(0, 0) = T(9);
    CHECK(p(0, 0) == T(1));
    p = others.weights(0);
    CHECK(p(0, 0) == T(9));
    CHECK(p == others.weights(0));
}
