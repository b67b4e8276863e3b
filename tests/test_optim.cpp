// SGD and Adam against steps computed by hand.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <utility>

#include "helpers.hpp"
#include <nn/optim.hpp>

namespace {

// A {1, 1} network holds two parameters, w and b; a gradient for it is set directly.
template <class T>
nn::NN<T> two_parameters(T w, T b) {
    nn::NN<T> net({1, 1}, nn::Activation::Linear, nn::Activation::Linear);
    net.weights(0)(0, 0) = w;
    net.biases(0)(0, 0) = b;
    return net;
}

template <class T>
nn::Gradient<T> gradient(T dw, T db) {
    nn::Gradient<T> g({1, 1});
    g.weights(0)(0, 0) = dw;
    g.biases(0)(0, 0) = db;
    return g;
}

} // namespace

TEST_CASE_TEMPLATE("SGD: plain, momentum, Nesterov and weight decay, step by step", T, float, double) {
    SUBCASE("plain SGD is learn()") {
        auto net = two_parameters<T>(1, -1), same = net;
        nn::SGD<T> sgd(T(0.25));
        sgd.step(net, gradient<T>(2, 4));
        same.learn(gradient<T>(2, 4), T(0.25));
        CHECK(test::parameters(net) == test::parameters(same));
        CHECK(net.weights(0)(0, 0) == T(0.5));
    }
    SUBCASE("momentum 0.5, rate 0.25: v = 0.5 v + g") {
        auto net = two_parameters<T>(1, 0);
        nn::SGD<T> sgd(T(0.25), T(0.5));
        sgd.step(net, gradient<T>(2, 0)); // v = 2, w = 1 - 0.5 = 0.5
        CHECK(net.weights(0)(0, 0) == T(0.5));
        sgd.step(net, gradient<T>(2, 0)); // v = 3, w = 0.5 - 0.75 = -0.25
        CHECK(net.weights(0)(0, 0) == T(-0.25));
    }
    SUBCASE("Nesterov: the step is g + momentum v") {
        auto net = two_parameters<T>(1, 0);
        nn::SGD<T> sgd(T(0.25), T(0.5), true);
        sgd.step(net, gradient<T>(2, 0)); // v = 2, step = 2 + 1 = 3, w = 1 - 0.75
        CHECK(net.weights(0)(0, 0) == T(0.25));
        sgd.step(net, gradient<T>(2, 0)); // v = 3, step = 2 + 1.5 = 3.5, w = 0.25 - 0.875
        CHECK(net.weights(0)(0, 0) == T(-0.625));
    }
    SUBCASE("weight decay adds weight_decay p to the gradient") {
        auto net = two_parameters<T>(2, 0);
        nn::SGD<T> sgd(T(0.5), T(0), false, T(0.25));
        sgd.step(net, gradient<T>(1, 0)); // g = 1 + 0.5 = 1.5, w = 2 - 0.75
        CHECK(net.weights(0)(0, 0) == T(1.25));
    }
}

TEST_CASE_TEMPLATE("Adam (AdamW): the first two steps by hand", T, float, double) {
    auto net = two_parameters<T>(1, 0);
    nn::Adam<T> adam(T(0.1), T(0.9), T(0.999), T(1e-8), T(0.5));
    adam.step(net, gradient<T>(2, -3));
    // Step 1: decay w = 1 - 0.1 * 0.5 * 1 = 0.95; m = 0.2, v = 0.004; m_hat = 2, v_hat = 4;
    // w = 0.95 - 0.1 * 2 / (2 + 1e-8). The bias: m_hat = -3, v_hat = 9: b = 0 + 0.1 * 3 / (3 + 1e-8).
    double w = 0.95 - 0.1 * 2 / (2 + 1e-8), b = 0.1 * 3 / (3 + 1e-8);
    CHECK(double(net.weights(0)(0, 0)) == doctest::Approx(w).epsilon(1e-6));
    CHECK(double(net.biases(0)(0, 0)) == doctest::Approx(b).epsilon(1e-6));
    adam.step(net, gradient<T>(1, 1));
    // Step 2: decay w -= 0.1 * 0.5 * w; m = 0.9 * 0.2 + 0.1 * 1 = 0.28, v = 0.999 * 0.004 + 0.001 = 0.004996;
    // m_hat = 0.28 / 0.19, v_hat = 0.004996 / 0.001999.
    w -= 0.1 * 0.5 * w;
    w -= 0.1 * (0.28 / 0.19) / (std::sqrt(0.004996 / 0.001999) + 1e-8);
    const double mb = 0.9 * -0.3 + 0.1, vb = 0.999 * 0.009 + 0.001;
    b -= 0.1 * 0.5 * b;
    b -= 0.1 * (mb / 0.19) / (std::sqrt(vb / 0.001999) + 1e-8);
    CHECK(double(net.weights(0)(0, 0)) == doctest::Approx(w).epsilon(1e-6));
    CHECK(double(net.biases(0)(0, 0)) == doctest::Approx(b).epsilon(1e-6));
    CHECK(adam.steps() == 2);
}

TEST_CASE("optimizers check their settings and the gradient before changing anything") {
    CHECK_THROWS_WITH_AS(nn::SGD<float>(-1.0f), "SGD needs a finite rate >= 0, was given -1", nn::Error);
    CHECK_THROWS_WITH_AS(nn::SGD<float>(0.1f, 1.0f), "SGD needs 0 <= momentum < 1, was given 1", nn::Error);
    CHECK_THROWS_WITH_AS(nn::SGD<float>(0.1f, 0.0f, true), "SGD with nesterov needs a momentum > 0", nn::Error);
    CHECK_THROWS_WITH_AS(nn::Adam<float>(0.1f, 1.0f), "Adam needs 0 <= beta1 < 1, was given 1", nn::Error);
    CHECK_THROWS_WITH_AS(nn::Adam<float>(0.1f, 0.9f, 0.999f, 0.0f), "Adam needs a finite eps > 0, was given 0",
                         nn::Error);
    auto net = two_parameters<float>(1, 2);
    const auto before = test::parameters(net);
    nn::Adam<float> adam;
    CHECK_THROWS_WITH_AS(adam.step(net, nn::Gradient<float>({2, 1})),
                         "gradient weights(0) is 2 x 1, the network's arch makes it 1 x 1", nn::Error);
    auto g = gradient<float>(1, NAN);
    CHECK_THROWS_WITH_AS(adam.step(net, g), "gradient biases(0)(0, 0) is nan; the gradient must be finite", nn::Error);
    nn::SGD<float> sgd(0.1f, 0.9f);
    CHECK_THROWS_AS(sgd.step(net, g), nn::Error);
    CHECK(test::parameters(net) == before);
    CHECK(adam.steps() == 0);
}

TEST_CASE("Adam and momentum SGD both learn XOR (tanh hidden layer, binary cross-entropy)") {
    const nn::Matrix<double> X{{0, 0}, {0, 1}, {1, 0}, {1, 1}}, Y{{0}, {1}, {1}, {0}};
    for (int which = 0; which < 2; ++which) {
        nn::NN<double> net({2, 4, 1}, nn::Activation::Tanh, nn::Activation::Sigmoid, nn::Loss::BinaryCrossEntropy);
        nn::Rng rng(2);
        net.init(rng);
        nn::Adam<double> adam(0.05);
        nn::SGD<double> sgd(0.5, 0.9);
        nn::Gradient<double> g;
        for (int i = 0; i < 500; ++i) {
            net.backprop(X, Y, g);
            which == 0 ? adam.step(net, g) : sgd.step(net, g);
        }
        CAPTURE(which);
        CHECK(net.cost(X, Y) < 0.05);
    }
}

TEST_CASE_TEMPLATE("iRPROP-: step sizes and moves follow its rules, step by step", T, float, double) {
    // Defaults: initial step 0.01, eta- 0.5, eta+ 1.2. Powers of two where they can be, so
    // every expected value is the exact result of the same float or double operations.
    SUBCASE("grow on the same sign, shrink and hold still on a flip, start afresh after it") {
        auto net = two_parameters<T>(1, 0);
        nn::IRprop<T> rprop;
        const auto w = [&] { return net.weights(0)(0, 0); };
        const auto step = [&] { return rprop.step_sizes().weights(0)(0, 0); };
        T expected = 1;
        rprop.step(net, gradient<T>(2, 0)); // no sign before: step stays 0.01, w -= 0.01
        expected -= T(0.01);
        CHECK(step() == T(0.01));
        CHECK(w() == expected);
        rprop.step(net, gradient<T>(1, 0)); // same sign: step 0.01 * 1.2, w -= it
        const T grown = T(0.01) * T(1.2);
        expected -= grown;
        CHECK(step() == grown);
        CHECK(w() == expected);
        rprop.step(net, gradient<T>(-3, 0)); // flip: step halves, w stays, the gradient counts as 0
        const T shrunk = grown * T(0.5);
        CHECK(step() == shrunk);
        CHECK(w() == expected);
        rprop.step(net, gradient<T>(-1, 0)); // after a flip no sign to compare: same step, w += it
        expected += shrunk;
        CHECK(step() == shrunk);
        CHECK(w() == expected);
        rprop.step(net, gradient<T>(-1, 0)); // same sign again: grows
        expected += shrunk * T(1.2);
        CHECK(step() == shrunk * T(1.2));
        CHECK(w() == expected);
        // The bias's gradient was 0 throughout: it never moved and its step never changed.
        CHECK(net.biases(0)(0, 0) == T(0));
        CHECK(rprop.step_sizes().biases(0)(0, 0) == T(0.01));
    }
    SUBCASE("steps stay within [min_step, max_step]") {
        auto net = two_parameters<T>(0, 0);
        nn::IRprop<T> rprop({.initial_step = 32, .eta_minus = T(0.5), .eta_plus = 2, .min_step = 4, .max_step = 50});
        for (T expected : {T(32), T(50), T(50)}) { // 32, min(64, 50), min(100, 50)
            rprop.step(net, gradient<T>(1, -1));
            CHECK(rprop.step_sizes().weights(0)(0, 0) == expected);
        }
        CHECK(net.weights(0)(0, 0) == T(-132));
        CHECK(net.biases(0)(0, 0) == T(132)); // the bias went the other way
        // Signs -, -, +, +, ...: each pair is a flip (shrink, hold still) and a fresh start (keep).
        const std::pair<T, T> sign_then_step[] = {{-1, 25},      {-1, 25}, {1, T(12.5)}, {1, T(12.5)}, {-1, T(6.25)},
                                                  {-1, T(6.25)}, {1, 4},   {1, 4}}; // 3.125 < min_step
        for (const auto& [sign, expected] : sign_then_step) {
            rprop.step(net, gradient<T>(sign, 0));
            CHECK(rprop.step_sizes().weights(0)(0, 0) == expected);
        }
    }
}

TEST_CASE("iRPROP- checks its settings and the gradient before changing anything") {
    CHECK_THROWS_WITH_AS(nn::IRprop<float>({.eta_minus = 1.5f}),
                         "IRprop needs 0 < eta_minus < 1 < eta_plus, was given eta_minus 1.5, eta_plus 1.20000005",
                         nn::Error);
    CHECK_THROWS_AS(nn::IRprop<float>({.eta_plus = 1.0f}), nn::Error);
    CHECK_THROWS_WITH_AS(nn::IRprop<float>({.initial_step = 100.0f}),
                         "IRprop needs 0 <= min_step <= initial_step <= max_step, all finite, was given "
                         "9.99999997e-07, 100, 50",
                         nn::Error);
    CHECK_THROWS_AS(nn::IRprop<float>({.max_step = std::numeric_limits<float>::infinity()}), nn::Error);
    auto net = two_parameters<float>(1, 2);
    const auto before = test::parameters(net);
    nn::IRprop<float> rprop;
    CHECK_THROWS_AS(rprop.step(net, gradient<float>(std::numeric_limits<float>::quiet_NaN(), 0)), nn::Error);
    CHECK_THROWS_AS(rprop.step(net, nn::Gradient<float>({2, 1})), nn::Error);
    CHECK(test::parameters(net) == before);
    CHECK(rprop.step_sizes().layers() == 0);
}

namespace {
// Trains a {2, 4, 1} tanh/sigmoid network on XOR with one full batch per epoch, checks that the
// cost fell a hundredfold and every sample is right, and returns the history.
template <class Optimizer>
nn::History solve_xor(Optimizer& optimizer, std::size_t epochs) {
    const nn::Matrix<double> X{{0, 0}, {0, 1}, {1, 0}, {1, 1}}, Y{{0}, {1}, {1}, {0}};
    nn::NN<double> net({2, 4, 1}, nn::Activation::Tanh, nn::Activation::Sigmoid);
    nn::Rng rng(2);
    net.init(rng);
    const double untrained = net.cost(X, Y);
    const auto history = nn::train(
        net, X, Y, optimizer, {.epochs = epochs, .batch_size = 4, .shuffle = false, .progress = nn::Progress::Quiet});
    CHECK(net.cost(X, Y) < untrained / 100);
    const auto out = net.forward(X);
    for (std::size_t i = 0; i < 4; ++i) CHECK((out(i, 0) > 0.5) == (Y(i, 0) > 0.5));
    return history;
}
} // namespace

TEST_CASE("iRPROP- through nn::train on the whole batch solves XOR and lowers its cost") {
    nn::IRprop<double> rprop;
    CHECK(solve_xor(rprop, 300).epochs.size() == 300);
}

namespace {
// The least-squares w, b of y ~ x.w + b: the normal equations (A^T A) p = A^T y for A = [X 1],
// solved by Gaussian elimination with partial pivoting, in double.
std::vector<double> least_squares(const nn::Matrix<double>& X, const nn::Matrix<double>& Y) {
    const std::size_t k = X.cols() + 1;
    std::vector<std::vector<double>> M(k, std::vector<double>(k + 1, 0.0));
    for (std::size_t r = 0; r < X.rows(); ++r)
        for (std::size_t i = 0; i < k; ++i) {
            const double ai = i < X.cols() ? X(r, i) : 1.0;
            for (std::size_t j = 0; j < k; ++j) M[i][j] += ai * (j < X.cols() ? X(r, j) : 1.0);
            M[i][k] += ai * Y(r, 0);
        }
    for (std::size_t c = 0; c < k; ++c) {
        std::size_t pivot = c;
        for (std::size_t r = c + 1; r < k; ++r)
            if (std::abs(M[r][c]) > std::abs(M[pivot][c])) pivot = r;
        std::swap(M[c], M[pivot]);
        for (std::size_t r = 0; r < k; ++r)
            if (r != c) {
                const double f = M[r][c] / M[c][c];
                for (std::size_t j = c; j <= k; ++j) M[r][j] -= f * M[c][j];
            }
    }
    std::vector<double> p(k);
    for (std::size_t i = 0; i < k; ++i) p[i] = M[i][k] / M[i][i];
    return p;
}
} // namespace

TEST_CASE("L-BFGS reaches the minimum of a convex quadratic (least squares) to 1e-10") {
    // The notes' linear model with a bias, y = x.w + b plus noise: the MSE is a convex quadratic
    // in (w, b), whose minimum is the least-squares solution.
    nn::Rng rng(4);
    nn::Matrix<double> X(40, 3), Y(40, 1);
    for (double& x : X) x = rng.uniform(-2.0, 2.0);
    for (std::size_t r = 0; r < 40; ++r)
        Y(r, 0) = 0.5 * X(r, 0) - 1.5 * X(r, 1) + 2 * X(r, 2) + 0.25 + 0.1 * rng.uniform(-1.0, 1.0);
    const std::vector<double> best = least_squares(X, Y);
    nn::NN<double> net({3, 1}, nn::Activation::Linear, nn::Activation::Linear);
    nn::LBFGS<double> lbfgs;
    const auto history = nn::train(net, X, Y, lbfgs,
                                   {.epochs = 50, .batch_size = 40, .shuffle = false, .progress = nn::Progress::Quiet});
    for (std::size_t i = 0; i < 3; ++i) CHECK(std::abs(net.weights(0)(i, 0) - best[i]) <= 1e-10);
    CHECK(std::abs(net.biases(0)(0, 0) - best[3]) <= 1e-10);
    // The cost fell at every step until it could not fall further, and training ended there.
    for (std::size_t e = 1; e < history.epochs.size(); ++e)
        CHECK(history.epochs[e].train_cost <= history.epochs[e - 1].train_cost);
    CHECK(lbfgs.stalled());
    CHECK(history.stopped_early);
    MESSAGE("L-BFGS on least squares: at the minimum after " << history.epochs.size() << " steps");
}

TEST_CASE("L-BFGS checks its settings, and nn::train refuses it minibatches") {
    CHECK_THROWS_WITH_AS(nn::LBFGS<float>({.memory = 0}), "LBFGS needs a memory of at least 1 pair, was given 0",
                         nn::Error);
    CHECK_THROWS_AS(nn::LBFGS<float>({.c1 = 1.0}), nn::Error);
    CHECK_THROWS_AS(nn::LBFGS<float>({.max_evaluations = 0}), nn::Error);
    const nn::Matrix<double> X{{0, 0}, {0, 1}, {1, 0}, {1, 1}}, Y{{0}, {1}, {1}, {0}};
    nn::NN<double> net({2, 3, 1});
    const auto before = test::parameters(net);
    nn::LBFGS<double> lbfgs;
    CHECK_THROWS_WITH_AS(nn::train(net, X, Y, lbfgs, {.batch_size = 2, .progress = nn::Progress::Quiet}),
                         "this optimizer works on the whole training set at once: TrainOptions.batch_size is 2, it "
                         "must be at least the number of samples, 4, or 0 (the default), which gives it every sample",
                         nn::Error);
    CHECK(test::parameters(net) == before);
}

TEST_CASE("L-BFGS through nn::train solves XOR") {
    nn::LBFGS<double> lbfgs;
    solve_xor(lbfgs, 100);
}

TEST_CASE("Gauss-Newton (Levenberg-Marquardt without damping) solves the linear model in one step") {
    // The notes' linear model y = x.w (with a bias), noisy: the residuals are linear in (w, b), so
    // the Gauss-Newton model is the cost itself and one step lands on the least-squares solution.
    nn::Rng rng(5);
    nn::Matrix<double> X(30, 4), Y(30, 1);
    for (double& x : X) x = rng.uniform(-2.0, 2.0);
    for (std::size_t r = 0; r < 30; ++r)
        Y(r, 0) = 1.5 * X(r, 0) - 0.5 * X(r, 1) + 0.75 * X(r, 2) - 2 * X(r, 3) - 1 + 0.1 * rng.uniform(-1.0, 1.0);
    const std::vector<double> best = least_squares(X, Y);
    nn::NN<double> net({4, 1}, nn::Activation::Linear, nn::Activation::Linear);
    const double before = net.cost(X, Y);
    nn::LevenbergMarquardt<double> gauss_newton({.damping = 0, .decrease = 0});
    const auto history = nn::train(net, X, Y, gauss_newton,
                                   {.epochs = 1, .batch_size = 30, .shuffle = false, .progress = nn::Progress::Quiet});
    REQUIRE(history.epochs.size() == 1);
    for (std::size_t i = 0; i < 4; ++i) CHECK(std::abs(net.weights(0)(i, 0) - best[i]) <= 1e-10);
    CHECK(std::abs(net.biases(0)(0, 0) - best[4]) <= 1e-10);
    CHECK(net.cost(X, Y) < before / 100);
    CHECK(gauss_newton.damping() == 0);
}

TEST_CASE("Levenberg-Marquardt with damping also reaches the least-squares minimum, and stalls there") {
    nn::Rng rng(6);
    nn::Matrix<double> X(25, 3), Y(25, 1);
    for (double& x : X) x = rng.uniform(-1.0, 1.0);
    for (std::size_t r = 0; r < 25; ++r) Y(r, 0) = X(r, 0) - 2 * X(r, 1) + 0.5 * X(r, 2) + 0.3 * rng.uniform(-1.0, 1.0);
    const std::vector<double> best = least_squares(X, Y);
    nn::NN<double> net({3, 1}, nn::Activation::Linear, nn::Activation::Linear);
    nn::LevenbergMarquardt<double> lm({.damping = 10}); // a heavily damped first step
    const auto history =
        nn::train(net, X, Y, lm, {.epochs = 100, .batch_size = 25, .shuffle = false, .progress = nn::Progress::Quiet});
    for (std::size_t i = 0; i < 3; ++i) CHECK(std::abs(net.weights(0)(i, 0) - best[i]) <= 1e-10);
    CHECK(std::abs(net.biases(0)(0, 0) - best[3]) <= 1e-10);
    for (std::size_t e = 1; e < history.epochs.size(); ++e)
        CHECK(history.epochs[e].train_cost <= history.epochs[e - 1].train_cost);
    CHECK(lm.stalled());
    CHECK(history.stopped_early);
    MESSAGE("Levenberg-Marquardt on least squares: at the minimum after " << history.epochs.size() << " steps");
}

TEST_CASE("Levenberg-Marquardt refuses other losses, bad settings and networks too large for its memory") {
    CHECK_THROWS_WITH_AS(nn::LevenbergMarquardt<float>({.damping = -1}),
                         "LevenbergMarquardt needs a finite damping >= 0, was given -1", nn::Error);
    CHECK_THROWS_AS(nn::LevenbergMarquardt<float>({.decrease = 1}), nn::Error);
    CHECK_THROWS_AS(nn::LevenbergMarquardt<float>({.increase = 1}), nn::Error);
    CHECK_THROWS_AS(nn::LevenbergMarquardt<float>({.max_damping = 1e-4}), nn::Error);
    const nn::Matrix<double> X{{0, 0}, {0, 1}, {1, 0}, {1, 1}}, Y{{0}, {1}, {1}, {0}};
    const nn::TrainOptions options{.batch_size = 4, .shuffle = false, .progress = nn::Progress::Quiet};

    nn::NN<double> bce({2, 3, 1}, nn::Activation::Tanh, nn::Activation::Sigmoid, nn::Loss::BinaryCrossEntropy);
    const auto before = test::parameters(bce);
    nn::LevenbergMarquardt<double> lm;
    CHECK_THROWS_WITH_AS(nn::train(bce, X, Y, lm, options),
                         "LevenbergMarquardt minimises a sum of squares: it needs a network with the mse loss, this "
                         "one has binary_cross_entropy",
                         nn::Error);
    CHECK(test::parameters(bce) == before);

    // {2, 100, 1}: 401 parameters, 3 x 401^2 doubles = 3.86 MB for J^T J and its companions.
    nn::NN<double> big({2, 100, 1});
    const auto big_before = test::parameters(big);
    nn::LevenbergMarquardt<double> small({.max_memory = 1 << 20});
    CHECK_THROWS_WITH_AS(nn::train(big, X, Y, small, options),
                         "LevenbergMarquardt needs 3.866 MB for a network of 401 parameters (J^T J, its Cholesky "
                         "factor and the Jacobian of one sample), more than Options.max_memory, 1.049 MB; train a "
                         "network this large with nn::LBFGS or nn::IRprop",
                         nn::Error);
    CHECK(test::parameters(big) == big_before);
    // Just enough for J^T J and one sample at a time: the Jacobian is built in blocks of one
    // sample, and the step is the same as with room for all four.
    nn::NN<double> blocked({2, 3, 1}), whole({2, 3, 1});
    const std::size_t P = 13, bytes = 3 * P * P * 8 + P * 16;
    nn::LevenbergMarquardt<double> tight({.max_memory = bytes}), roomy;
    CHECK(tight.block_samples(blocked, 4) == 1);
    CHECK(roomy.block_samples(whole, 4) == 4);
    nn::TrainOptions one = options;
    one.epochs = 1;
    nn::train(blocked, X, Y, tight, one);
    nn::train(whole, X, Y, roomy, one);
    const auto a = test::parameters(blocked), b = test::parameters(whole);
    for (std::size_t i = 0; i < P; ++i) CHECK(a[i] == doctest::Approx(b[i]).epsilon(1e-12));
    CHECK(a != test::parameters(nn::NN<double>({2, 3, 1}))); // it moved
}

TEST_CASE("Levenberg-Marquardt through nn::train solves XOR") {
    nn::LevenbergMarquardt<double> lm;
    solve_xor(lm, 100);
}

TEST_CASE("nn::train's reuse of the line search's last evaluation changes no bits") {
    // nn::train skips the backprop at a point the line search has just measured; a loop that
    // runs backprop at every step must reach the same parameters, bit for bit.
    const nn::Matrix<double> X{{0, 0}, {0, 1}, {1, 0}, {1, 1}}, Y{{0}, {1}, {1}, {0}};
    nn::NN<double> trained({2, 4, 1}, nn::Activation::Tanh, nn::Activation::Sigmoid), looped = trained;
    nn::LBFGS<double> a, b;
    nn::train(trained, X, Y, a, {.epochs = 20, .batch_size = 4, .shuffle = false, .progress = nn::Progress::Quiet});
    nn::Gradient<double> g;
    for (int step = 0; step < 20; ++step) {
        const double cost = looped.backprop(X, Y, g);
        b.step(looped, g, cost,
               [&](const nn::NN<double>& at, nn::Gradient<double>& into) { return double(at.backprop(X, Y, into)); });
    }
    CHECK(test::parameters(trained) == test::parameters(looped));
    CHECK(test::parameters(trained) !=
          test::parameters(nn::NN<double>({2, 4, 1}, nn::Activation::Tanh, nn::Activation::Sigmoid)));
}
