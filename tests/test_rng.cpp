#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include <nn/rng.hpp>

TEST_CASE("Rng gives the specified xoshiro256** sequence on every platform") {
    // Reference values from an independent implementation of splitmix64 seeding + xoshiro256**.
    nn::Rng rng(42);
    CHECK(rng() == 0x15780b2e0c2ec716ULL);
    CHECK(rng() == 0x6104d9866d113a7eULL);
    CHECK(rng() == 0xae17533239e499a1ULL);
    CHECK(rng() == 0xecb8ad4703b360a1ULL);

    nn::Rng again(42);
    CHECK(again.uniform(-1.0, 1.0) == -0.8322740578802357);
}

TEST_CASE("the same seed gives the same numbers, another seed others") {
    nn::Rng a(7), b(7), c(8);
    std::vector<std::uint64_t> xa, xb, xc;
    for (int i = 0; i < 100; ++i) {
        xa.push_back(a());
        xb.push_back(b());
        xc.push_back(c());
    }
    CHECK(xa == xb);
    CHECK(xa != xc);
}

TEST_CASE_TEMPLATE("uniform stays in range and fills it", T, float, double) {
    nn::Rng rng(1);
    T lo = T(10), hi = T(-10);
    double sum = 0;
    const int n = 100000;
    for (int i = 0; i < n; ++i) {
        const T x = rng.uniform(T(-2), T(3));
        REQUIRE(x >= T(-2));
        REQUIRE(x <= T(3));
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
        sum += static_cast<double>(x);
    }
    CHECK(lo < T(-1.99));
    CHECK(hi > T(2.99));
    CHECK(sum / n == doctest::Approx(0.5).epsilon(0.02));
}

TEST_CASE("below(n) is uniform on 0..n-1") {
    nn::Rng rng(3);
    const std::uint64_t n = 7;
    std::vector<int> counts(n);
    const int draws = 70000;
    for (int i = 0; i < draws; ++i) {
        const std::uint64_t k = rng.below(n);
        REQUIRE(k < n);
        ++counts[k];
    }
    // Each count is binomial(70000, 1/7): mean 10000, sd ~93. 5 sd either side.
    for (int c : counts) CHECK(std::abs(c - 10000) < 465);
    CHECK(rng.below(1) == 0);
    CHECK_THROWS_AS(rng.below(0), nn::AssertionError);
}
