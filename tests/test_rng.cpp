#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "helpers.hpp"
#include <nn/network.hpp>
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

// The default starting network of NN({3, 4, 2}, ReLU, Sigmoid), bit for bit. The reference is
// computed independently by tests/init_reference.py (exact rationals: splitmix64, xoshiro256**, uniform = high - low
// times the draw plus low, rounded once). This file is also built with -march=native and -ffp-contract=fast, and by
// Clang: a compiler that contracted or split that multiply-add would draw other bits there.
TEST_CASE("the default starting network has the same bits with every compiler and flag") {
    const std::vector<float> f{0x1.2549f80000000p-2f,
                               0x1.66d0ae0000000p-1f,
                               -0x1.1f71ba0000000p+0f,
                               -0x1.e32b020000000p-3f,
                               0x1.516a540000000p-1f,
                               0x1.69db440000000p+0f,
                               -0x1.c2996c0000000p-3f,
                               0x1.9d11e00000000p-4f,
                               0x1.016c020000000p+0f,
                               0x1.2f491c0000000p+0f,
                               -0x1.17474a0000000p+0f,
                               -0x1.395b8c0000000p+0f,
                               0x0.0p+0f,
                               0x0.0p+0f,
                               0x0.0p+0f,
                               0x0.0p+0f,
                               -0x1.92c3e40000000p-1f,
                               0x1.3d19280000000p-2f,
                               -0x1.0256000000000p-7f,
                               -0x1.a10b480000000p-2f,
                               0x1.a2af500000000p-2f,
                               -0x1.3ec9040000000p-1f,
                               0x1.97cee00000000p-4f,
                               -0x1.c4d0840000000p-1f,
                               0x0.0p+0f,
                               0x0.0p+0f};
    const std::vector<double> d{0x1.2549fa3dc7afap-2,
                                0x1.66d0b1d7939e6p-1,
                                -0x1.1f71b92ac0476p+0,
                                -0x1.e32aec8ab6eccp-3,
                                0x1.516a5633e93e4p-1,
                                0x1.69db44ead1292p+0,
                                -0x1.c29957211dd52p-3,
                                0x1.9d11f1ab8e368p-4,
                                0x1.016c029dab0acp+0,
                                0x1.2f491ce80a448p+0,
                                -0x1.174749a5c2136p+0,
                                -0x1.395b8a8d76b2ep+0,
                                0x0.0p+0,
                                0x0.0p+0,
                                0x0.0p+0,
                                0x0.0p+0,
                                -0x1.92c3e1695309ep-1,
                                0x1.3d192bfb4c36cp-2,
                                -0x1.02556a9fa2080p-7,
                                -0x1.a10b41fac38acp-2,
                                0x1.a2af5621a8c30p-2,
                                -0x1.3ec9024fe6340p-1,
                                0x1.97ceeecb314f0p-4,
                                -0x1.c4d082000ca38p-1,
                                0x0.0p+0,
                                0x0.0p+0};
    CHECK(test::parameters(nn::NN<float>({3, 4, 2}, nn::Activation::ReLU, nn::Activation::Sigmoid)) == f);
    CHECK(test::parameters(nn::NN<double>({3, 4, 2}, nn::Activation::ReLU, nn::Activation::Sigmoid)) == d);
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
