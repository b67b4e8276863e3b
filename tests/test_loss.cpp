// The losses: names, the outputs and targets each takes, their value at hand-computed points,
// and FANN's mean squared error (metrics.hpp). (Their derivatives are checked in test_gradient.cpp.)
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include <nn/loss.hpp>
#include <nn/matrix.hpp>
#include <nn/metrics.hpp>

TEST_CASE("names, validity and the output each loss needs") {
    CHECK(std::string(nn::name(nn::Loss::MSE)) == "mse");
    CHECK(std::string(nn::name(nn::Loss::CrossEntropy)) == "cross_entropy");
    CHECK(std::string(nn::name(nn::Loss::BinaryCrossEntropy)) == "binary_cross_entropy");
    CHECK(std::string(nn::name(static_cast<nn::Loss>(5))) == "unknown");
    CHECK_FALSE(nn::is_valid(static_cast<nn::Loss>(5)));
    CHECK(nn::required_output(nn::Loss::CrossEntropy) == nn::Activation::Softmax);
    CHECK(nn::required_output(nn::Loss::BinaryCrossEntropy) == nn::Activation::Sigmoid);
}

TEST_CASE_TEMPLATE("mean_squared_error divides by samples x outputs, as FANN does", T, float, double) {
    const nn::Matrix<T> a{{1, 2}, {0, 0}}, y{{0, 4}, {0, 1}};
    CHECK(nn::mean_squared_error(a, y) == 1.5); // (1 + 4 + 0 + 1) / (2 x 2)
    CHECK_THROWS_WITH_AS(nn::mean_squared_error(a, nn::Matrix<T>(2, 1)),
                         "mean_squared_error: the outputs are 2 x 2, the targets 2 x 1", nn::Error);
}

TEST_CASE("loss_sum: each loss at a hand-computed point") {
    // One sample, z = (0, ln 3): softmax a = (1/4, 3/4); targets (0, 1).
    const nn::Matrix<double> Z{{0, std::log(3.0)}}, A{{0.25, 0.75}}, Y{{0, 1}};
    CHECK(nn::detail::loss_sum<double>(nn::Loss::MSE, Z, A, Y) == doctest::Approx(0.0625 + 0.0625));
    CHECK(nn::detail::loss_sum<double>(nn::Loss::CrossEntropy, Z, A, Y) == doctest::Approx(-std::log(0.75)));
    // Binary cross-entropy from the pre-activation: softplus(z) - y z, finite where log(a) is not.
    const nn::Matrix<double> z{{-800}}, a{{0}}, y{{1}};
    CHECK(nn::detail::loss_sum<double>(nn::Loss::BinaryCrossEntropy, z, a, y) == doctest::Approx(800));
}

TEST_CASE("the cross-entropies take targets in [0, 1] only, named as the caller calls them") {
    const nn::Matrix<float> Y{{0, 1}, {0.5f, 1.5f}};
    CHECK_NOTHROW(nn::detail::check_targets<float>(nn::Loss::MSE, Y, "Y"));
    CHECK_THROWS_WITH_AS(nn::detail::check_targets<float>(nn::Loss::CrossEntropy, Y, "Y_val"),
                         "Y_val(1, 1) is 1.5; the cross_entropy loss needs targets in [0, 1]", nn::Error);
}
