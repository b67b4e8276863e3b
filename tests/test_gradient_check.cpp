// Backprop against central finite differences on many random networks: every hidden activation
// with every output activation and loss that fit together, 1-4 hidden layers, widths 1-16,
// batches 1-32.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "helpers.hpp"
#include <nn/network.hpp>

namespace {

using nn::Activation;
using nn::Loss;

struct Combination {
    Activation hidden, output;
    Loss loss;
};

// Every valid (hidden, output, loss): 5 hidden activations x (6 outputs with MSE, Softmax with
// cross-entropy, Sigmoid with binary cross-entropy) = 40.
std::vector<Combination> combinations() {
    const Activation hidden[] = {Activation::Sigmoid, Activation::Tanh, Activation::ReLU, Activation::LeakyReLU,
                                 Activation::Linear};
    std::vector<Combination> out;
    for (Activation h : hidden) {
        for (Activation o : hidden) out.push_back({h, o, Loss::MSE});
        out.push_back({h, Activation::Softmax, Loss::MSE});
        out.push_back({h, Activation::Softmax, Loss::CrossEntropy});
        out.push_back({h, Activation::Sigmoid, Loss::BinaryCrossEntropy});
    }
    return out;
}

struct Case {
    nn::NN<double> net;
    nn::Matrix<double> X, Y;
};

// The smallest |z| over every pre-activation of every sample, by a plain loop written
// independently of the library's kernels. ReLU has a kink at z = 0 where no derivative exists;
// a finite difference that straddles it measures nothing, so such draws are replaced.
double smallest_preactivation(const Case& c) {
    double smallest = INFINITY;
    for (std::size_t i = 0; i < c.X.rows(); ++i) {
        std::vector<double> a(c.X.row(i).begin(), c.X.row(i).end());
        for (std::size_t l = 0; l < c.net.layers(); ++l) {
            const auto& W = c.net.weights(l);
            std::vector<double> next(W.cols());
            for (std::size_t j = 0; j < W.cols(); ++j) {
                double z = c.net.biases(l)(0, j);
                for (std::size_t k = 0; k < W.rows(); ++k) z += a[k] * W(k, j);
                smallest = std::min(smallest, std::abs(z));
                next[j] = nn::activate(c.net.activation(l), z);
            }
            a = next;
        }
    }
    return smallest;
}

// Each layer's weight gradient has a nonzero entry: a check of zeros against zeros proves nothing.
bool every_layer_learns(const nn::Gradient<double>& g) {
    for (std::size_t l = 0; l < g.layers(); ++l) {
        double m = 0;
        for (double x : g.weights(l)) m = std::max(m, std::abs(x));
        if (m == 0) return false;
    }
    return true;
}

Case random_case(nn::Rng& rng, const Combination& k) {
    std::vector<std::size_t> arch{1 + rng.below(16)};
    const std::size_t hidden_layers = 1 + rng.below(4);
    for (std::size_t l = 0; l < hidden_layers; ++l) arch.push_back(1 + rng.below(16));
    arch.push_back(k.output == Activation::Softmax ? 2 + rng.below(15) : 1 + rng.below(16));
    const std::size_t n = 1 + rng.below(32);
    Case c{nn::NN<double>(arch, k.hidden, k.output, k.loss), {}, {}};
    c.net.randomize(rng, -1.0, 1.0);
    c.X = test::random_matrix(rng, n, arch.front(), -1.0, 1.0);
    c.Y = test::random_matrix(rng, n, arch.back(), 0.0, 1.0);
    if (k.loss == Loss::CrossEntropy) { // one-hot rows
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t hot = rng.below(arch.back());
            for (std::size_t j = 0; j < arch.back(); ++j) c.Y(i, j) = j == hot ? 1.0 : 0.0;
        }
    }
    return c;
}

constexpr int per_combination = 6; // 40 combinations: 240 networks

// The reference: central differences D(h) = (C(p+h) - C(p-h)) / 2h at h and h/2, combined by
// Richardson extrapolation, (4 D(h/2) - D(h)) / 3, which cancels the h^2 term of the error.
// One plain central difference in double cannot resolve 1e-6 on these networks: its truncation
// error (h^2/6 times the third derivative) and its rounding error (the noise of C over h) cross near 1e-6 relative
// whatever h is. Measured on them: plain with h = 1e-5, worst ~1e-6; extrapolated from
// h = 1e-4, worst ~1e-8.
constexpr double h = 1e-4;
std::vector<double> central_differences(nn::NN<double>& net, const nn::Matrix<double>& X, const nn::Matrix<double>& Y) {
    const auto coarse = test::flatten(net.finite_diff(X, Y, h, nn::Diff::Central));
    auto fine = test::flatten(net.finite_diff(X, Y, h / 2, nn::Diff::Central));
    for (std::size_t i = 0; i < fine.size(); ++i) fine[i] = (4 * fine[i] - coarse[i]) / 3;
    return fine;
}

// Below this magnitude a derivative is compared absolutely: an error of 1e-10 C is beneath what
// the reference resolves.
double floor_for(double cost) { return 1e-4 * std::max(1.0, cost); }

} // namespace

TEST_CASE("backprop equals central finite differences on random networks (double)") {
    const std::uint64_t seed = 20261128;
    INFO("seed " << seed);
    nn::Rng rng(seed);
    double worst = 0;
    int redraws = 0, checked = 0;
    int t = 0;
    for (const Combination& k : combinations())
        for (int r = 0; r < per_combination; ++r, ++t) {
            Case c = random_case(rng, k);
            nn::Gradient<double> g = c.net.backprop(c.X, c.Y);
            while (smallest_preactivation(c) < 1e-3 || !every_layer_learns(g)) {
                ++redraws;
                c = random_case(rng, k);
                g = c.net.backprop(c.X, c.Y);
            }
            const auto analytic = test::flatten(g);
            const auto numeric = central_differences(c.net, c.X, c.Y);
            const double err = test::max_relative_error(analytic, numeric, floor_for(c.net.cost(c.X, c.Y)));
            CAPTURE(t);
            const std::string combination =
                std::string(nn::name(k.hidden)) + "/" + nn::name(k.output) + "/" + nn::name(k.loss);
            CAPTURE(combination);
            CAPTURE(c.net.arch().size());
            CAPTURE(c.X.rows());
            REQUIRE(every_layer_learns(g));
            CHECK(err <= 1e-6);
            worst = std::max(worst, err);
            checked += static_cast<int>(analytic.size());
        }
    MESSAGE("double: " << t << " networks, " << checked << " derivatives, worst relative error " << worst << " ("
                       << redraws << " draws replaced: ReLU kink or dead layer)");
}

TEST_CASE("backprop in float equals central finite differences in double") {
    const std::uint64_t seed = 77;
    INFO("seed " << seed);
    nn::Rng rng(seed);
    double worst = 0;
    int t = 0;
    for (const Combination& k : combinations())
        for (int r = 0; r < per_combination; ++r, ++t) {
            Case c = random_case(rng, k);
            while (smallest_preactivation(c) < 1e-3 || !every_layer_learns(c.net.backprop(c.X, c.Y)))
                c = random_case(rng, k);
            // The float network is the double one rounded; the reference is taken on the rounded values.
            const nn::NN<float> net = test::convert<float>(c.net);
            const auto X = test::convert<float>(c.X);
            const auto Y = test::convert<float>(c.Y);
            nn::NN<double> reference = test::convert<double>(net);
            const auto Xd = test::convert<double>(X), Yd = test::convert<double>(Y);
            const auto analytic = test::flatten(net.backprop(X, Y));
            const auto numeric = central_differences(reference, Xd, Yd);
            CAPTURE(t);
            REQUIRE(test::max_abs(analytic) > 0);
            // float keeps ~7 digits; sums of up to 32 x 16 products through 5 layers lose a few more.
            const double err =
                test::max_relative_error(analytic, numeric, 1e-3 * std::max(1.0, reference.cost(Xd, Yd)));
            CHECK(err <= 1e-3);
            worst = std::max(worst, err);
        }
    MESSAGE("float: " << t << " networks, worst relative error " << worst);
}
