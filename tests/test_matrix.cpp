#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include <nn/matrix.hpp>

TEST_CASE_TEMPLATE("Matrix is zero-filled, row-major and contiguous", T, float, double) {
    nn::Matrix<T> m(2, 3);
    CHECK(m.rows() == 2);
    CHECK(m.cols() == 3);
    CHECK(m.size() == 6);
    for (T x : m) CHECK(x == T(0));
    m(1, 2) = T(5);
    m(0, 1) = T(7);
    CHECK(m.data()[1 * 3 + 2] == T(5));
    CHECK(m.data()[0 * 3 + 1] == T(7));
    const nn::Matrix<T>& c = m;
    CHECK(c(1, 2) == T(5));
}

TEST_CASE_TEMPLATE("Matrix storage is aligned to NN_ALIGNMENT", T, float, double) {
    for (std::size_t n : {1u, 3u, 17u, 1000u}) {
        nn::Matrix<T> m(n, 1);
        CHECK(reinterpret_cast<std::uintptr_t>(m.data()) % NN_ALIGNMENT == 0);
    }
}

TEST_CASE_TEMPLATE("Matrix from nested braces", T, float, double) {
    const nn::Matrix<T> m{{1, 2, 3}, {4, 5, 6}};
    CHECK(m.rows() == 2);
    CHECK(m.cols() == 3);
    CHECK(m(0, 2) == T(3));
    CHECK(m(1, 0) == T(4));
    CHECK_THROWS_WITH_AS((nn::Matrix<T>{{1, 2}, {3}}), "row 1 of the initializer has 1 values, row 0 has 2", nn::Error);
}

TEST_CASE_TEMPLATE("row and rows are views into the same storage", T, float, double) {
    nn::Matrix<T> m{{1, 2}, {3, 4}, {5, 6}};
    nn::MatrixView<T> r = m.row(1);
    CHECK(r.rows() == 1);
    CHECK(r.cols() == 2);
    CHECK(r.data() == m.data() + 2);
    r(0, 1) = T(40);
    CHECK(m(1, 1) == T(40));

    nn::MatrixView<const T> tail = std::as_const(m).rows(1, 2);
    CHECK(tail.rows() == 2);
    CHECK(tail(1, 0) == T(5));
    CHECK(m.rows(3, 0).empty());
    CHECK(tail.rows(1, 1)(0, 1) == T(6));

    CHECK_THROWS_WITH_AS(m.row(3), "rows(3, 1) is out of range: the matrix has 3 rows", nn::Error);
    CHECK_THROWS_WITH_AS(m.rows(2, 2), "rows(2, 2) is out of range: the matrix has 3 rows", nn::Error);
    CHECK_THROWS_AS(m.rows(std::numeric_limits<std::size_t>::max(), 2), nn::Error);

    const nn::Matrix<T> copy(tail);
    CHECK(copy == (nn::Matrix<T>{{3, 40}, {5, 6}}));
}

TEST_CASE_TEMPLATE("0-sized matrices, resize and fill", T, float, double) {
    nn::Matrix<T> m(0, 4);
    CHECK(m.empty());
    CHECK(m.cols() == 4);
    m.resize(2, 2);
    CHECK(m.size() == 4);
    m.fill(T(3));
    CHECK(m == (nn::Matrix<T>{{3, 3}, {3, 3}}));
    m.resize(2, 2);
    CHECK(m == nn::Matrix<T>(2, 2));
    CHECK(nn::Matrix<T>() == nn::Matrix<T>(0, 0));
    CHECK_FALSE(nn::Matrix<T>(1, 2) == nn::Matrix<T>(2, 1));
}

TEST_CASE("a matrix too large to address throws nn::Error") {
    const std::size_t big = std::numeric_limits<std::size_t>::max() / 2;
    CHECK_THROWS_AS(nn::Matrix<float>(big, 3), nn::Error);
}

TEST_CASE("an allocation that fails throws nn::Error with the bytes asked and what for, and changes nothing") {
    // 2^46 floats, 256 TiB: more than x86-64's and AArch64's 128 TiB of user address space, so no
    // setting of overcommit lets it succeed.
    const std::size_t side = std::size_t(1) << 23;
    nn::Matrix<float> m{{1, 2}, {3, 4}};
    const nn::Matrix<float> before = m;
    try {
        m.resize(side, side);
        FAIL("a matrix of 256 TiB was allocated");
    } catch (const nn::Error& e) {
        const std::string what = e.what();
        CAPTURE(what);
        CHECK(what.find("cannot allocate 281474976710656 bytes") != std::string::npos);
        CHECK(what.find("for a 8388608 x 8388608 matrix of float") != std::string::npos);
    }
    CHECK(m == before);
    CHECK_THROWS_AS(nn::Matrix<double>(side, side), nn::Error);
}

TEST_CASE("an index out of range fails NN_ASSERT") {
    nn::Matrix<float> m(2, 2);
    CHECK_THROWS_AS(m(2, 0), nn::AssertionError);
    CHECK_THROWS_AS(m(0, 2), nn::AssertionError);
}

TEST_CASE("resize_for_overwrite keeps the storage when it is large enough") {
    nn::Matrix<float> m(10, 10);
    const float* storage = m.data();
    m.resize_for_overwrite(5, 7);
    CHECK(m.rows() == 5);
    CHECK(m.cols() == 7);
    CHECK(m.data() == storage);
    m.resize_for_overwrite(10, 10);
    CHECK(m.data() == storage);
    m.resize_for_overwrite(11, 10);
    CHECK(m.size() == 110);
}
