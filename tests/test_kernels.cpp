// The kernels in nn/detail/kernels.hpp, every copy this CPU can run (printed), against their
// naive references, on shapes that are empty, thin, prime or not a multiple of any vector width.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "helpers.hpp"
#include <nn/detail/kernels.hpp>

namespace {

enum class Form { AB, AtB, ABt };

inline bool& printed_copies() {
    static bool printed = false;
    return printed;
}

// f(k) for each copy of the kernels this CPU can run and this program has (see
// nn/detail/simd.hpp): k an object of that copy's Kernels<T>, the copy's name in the messages of
// the checks that fail in f. The first call prints which run.
template <class T, class F>
void for_each_copy(const F& f) {
    using nn::detail::Isa;
    const Isa cpu = nn::detail::detect_isa();
    static bool& printed = printed_copies();
    const auto run = [&](auto k, const char* name) {
        INFO("kernel copy: " << std::string(name)); // a const char* alone would print as its address
        f(k);
    };
    std::string ran = "baseline";
    run(nn::detail::baseline::Kernels<T>{}, "baseline");
#if NN_DETAIL_AVX2
    if (cpu >= Isa::Avx2) run(nn::detail::avx2::Kernels<T>{}, "avx2"), ran += ", avx2";
#endif
#if NN_DETAIL_AVX512
    if (cpu >= Isa::Avx512) run(nn::detail::avx512::Kernels<T>{}, "avx512"), ran += ", avx512";
#endif
    if (!printed) {
        printed = true;
        std::printf("kernel tests: the copies of the kernels run here: %s (the baseline with %d-byte vectors); the CPU "
                    "has %s\n",
                    ran.c_str(), NN_DETAIL_BASELINE_BYTES,
                    cpu == Isa::Avx512 ? "AVX-512"
                    : cpu == Isa::Avx2 ? "AVX2"
                                       : "neither AVX2 nor AVX-512");
    }
}

template <class T>
using Naive = nn::detail::naive::Kernels<T>;

struct Shape {
    std::size_t m, k, n;
};

// clang-format off
const std::vector<Shape> shapes = {
    {0, 0, 0}, {0, 3, 2}, {3, 0, 2}, {3, 2, 0}, {1, 1, 1}, {1, 7, 1}, {7, 1, 5}, {1, 17, 33},
    {33, 17, 1}, {2, 3, 5}, {5, 8, 9}, {8, 8, 8}, {13, 31, 7}, {16, 16, 16}, {17, 9, 33}, {31, 64, 29},
    {64, 65, 63},
    // A tiny network's, which run with k and n as constants (XOR's 2-2-1 on 4 samples, iris's 4-4-3):
    {4, 2, 2}, {4, 2, 1}, {2, 4, 1}, {2, 4, 2}, {4, 1, 2}, {3, 3, 3}, {5, 4, 3}, {1, 2, 3}, {6, 1, 1}, {1, 4, 3},
    // Across the blocked GEMM's tiles and blocks (MR up to 12, NR up to 32, KC 384, MC 96, NC 3072):
    {4, 4, 4}, {12, 1000, 32}, {97, 385, 33}, {13, 770, 17}, {5, 3, 3100}, {193, 50, 65},
    // Thin products, narrower than one tile:
    {200, 50, 6}, {64, 300, 16}, {1000, 10, 4}, {33, 129, 9}, {49, 100, 8}, {1024, 20, 6},
    // Long sums into a thin C, which the GEMM computes as C^T (with 16-, 32- and 64-byte vectors):
    {7, 150, 4}, {20, 1024, 6}, {128, 128, 10},
    // Strides of 1024 elements, where the GEMM packs A instead of reading it in place:
    {30, 1024, 70}, {1024, 50, 70},
    // C narrower than 4 columns, large enough for the GEMM (a network with one output):
    {500, 40, 1}, {300, 64, 3}, {64, 700, 2},
};
// clang-format on

// Error bound for a sum of k products computed in any order: |fast - naive| <= 2 k u sum |a||b|.
template <class T, class K>
void check_form(K k, Form form, const Shape& s, nn::Rng& rng) {
    using test::random_matrix;
    const auto A = form == Form::AtB ? random_matrix<T>(rng, s.k, s.m) : random_matrix<T>(rng, s.m, s.k);
    const auto B = form == Form::ABt ? random_matrix<T>(rng, s.n, s.k) : random_matrix<T>(rng, s.k, s.n);
    nn::Matrix<T> fast(s.m, s.n, T(99)), slow(s.m, s.n, T(-99)); // garbage in C must be overwritten
    switch (form) {
    case Form::AB: {
        k.matmul(A, B, fast);
        Naive<T>::matmul(A, B, slow);
        // With a bias row: each element's bias added to the same sum, whichever loop computes it.
        const auto b = random_matrix<T>(rng, 1, s.n);
        nn::Matrix<T> biased(s.m, s.n, T(99));
        k.matmul(A, B, biased, b);
        for (std::size_t i = 0; i < s.m; ++i)
            for (std::size_t j = 0; j < s.n; ++j) REQUIRE(biased(i, j) == T(fast(i, j) + b(0, j)));
        break;
    }
    case Form::AtB:
        k.matmul_at_b(A, B, fast);
        Naive<T>::matmul_at_b(A, B, slow);
        break;
    case Form::ABt:
        k.matmul_a_bt(A, B, fast);
        Naive<T>::matmul_a_bt(A, B, slow);
        break;
    }
    const double u = std::numeric_limits<T>::epsilon();
    for (std::size_t i = 0; i < s.m; ++i)
        for (std::size_t j = 0; j < s.n; ++j) {
            double magnitude = 0, exact = 0;
            for (std::size_t p = 0; p < s.k; ++p) {
                const double a = form == Form::AtB ? A(p, i) : A(i, p);
                const double b = form == Form::ABt ? B(j, p) : B(p, j);
                magnitude += std::abs(a * b);
                exact += a * b;
            }
            const double bound = 2.0 * static_cast<double>(s.k) * u * magnitude;
            REQUIRE(std::abs(fast(i, j) - slow(i, j)) <= bound);
            REQUIRE(std::abs(static_cast<double>(fast(i, j)) - exact) <= bound);
        }
}

} // namespace

TEST_CASE_TEMPLATE("every matrix-product form matches the naive reference, in every copy of the kernels", T, float,
                   double) {
    nn::Rng rng(2026);
    for_each_copy<T>([&](auto k) {
        for (Form form : {Form::AB, Form::AtB, Form::ABt})
            for (const Shape& s : shapes) {
                CAPTURE(static_cast<int>(form));
                CAPTURE(s.m);
                CAPTURE(s.k);
                CAPTURE(s.n);
                check_form<T>(k, form, s, rng);
            }
    });
}

TEST_CASE_TEMPLATE("random shapes against the naive reference", T, float, double) {
    const std::uint64_t seed = 99;
    INFO("seed " << seed);
    nn::Rng rng(seed);
    for (int trial = 0; trial < 60; ++trial) {
        const Shape s{rng.below(40), rng.below(40), rng.below(40)};
        const Form form = static_cast<Form>(rng.below(3));
        CAPTURE(trial);
        nn::detail::with_kernels<T>([&](auto k) { check_form<T>(k, form, s, rng); });
    }
}

TEST_CASE("matrix products assert on mismatched shapes") {
    nn::Matrix<float> A(2, 3), B(4, 5), C(2, 5);
    for_each_copy<float>([&](auto k) {
        CHECK_THROWS_AS(k.matmul(A, B, C), nn::AssertionError);
        CHECK_THROWS_AS(k.matmul_at_b(A, B, C), nn::AssertionError);
        CHECK_THROWS_AS(k.matmul_a_bt(A, B, C), nn::AssertionError);
    });
    CHECK_THROWS_AS(Naive<float>::matmul(A, B, C), nn::AssertionError);
}

TEST_CASE_TEMPLATE("the element-wise kernels on hand-computed values", T, float, double) {
    using nn::Activation;
    SUBCASE("matmul with a bias, then activate") {
        const nn::Matrix<T> X{{1, 0}, {0, 1}}, W{{1, -2}, {0, 3}}, b{{0.5, 1}};
        nn::Matrix<T> Z(2, 2);
        nn::detail::with_kernels<T>([&](auto k) {
            k.matmul(X, W, Z, b);
            k.activate(Z, Activation::ReLU);
        });
        CHECK(Z == (nn::Matrix<T>{{1.5, 0}, {0.5, 4}}));
    }
    SUBCASE("output_delta, MSE: (2/n)(a - y) act'(a)") {
        const nn::Matrix<T> A{{0.5, 0.25}}, Y{{1, 0}};
        nn::Matrix<T> D(1, 2);
        nn::detail::output_delta<T>(nn::Loss::MSE, Activation::Sigmoid, A, Y, D);
        CHECK(D(0, 0) == T(2 * (0.5 - 1) * 0.5 * 0.5));
        CHECK(D(0, 1) == T(2 * 0.25 * 0.25 * 0.75));
    }
    SUBCASE("output_delta, MSE through softmax: a_j (g_j - sum_k a_k g_k)") {
        const nn::Matrix<T> A{{0.5, 0.5}, {0.25, 0.75}}, Y{{1, 0}, {0, 1}};
        nn::Matrix<T> D(2, 2);
        nn::detail::output_delta<T>(nn::Loss::MSE, Activation::Softmax, A, Y, D);
        // row 0: g = (2/2)(a - y) = (-0.5, 0.5), sum a g = 0      -> (-0.25, 0.25)
        // row 1: g = (0.25, -0.25), sum a g = -0.125             -> (0.09375, -0.09375)
        CHECK(D == (nn::Matrix<T>{{-0.25, 0.25}, {0.09375, -0.09375}}));
    }
    SUBCASE("output_delta, cross-entropies: (a - y) / n") {
        const nn::Matrix<T> A{{0.25, 0.75}}, Y{{0, 1}};
        nn::Matrix<T> D(1, 2);
        nn::detail::output_delta<T>(nn::Loss::CrossEntropy, Activation::Softmax, A, Y, D);
        CHECK(D == (nn::Matrix<T>{{0.25, -0.25}}));
        nn::detail::output_delta<T>(nn::Loss::BinaryCrossEntropy, Activation::Sigmoid, A, Y, D);
        CHECK(D == (nn::Matrix<T>{{0.25, -0.25}}));
    }
    SUBCASE("activate_rows: softmax is exact and cannot overflow") {
        const nn::Matrix<T> Z{{0, T(std::log(3.0))}, {1000, 1000}, {-1000, 0}};
        nn::Matrix<T> A(3, 2);
        nn::detail::with_kernels<T>([&](auto k) { k.activate_rows(Z, Activation::Softmax, A); });
        CHECK(A(0, 0) == doctest::Approx(0.25).epsilon(1e-6));
        CHECK(A(0, 1) == doctest::Approx(0.75).epsilon(1e-6));
        CHECK(A(1, 0) == T(0.5));
        CHECK(A(2, 0) == T(0));
        CHECK(A(2, 1) == T(1));
    }
    SUBCASE("loss_sum: squared error, and cross-entropies from the pre-activation") {
        const nn::Matrix<T> A{{1, 2}, {3, 4}}, Y{{0, 2}, {5, 4}};
        CHECK(nn::detail::loss_sum<T>(nn::Loss::MSE, A, A, Y) == 5.0);
        const nn::Matrix<T> Z{{0, T(std::log(3.0))}}, S{{0.25, 0.75}}, onehot{{0, 1}};
        CHECK(nn::detail::loss_sum<T>(nn::Loss::CrossEntropy, Z, S, onehot) ==
              doctest::Approx(-std::log(0.75)).epsilon(1e-7));
        // sigmoid(0) = 1/2 against y = 1: -log(1/2); far out, softplus keeps full precision
        const nn::Matrix<T> z0{{0}}, a0{{0.5}}, y1{{1}};
        CHECK(nn::detail::loss_sum<T>(nn::Loss::BinaryCrossEntropy, z0, a0, y1) ==
              doctest::Approx(std::log(2.0)).epsilon(1e-12));
        const nn::Matrix<T> zfar{{-200}}, afar{{0}};
        CHECK(nn::detail::loss_sum<T>(nn::Loss::BinaryCrossEntropy, zfar, afar, y1) == doctest::Approx(200.0));
        for_each_copy<T>([&](auto k) { // each copy of the kernels, through which nn::NN computes it
            CHECK(k.loss_sum(nn::Loss::MSE, A, A, Y) == 5.0);
            CHECK(k.loss_sum(nn::Loss::CrossEntropy, Z, S, onehot) == doctest::Approx(-std::log(0.75)).epsilon(1e-7));
            CHECK(k.loss_sum(nn::Loss::BinaryCrossEntropy, zfar, afar, y1) == doctest::Approx(200.0));
        });
    }
    SUBCASE("mul_derivative") {
        nn::Matrix<T> D{{2, 2}};
        const nn::Matrix<T> A{{0.5, -0.5}};
        nn::detail::with_kernels<T>([&](auto k) { k.mul_derivative(D, A, Activation::Tanh); });
        CHECK(D == (nn::Matrix<T>{{1.5, 1.5}}));
    }
    SUBCASE("column_sums") {
        const nn::Matrix<T> D{{1, 2, 3}, {4, 5, 6}};
        nn::Matrix<T> g(1, 3, T(7));
        nn::detail::with_kernels<T>([&](auto k) { k.column_sums(D, g); });
        CHECK(g == (nn::Matrix<T>{{5, 7, 9}}));
    }
    SUBCASE("axpy_step") {
        nn::Matrix<T> P{{1, 2}};
        const nn::Matrix<T> G{{4, -8}};
        nn::detail::with_kernels<T>([&](auto k) { k.axpy_step(P, G, T(0.25)); });
        CHECK(P == (nn::Matrix<T>{{0, 4}}));
    }
}

TEST_CASE_TEMPLATE("column_sums matches the naive reference on every width", T, float, double) {
    nn::Rng rng(7);
    const double u = std::numeric_limits<T>::epsilon();
    for_each_copy<T>([&](auto k) {
        for (std::size_t rows : {0u, 1u, 3u, 4u, 5u, 130u, 1024u})
            for (std::size_t cols : {1u, 2u, 6u, 7u, 8u, 9u, 15u, 16u, 17u, 20u, 31u, 33u, 64u, 70u}) {
                const auto D = test::random_matrix<T>(rng, rows, cols);
                nn::Matrix<T> fast(1, cols, T(99)), slow(1, cols, T(-99));
                k.column_sums(D, fast);
                Naive<T>::column_sums(D, slow);
                for (std::size_t j = 0; j < cols; ++j) {
                    double magnitude = 0;
                    for (std::size_t i = 0; i < rows; ++i) magnitude += std::abs(static_cast<double>(D(i, j)));
                    CAPTURE(rows);
                    CAPTURE(cols);
                    CAPTURE(j);
                    REQUIRE(std::abs(static_cast<double>(fast(0, j)) - static_cast<double>(slow(0, j))) <=
                            2.0 * static_cast<double>(rows) * u * magnitude);
                }
            }
    });
}

TEST_CASE_TEMPLATE("sgd_step, adam_step and axpy_step match their naive references on every length", T, float, double) {
    nn::Rng rng(11);
    const double u = std::numeric_limits<T>::epsilon();
    // Vectors and the scalar tail may contract a * b + c differently: a few ulps of the largest term.
    const auto close = [u](const nn::Matrix<T>& fast, const nn::Matrix<T>& slow) {
        for (std::size_t i = 0; i < fast.size(); ++i) {
            const double a = fast.data()[i], b = slow.data()[i];
            if (!(std::abs(a - b) <= 8 * u * std::max(1.0, std::abs(b)))) return false;
        }
        return true;
    };
    for_each_copy<T>([&](auto k) {
        for (std::size_t count : {1u, 3u, 4u, 7u, 8u, 15u, 16u, 17u, 33u, 100u, 1000u}) {
            CAPTURE(count);
            const auto G = test::random_matrix<T>(rng, 1, count);
            for (const bool nesterov : {false, true})
                for (const T momentum : {T(0), T(0.9)}) {
                    auto P = test::random_matrix<T>(rng, 1, count), V = test::random_matrix<T>(rng, 1, count);
                    auto P2 = P, V2 = V;
                    for (int step = 0; step < 3; ++step) {
                        k.sgd_step(P, G, V, T(0.1), momentum, nesterov, T(0.01));
                        Naive<T>::sgd_step(P2, G, V2, T(0.1), momentum, nesterov, T(0.01));
                    }
                    REQUIRE(close(P, P2));
                    REQUIRE(close(V, V2));
                }
            auto P = test::random_matrix<T>(rng, 1, count), M = test::random_matrix<T>(rng, 1, count);
            nn::Matrix<T> V(1, count);
            for (T& x : V) x = rng.uniform(T(0), T(1)); // second moments are never negative
            auto P2 = P, M2 = M, V2 = V;
            for (int step = 1; step <= 3; ++step) {
                const T c1 = T(1 - std::pow(0.9, step)), c2 = T(1 - std::pow(0.999, step));
                k.adam_step(P, G, M, V, T(0.01), T(0.9), T(0.999), T(1e-8), T(0.01), c1, c2);
                Naive<T>::adam_step(P2, G, M2, V2, T(0.01), T(0.9), T(0.999), T(1e-8), T(0.01), c1, c2);
            }
            REQUIRE(close(P, P2));
            REQUIRE(close(M, M2));
            REQUIRE(close(V, V2));
            // Plain gradient descent.
            auto Q = test::random_matrix<T>(rng, 1, count), Q2 = Q;
            k.axpy_step(Q, G, T(0.3));
            Naive<T>::axpy_step(Q2, G, T(0.3));
            REQUIRE(close(Q, Q2));
        }
    });
}

TEST_CASE_TEMPLATE("all_finite finds a NaN or an infinity wherever it is", T, float, double) {
    using lim = std::numeric_limits<T>;
    const T extremes[] = {lim::max(), lim::lowest(), lim::denorm_min(), -lim::denorm_min(), T(-0.0), lim::min()};
    const auto all_finite = [](const T* x, std::size_t n) { // the helper, and every copy, and the naive one
        bool copies = true;
        for_each_copy<T>([&](auto k) { copies = copies && k.all_finite(x, n) == Naive<T>::all_finite(x, n); });
        REQUIRE(copies);
        return nn::detail::all_finite(x, n);
    };
    for (std::size_t n : {0u, 1u, 3u, 8u, 9u, 16u, 17u, 64u, 100u}) { // 8 and less: tested inline
        std::vector<T> x(n);
        for (std::size_t i = 0; i < n; ++i) x[i] = extremes[i % std::size(extremes)];
        CHECK(all_finite(x.data(), n));
        for (std::size_t at = 0; at < n; ++at)
            for (T bad : {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(),
                          -std::numeric_limits<T>::infinity()}) {
                x[at] = bad;
                CAPTURE(n);
                CAPTURE(at);
                REQUIRE_FALSE(all_finite(x.data(), n));
                x[at] = extremes[at % std::size(extremes)];
            }
    }
}

namespace {

// Values where activations go wrong: signed zeros, subnormals, the ends of the range, the edges of
// exp's overflow and underflow, infinities and NaN.
template <class T>
std::vector<T> special_values() {
    using L = std::numeric_limits<T>;
    std::vector<T> v = {T(0),        -T(0),         L::denorm_min(), -L::denorm_min(), L::min(), -L::min(), L::max(),
                        L::lowest(), L::infinity(), -L::infinity(),  L::quiet_NaN(),   T(1e-30), T(-1e-30), T(88.7),
                        T(-88.7),    T(89),         T(-89),          T(-103.9),        T(709.7), T(-709.7), T(-745),
                        T(1000),     T(-1000),      T(20),           T(-20),           T(0.25),  T(-0.25)};
    return v;
}

// |fast - naive| within `ulps` of the naive value, or both NaN; for Softmax, relative to the row.
template <class T>
bool near(T fast, T naive, double ulps) {
    if (std::isnan(naive) || std::isnan(fast)) return std::isnan(naive) && std::isnan(fast);
    if (std::isinf(naive) || std::isinf(fast)) return fast == naive;
    const double u = std::numeric_limits<T>::epsilon();
    return std::abs(double(fast) - double(naive)) <=
           ulps * u * std::abs(double(naive)) + 4 * double(std::numeric_limits<T>::denorm_min());
}

} // namespace

TEST_CASE_TEMPLATE("every activation and its derivative, vectorised, matches its naive reference on lengths 1 to "
                   "1000 and on special values, in every copy of the kernels",
                   T, float, double) {
    using nn::Activation;
    const std::uint64_t seed = 5;
    INFO("seed " << seed);
    const auto specials = special_values<T>();
    for_each_copy<T>([&](auto k) {
        nn::Rng rng(seed);
        for (Activation act : {Activation::Sigmoid, Activation::Tanh, Activation::ReLU, Activation::LeakyReLU,
                               Activation::Linear, Activation::Softmax}) {
            CAPTURE(std::string(nn::name(act)));
            // Within the ulps of the scalar tests (test_activation.cpp), against the standard library.
            const double ulps = act == Activation::Softmax                              ? 8
                                : act == Activation::Sigmoid || act == Activation::Tanh ? 4
                                                                                        : 0;
            for (std::size_t length = 1; length <= 1000; ++length) {
                CAPTURE(length);
                nn::Matrix<T> Z(1, length);
                for (T& z : Z) z = rng.uniform(T(-20), T(20));
                if (act != Activation::Softmax) // a row with an infinity or a NaN in it has no softmax
                    for (int special = 0; special < 3; ++special)
                        Z(0, rng.below(length)) = specials[rng.below(specials.size())];
                nn::Matrix<T> fast(1, length, T(99)), slow(1, length, T(-99));
                k.activate_rows(Z, act, fast);
                Naive<T>::activate_rows(Z, act, slow);
                for (std::size_t j = 0; j < length; ++j) {
                    CAPTURE(Z(0, j));
                    REQUIRE(near(fast(0, j), slow(0, j), ulps));
                }
                if (act == Activation::Softmax) continue;
                // The vector lanes and the scalar tail give the same bits: each element alone.
                for (std::size_t j = 0; j < length; j += 1 + length / 16) {
                    nn::Matrix<T> one(1, 1, Z(0, j)), out(1, 1);
                    k.activate_rows(one, act, out);
                    REQUIRE(std::memcmp(&out(0, 0), &fast(0, j), sizeof(T)) == 0);
                }
                // D *= act'(A): within a few ulps of the terms (1 - a^2 may be fused into one rounding).
                const nn::Matrix<T> D0 = test::random_matrix<T>(rng, 1, length);
                nn::Matrix<T> D = D0, D2 = D0;
                k.mul_derivative(D, fast, act);
                Naive<T>::mul_derivative(D2, fast, act);
                for (std::size_t j = 0; j < length; ++j) {
                    const double a = fast(0, j), scale = std::abs(double(D0(0, j))) * (1 + a * a);
                    if (std::isnan(a)) {
                        REQUIRE(std::isnan(D(0, j)) == std::isnan(D2(0, j)));
                        continue;
                    }
                    REQUIRE(std::abs(double(D(0, j)) - double(D2(0, j))) <=
                            4 * std::numeric_limits<T>::epsilon() * scale);
                }
            }
        }
        // Softmax is exact on hand-computed rows and cannot overflow (see also the element-wise test).
        const nn::Matrix<T> Z{{1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}};
        nn::Matrix<T> A(1, 9);
        k.activate_rows(Z, Activation::Softmax, A);
        for (T a : A) CHECK(a == doctest::Approx(1.0 / 9).epsilon(1e-6));
    });
}

TEST_CASE_TEMPLATE("add_bias and activate match their naive references on every width", T, float, double) {
    using nn::Activation;
    nn::Rng rng(13);
    for_each_copy<T>([&](auto k) {
        for (std::size_t rows : {1u, 2u, 5u})
            for (std::size_t cols : {1u, 3u, 7u, 8u, 9u, 16u, 17u, 33u, 70u}) {
                CAPTURE(rows);
                CAPTURE(cols);
                const auto Z = test::random_matrix<T>(rng, rows, cols, T(-4), T(4));
                const auto b = test::random_matrix<T>(rng, 1, cols, T(-4), T(4));
                auto fast = Z, slow = Z;
                k.add_bias(fast, b);
                Naive<T>::add_bias(slow, b);
                REQUIRE(fast == slow); // one addition per element
                for (Activation act : {Activation::Sigmoid, Activation::Tanh, Activation::ReLU, Activation::LeakyReLU,
                                       Activation::Linear}) {
                    CAPTURE(std::string(nn::name(act)));
                    fast = Z, slow = Z;
                    k.activate(fast, act);
                    Naive<T>::activate(slow, act);
                    // nn::activate's arithmetic, lane by lane; a copy with FMA may fuse its a * b + c.
                    const double ulps = act == Activation::Sigmoid || act == Activation::Tanh ? 4 : 0;
                    for (std::size_t i = 0; i < fast.size(); ++i) REQUIRE(near(fast.data()[i], slow.data()[i], ulps));
                }
            }
    });
}
