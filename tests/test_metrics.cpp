// accuracy: argmax for several outputs, the 0.5 threshold for one.
#include <doctest/doctest.h>

#include <span>
#include <vector>

#include <nn/metrics.hpp>

TEST_CASE_TEMPLATE("accuracy", T, float, double) {
    const nn::Matrix<T> out{{T(0.1), T(0.7), T(0.2)}, {T(0.5), T(0.4), T(0.1)}}, onehot{{0, 1, 0}, {0, 0, 1}};
    CHECK(nn::accuracy(out, onehot) == 0.5);
    const nn::Matrix<T> single{{T(0.9)}, {T(0.2)}, {T(0.6)}}, labels{{1}, {0}, {0}};
    CHECK(nn::accuracy(single, labels) == doctest::Approx(2.0 / 3));
    const nn::Matrix<T> a{{1, 2}};
    CHECK_THROWS_WITH_AS(nn::accuracy(a, single), "accuracy: the outputs are 1 x 2, the targets 3 x 1", nn::Error);
    CHECK_THROWS_WITH_AS(nn::accuracy(nn::Matrix<T>(0, 2), nn::Matrix<T>(0, 2)), "accuracy: there are no samples",
                         nn::Error);
}

TEST_CASE_TEMPLATE("argmax: the first of the largest values", T, float, double) {
    CHECK(nn::argmax(std::vector<T>{3}) == 0);
    CHECK(nn::argmax(std::vector<T>{1, 5, 2}) == 1);
    CHECK(nn::argmax(std::vector<T>{-2, -1, -1}) == 1); // ties: the first
    CHECK(nn::argmax(std::vector<T>{T(-0.0), T(0.0)}) == 0);
    const T row[] = {0, 0, 7};
    CHECK(nn::argmax(std::span<const T>(row)) == 2);
    CHECK_THROWS_WITH_AS(nn::argmax(std::vector<T>{}), "argmax was given no values; at least one is needed", nn::Error);
}
