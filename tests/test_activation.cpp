#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include <nn/activation.hpp>

namespace {
// The element-wise activations (Softmax acts on rows: see test_kernels.cpp).
constexpr nn::Activation all[] = {nn::Activation::Sigmoid, nn::Activation::Tanh, nn::Activation::ReLU,
                                  nn::Activation::LeakyReLU, nn::Activation::Linear};
} // namespace

TEST_CASE_TEMPLATE("activations on hand-computed values", T, float, double) {
    using nn::Activation;
    CHECK(nn::activate(Activation::Sigmoid, T(0)) == T(0.5));
    CHECK(nn::activate(Activation::Sigmoid, T(2)) == doctest::Approx(0.8807970779778823));
    CHECK(nn::activate(Activation::Sigmoid, T(-2)) == doctest::Approx(0.11920292202211755));
    CHECK(nn::activate(Activation::Tanh, T(0.5)) == doctest::Approx(0.46211715726000974));
    CHECK(nn::activate(Activation::ReLU, T(-3)) == T(0));
    CHECK(nn::activate(Activation::ReLU, T(3)) == T(3));
    CHECK(nn::activate(Activation::Linear, T(-3)) == T(-3));
    CHECK(nn::activate(Activation::LeakyReLU, T(-3)) == T(-0.03));
    CHECK(nn::activate(Activation::LeakyReLU, T(3)) == T(3));
}

TEST_CASE_TEMPLATE("sigmoid and tanh are finite and exact at +-1000", T, float, double) {
    using nn::Activation;
    CHECK(nn::activate(Activation::Sigmoid, T(1000)) == T(1));
    CHECK(nn::activate(Activation::Sigmoid, T(-1000)) == T(0));
    CHECK(nn::activate(Activation::Tanh, T(1000)) == T(1));
    CHECK(nn::activate(Activation::Tanh, T(-1000)) == T(-1));
    // Deep in the left tail the value is tiny but not lost: e^-80 ~ 1.8e-35 is a normal float.
    CHECK(nn::activate(Activation::Sigmoid, T(-80)) > T(0));
    for (auto act : all)
        for (T z : {T(-1000), T(-50), T(50), T(1000)}) {
            CHECK(std::isfinite(nn::activate(act, z)));
            CHECK(std::isfinite(nn::derivative_from_output(act, nn::activate(act, z))));
        }
}

TEST_CASE("each derivative, taken from the output, equals the central difference of the function") {
    for (auto act : all) {
        CAPTURE(nn::name(act));
        for (double z : {-3.0, -0.7, -0.1, 0.2, 0.9, 2.5}) {
            const double h = 1e-6;
            const double numeric = (nn::activate(act, z + h) - nn::activate(act, z - h)) / (2 * h);
            const double exact = nn::derivative_from_output(act, nn::activate(act, z));
            CHECK(exact == doctest::Approx(numeric).epsilon(1e-8));
        }
    }
}

TEST_CASE("names and validity") {
    CHECK(std::string(nn::name(nn::Activation::Sigmoid)) == "sigmoid");
    CHECK(std::string(nn::name(nn::Activation::Tanh)) == "tanh");
    CHECK(std::string(nn::name(nn::Activation::ReLU)) == "relu");
    CHECK(std::string(nn::name(nn::Activation::Linear)) == "linear");
    CHECK(std::string(nn::name(nn::Activation::LeakyReLU)) == "leaky_relu");
    CHECK(std::string(nn::name(nn::Activation::Softmax)) == "softmax");
    CHECK(nn::is_valid(nn::Activation::Softmax));
    CHECK_FALSE(nn::is_elementwise(nn::Activation::Softmax));
    for (auto act : all) CHECK(nn::is_valid(act));
    CHECK_FALSE(nn::is_valid(static_cast<nn::Activation>(42)));
}

template <class T>
T exp_of(T x) {
    nn::detail::exp_lanes<T, T, nn::detail::SameSizeInt<T>>(x);
    return x;
}

TEST_CASE_TEMPLATE("the library's exp is within 1 ulp of std::exp, including underflow and overflow", T, float,
                   double) {
    const T lo = sizeof(T) == 4 ? T(-110) : T(-750), hi = sizeof(T) == 4 ? T(90) : T(712);
    double worst = 0;
    for (T x = lo; x < hi; x += T(0.0371)) {
        const T ours = exp_of(x), ref = std::exp(x);
        if (std::isinf(ref)) {
            REQUIRE(std::isinf(ours));
            continue;
        }
        const T ulp = std::nextafter(ref, std::numeric_limits<T>::infinity()) - ref;
        worst = std::max(worst, double(std::abs(ours - ref) / ulp));
    }
    CHECK(worst <= 1.0);
    CHECK(exp_of(T(0)) == T(1));
    CHECK(exp_of(T(-1000)) == T(0));
    CHECK(std::isinf(exp_of(T(1000))));
}

TEST_CASE_TEMPLATE("sigmoid is within 3 ulps everywhere", T, float, double) {
    double worst = 0;
    for (double z = -120; z < 120; z += 0.00731) {
        const T x = T(z);
        const long double exact = 1 / (1 + std::exp(-(long double)x));
        const T rounded = T(exact);
        if (rounded == T(0)) continue;
        const T ulp = std::nextafter(rounded, T(2)) - rounded;
        worst = std::max(worst, double(std::abs((long double)nn::activate(nn::Activation::Sigmoid, x) - exact) / ulp));
    }
    CHECK(worst <= 3.0);
}

TEST_CASE_TEMPLATE("tanh is within 3 ulps everywhere, odd, and exact at 0, -0 and the special values", T, float,
                   double) {
    double worst = 0;
    for (double z = -25; z < 25; z += 0.000913) {
        for (const double scale : {1.0, 1e-3, 1e-6}) {
            const T x = T(z * scale);
            const long double exact = std::tanh((long double)x);
            const T rounded = T(exact);
            if (rounded == T(0)) continue;
            const T ulp = std::nextafter(std::abs(rounded), T(2)) - std::abs(rounded);
            const T ours = nn::activate(nn::Activation::Tanh, x);
            worst = std::max(worst, double(std::abs((long double)ours - exact) / ulp));
            REQUIRE(ours == -nn::activate(nn::Activation::Tanh, -x));
        }
    }
    // m = e^(-2|z|) - 1 carries about 1.5 ulps (polynomial, scaling and the sum 2^n q + (2^n - 1)),
    // -m / (2 + m) adds one rounding for the sum and one for the quotient.
    CHECK(worst <= 3.0);
    const T inf = std::numeric_limits<T>::infinity(), tiny = std::numeric_limits<T>::denorm_min();
    CHECK(nn::activate(nn::Activation::Tanh, T(0)) == T(0));
    CHECK_FALSE(std::signbit(nn::activate(nn::Activation::Tanh, T(0))));
    CHECK(std::signbit(nn::activate(nn::Activation::Tanh, -T(0))));
    CHECK(nn::activate(nn::Activation::Tanh, tiny) == tiny);
    CHECK(nn::activate(nn::Activation::Tanh, inf) == T(1));
    CHECK(nn::activate(nn::Activation::Tanh, -inf) == T(-1));
    CHECK(std::isnan(nn::activate(nn::Activation::Tanh, std::numeric_limits<T>::quiet_NaN())));
}
