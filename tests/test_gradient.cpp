// The gradient backprop puts in a Gradient is exact. Against central finite differences on many
// random networks: every hidden activation with every output activation and loss that fit
// together, 1-4 hidden layers, widths 1-16, batches 1-32, and networks whose hidden layers each
// have their own activation. Against the closed forms of the notes on gradient descent, as golden
// tests (the literal values computed independently, in Python, double precision, from the same
// formulas).
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

const Activation hidden_activations[] = {Activation::Sigmoid, Activation::Tanh, Activation::ReLU, Activation::LeakyReLU,
                                         Activation::Linear};

// Every valid (hidden, output, loss): 5 hidden activations x (6 outputs with MSE, Softmax with
// cross-entropy, Sigmoid with binary cross-entropy) = 40.
std::vector<Combination> combinations() {
    const auto& hidden = hidden_activations;
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

// A random network for the combination; `mixed`: each hidden layer draws its own activation
// (k.hidden is then only the first's).
Case random_case(nn::Rng& rng, const Combination& k, bool mixed = false) {
    std::vector<std::size_t> arch{1 + rng.below(16)};
    const std::size_t hidden_layers = 1 + rng.below(4);
    for (std::size_t l = 0; l < hidden_layers; ++l) arch.push_back(1 + rng.below(16));
    arch.push_back(k.output == Activation::Softmax ? 2 + rng.below(15) : 1 + rng.below(16));
    const std::size_t n = 1 + rng.below(32);
    std::vector<Activation> activations{k.hidden};
    for (std::size_t l = 1; l < hidden_layers; ++l)
        activations.push_back(mixed ? hidden_activations[rng.below(5)] : k.hidden);
    activations.push_back(k.output);
    Case c{nn::NN<double>(arch, activations, k.loss), {}, {}};
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

void check_random_networks(std::uint64_t seed, bool mixed) {
    INFO("seed " << seed);
    nn::Rng rng(seed);
    double worst = 0;
    int redraws = 0, checked = 0;
    int t = 0;
    for (const Combination& k : combinations())
        for (int r = 0; r < per_combination; ++r, ++t) {
            Case c = random_case(rng, k, mixed);
            nn::Gradient<double> g = c.net.backprop(c.X, c.Y);
            while (smallest_preactivation(c) < 1e-3 || !every_layer_learns(g)) {
                ++redraws;
                c = random_case(rng, k, mixed);
                g = c.net.backprop(c.X, c.Y);
            }
            const auto analytic = test::flatten(g);
            const auto numeric = central_differences(c.net, c.X, c.Y);
            const double err = test::max_relative_error(analytic, numeric, floor_for(c.net.cost(c.X, c.Y)));
            CAPTURE(t);
            std::string combination;
            for (Activation a : c.net.activations()) combination += std::string(nn::name(a)) + "/";
            combination += nn::name(k.loss);
            CAPTURE(combination);
            CAPTURE(c.net.arch().size());
            CAPTURE(c.X.rows());
            REQUIRE(every_layer_learns(g));
            CHECK(err <= 1e-6);
            worst = std::max(worst, err);
            checked += static_cast<int>(analytic.size());
        }
    MESSAGE(std::string(mixed ? "double, per-layer activations mixed: " : "double: ")
            << t << " networks, " << checked << " derivatives, worst relative error " << worst << " (" << redraws
            << " draws replaced: ReLU kink or dead layer)");
}

} // namespace

TEST_CASE("backprop equals central finite differences on random networks (double)") {
    check_random_networks(20261128, false);
}

TEST_CASE("backprop equals central finite differences on networks whose hidden layers mix activations (double)") {
    check_random_networks(20261201, true);
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

// The notes' closed forms.

namespace {
double sigmoid(double z) { return 1 / (1 + std::exp(-z)); }
} // namespace

TEST_CASE("eq. 7: the linear model y = x w") {
    // C(w) = (1/n) sum (x w - y)^2 and C'(w) = (1/n) sum 2 (x w - y) x. With y = 2x and w = 1.5:
    // C = (1/4) sum (x/2)^2 = 30/16 and C'(w) = -(1/4) sum x^2 = -7.5.
    nn::NN<double> net({1, 1}, Activation::Linear, Activation::Linear);
    net.weights(0)(0, 0) = 1.5; // the notes' model has no bias: it stays 0
    const nn::Matrix<double> X{{1}, {2}, {3}, {4}}, Y{{2}, {4}, {6}, {8}};
    CHECK(net.cost(X, Y) == 1.875);
    const auto g = net.backprop(X, Y);
    CHECK(g.weights(0)(0, 0) == -7.5);
    CHECK(g.biases(0)(0, 0) == -2.5); // (1/n) sum 2 (x w - y) = -(1/4) sum x
}

TEST_CASE("eq. 17, 20-22: one sigmoid neuron with two inputs (the OR gate)") {
    nn::NN<double> net({2, 1});
    net.weights(0) = nn::Matrix<double>{{0.5}, {-0.25}};
    net.biases(0)(0, 0) = 0.1;
    const nn::Matrix<double> X{{0, 0}, {0, 1}, {1, 0}, {1, 1}}, Z{{0}, {1}, {1}, {1}};

    // The formulas, evaluated here term by term.
    double C = 0, dw1 = 0, dw2 = 0, db = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        const double x = X(i, 0), y = X(i, 1);
        const double a = sigmoid(x * 0.5 + y * -0.25 + 0.1); // eq. 11
        C += (a - Z(i, 0)) * (a - Z(i, 0)) / 4;              // eq. 17
        dw1 += 2 * (a - Z(i, 0)) * a * (1 - a) * x / 4;      // eq. 20
        dw2 += 2 * (a - Z(i, 0)) * a * (1 - a) * y / 4;      // eq. 21
        db += 2 * (a - Z(i, 0)) * a * (1 - a) / 4;           // eq. 22
    }
    const auto g = net.backprop(X, Z);
    CHECK(net.cost(X, Z) == doctest::Approx(C).epsilon(1e-15));
    CHECK(g.weights(0)(0, 0) == doctest::Approx(dw1).epsilon(1e-15));
    CHECK(g.weights(0)(1, 0) == doctest::Approx(dw2).epsilon(1e-15));
    CHECK(g.biases(0)(0, 0) == doctest::Approx(db).epsilon(1e-15));
    // The values, computed independently.
    CHECK(net.cost(X, Z) == doctest::Approx(0.21521961633249292).epsilon(1e-14));
    CHECK(g.weights(0)(0, 0) == doctest::Approx(-0.09065620655068972).epsilon(1e-14));
    CHECK(g.weights(0)(1, 0) == doctest::Approx(-0.1169243429859817).epsilon(1e-14));
    CHECK(g.biases(0)(0, 0) == doctest::Approx(-0.09199985392776062).epsilon(1e-14));
}

namespace {
// The two-neuron chain x -> (w1, b1) -> (w2, b2) -> y, both sigmoid.
struct TwoNeurons {
    double w1 = 0.8, b1 = -0.3, w2 = -1.2, b2 = 0.4;
    nn::Matrix<double> X{{0}, {1}, {2}}, Y{{0}, {1}, {0}};
    nn::NN<double> net() const {
        nn::NN<double> n({1, 1, 1});
        n.weights(0)(0, 0) = w1;
        n.biases(0)(0, 0) = b1;
        n.weights(1)(0, 0) = w2;
        n.biases(1)(0, 0) = b2;
        return n;
    }
};
} // namespace

TEST_CASE("eq. 44, 47-48: two neurons, the cost and the second layer's gradient") {
    const TwoNeurons m;
    auto net = m.net();
    double C = 0, dw2 = 0, db2 = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        const double a1 = sigmoid(m.X(i, 0) * m.w1 + m.b1), a2 = sigmoid(a1 * m.w2 + m.b2), y = m.Y(i, 0);
        C += (a2 - y) * (a2 - y) / 3;                 // eq. 44
        dw2 += 2 * (a2 - y) * a2 * (1 - a2) * a1 / 3; // eq. 47
        db2 += 2 * (a2 - y) * a2 * (1 - a2) / 3;      // eq. 48
    }
    const auto g = net.backprop(m.X, m.Y);
    CHECK(net.cost(m.X, m.Y) == doctest::Approx(C).epsilon(1e-15));
    CHECK(g.weights(1)(0, 0) == doctest::Approx(dw2).epsilon(1e-15));
    CHECK(g.biases(1)(0, 0) == doctest::Approx(db2).epsilon(1e-15));
    CHECK(net.cost(m.X, m.Y) == doctest::Approx(0.2338088407862986).epsilon(1e-14));
    CHECK(g.weights(1)(0, 0) == doctest::Approx(0.01916307013702126).epsilon(1e-14));
    CHECK(g.biases(1)(0, 0) == doctest::Approx(0.04066691841052581).epsilon(1e-14));
}

TEST_CASE("two neurons, first layer: the exact gradient is half the notes' eq. 55") {
    // The chain rule gives, once:   dC/dw1 = (1/n) sum 2 (a2 - y) a2 (1 - a2) w2 a1 (1 - a1) x.
    // The notes take dC/da1 = 2 (a2 - y) a2 (1 - a2) w2 (eq. 37) and then apply a second factor 2
    // in eq. 55: (1/n) sum 2 (dC/da1) a1 (1 - a1) x, which is twice the above.
    const TwoNeurons m;
    auto net = m.net();
    double exact_w1 = 0, exact_b1 = 0, notes_w1 = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        const double x = m.X(i, 0), y = m.Y(i, 0);
        const double a1 = sigmoid(x * m.w1 + m.b1), a2 = sigmoid(a1 * m.w2 + m.b2);
        const double dC_da1 = 2 * (a2 - y) * a2 * (1 - a2) * m.w2; // eq. 37, one sample
        exact_w1 += dC_da1 * a1 * (1 - a1) * x / 3;
        exact_b1 += dC_da1 * a1 * (1 - a1) / 3;
        notes_w1 += 2 * dC_da1 * a1 * (1 - a1) * x / 3; // eq. 55
    }
    const auto g = net.backprop(m.X, m.Y);
    CHECK(g.weights(0)(0, 0) == doctest::Approx(exact_w1).epsilon(1e-15));
    CHECK(g.biases(0)(0, 0) == doctest::Approx(exact_b1).epsilon(1e-15));
    CHECK(g.weights(0)(0, 0) == doctest::Approx(0.0037227943846904477).epsilon(1e-14));
    CHECK(g.biases(0)(0, 0) == doctest::Approx(-0.007800362956986083).epsilon(1e-14));
    CHECK(notes_w1 == doctest::Approx(2 * g.weights(0)(0, 0)).epsilon(1e-15));
    // And the finite difference sides with the chain rule, not with eq. 55.
    const auto fd = net.finite_diff(m.X, m.Y, 1e-6, nn::Diff::Central);
    CHECK(fd.weights(0)(0, 0) == doctest::Approx(exact_w1).epsilon(1e-8));
    CHECK(std::abs(fd.weights(0)(0, 0) - notes_w1) > 0.4 * std::abs(notes_w1));
}

namespace {
// The notes' per-layer recurrence (eq. 61-64) for a sigmoid network, as programs derived from it
// (the single-header nn.h among them) compute it, per sample: start from dC/da(L) = a - y, then at
// each layer from the top, with q = a(l+1) and d = dC/da(l+1):
//   dW(l) += 2 d q (1 - q) a(l),   db(l) += 2 d q (1 - q),   dC/da(l) += 2 d q (1 - q) W(l)
// and finally divide by n. The factor 2 comes back at every layer.
nn::Gradient<double> notes_recurrence(const nn::NN<double>& net, const nn::Matrix<double>& X,
                                      const nn::Matrix<double>& Y) {
    nn::Gradient<double> g(net.arch());
    const std::size_t L = net.layers();
    for (std::size_t i = 0; i < X.rows(); ++i) {
        std::vector<std::vector<double>> a{std::vector<double>(X.row(i).begin(), X.row(i).end())};
        for (std::size_t l = 0; l < L; ++l) {
            std::vector<double> next(net.arch()[l + 1]);
            for (std::size_t j = 0; j < next.size(); ++j) {
                double z = net.biases(l)(0, j);
                for (std::size_t k = 0; k < a[l].size(); ++k) z += a[l][k] * net.weights(l)(k, j);
                next[j] = sigmoid(z);
            }
            a.push_back(next);
        }
        std::vector<double> d(a[L].size());
        for (std::size_t j = 0; j < d.size(); ++j) d[j] = a[L][j] - Y(i, j);
        for (std::size_t l = L; l-- > 0;) {
            std::vector<double> d_prev(a[l].size(), 0.0);
            for (std::size_t j = 0; j < d.size(); ++j) {
                const double q = a[l + 1][j];
                g.biases(l)(0, j) += 2 * d[j] * q * (1 - q);
                for (std::size_t k = 0; k < a[l].size(); ++k) {
                    g.weights(l)(k, j) += 2 * d[j] * q * (1 - q) * a[l][k];
                    d_prev[k] += 2 * d[j] * q * (1 - q) * net.weights(l)(k, j);
                }
            }
            d = d_prev;
        }
    }
    for (std::size_t l = 0; l < L; ++l) {
        for (double& x : g.weights(l)) x /= static_cast<double>(X.rows());
        for (double& x : g.biases(l)) x /= static_cast<double>(X.rows());
    }
    return g;
}
} // namespace

TEST_CASE("two hidden layers: we compute the chain rule, not the per-layer doubling recurrence") {
    nn::Rng rng(31);
    nn::NN<double> net({3, 4, 5, 2}); // L = 3 layers
    net.randomize(rng, -1.0, 1.0);
    const auto X = test::random_matrix(rng, 6, 3, -1.0, 1.0);
    const auto Y = test::random_matrix(rng, 6, 2, 0.0, 1.0);
    const auto ours = net.backprop(X, Y);
    const auto notes = notes_recurrence(net, X, Y);
    const auto fd = net.finite_diff(X, Y, 1e-5, nn::Diff::Central);
    for (std::size_t l = 0; l < 3; ++l) {
        CAPTURE(l);
        const double factor = std::pow(2.0, 2 - static_cast<int>(l)); // 2^(L-1-l): 4, 2, 1
        for (std::size_t i = 0; i < ours.weights(l).size(); ++i) {
            const double w = ours.weights(l).data()[i];
            CHECK(notes.weights(l).data()[i] == doctest::Approx(factor * w).epsilon(1e-12));
            CHECK(fd.weights(l).data()[i] == doctest::Approx(w).epsilon(1e-6).scale(1e-4));
        }
        for (std::size_t j = 0; j < ours.biases(l).size(); ++j) {
            const double b = ours.biases(l).data()[j];
            CHECK(notes.biases(l).data()[j] == doctest::Approx(factor * b).epsilon(1e-12));
            CHECK(fd.biases(l).data()[j] == doctest::Approx(b).epsilon(1e-6).scale(1e-4));
        }
    }
    // The recurrence is off by 4 in the first layer, so it cannot pass for the gradient there.
    const double first = ours.weights(0)(0, 0);
    CHECK(std::abs(first) > 1e-6);
    CHECK(std::abs(notes.weights(0)(0, 0) - fd.weights(0)(0, 0)) > 2 * std::abs(first));
}

namespace {
// d a(i, o) / d p for every parameter p, by the central differences of forward at h and h / 2
// combined as in central_differences: J's layout, (samples x outputs) x parameters.
std::vector<double> jacobian_by_differences(nn::NN<double>& net, const nn::Matrix<double>& X) {
    const std::size_t rows = X.rows() * net.outputs(), P = net.parameter_count();
    std::vector<double> J(rows * P);
    std::size_t p = 0;
    const auto column = [&](double& param) {
        const double kept = param;
        const auto at = [&](double step) {
            param = kept + step;
            const auto up = net.forward(X);
            param = kept - step;
            const auto down = net.forward(X);
            param = kept;
            std::vector<double> d(rows);
            for (std::size_t r = 0; r < rows; ++r) d[r] = (up.data()[r] - down.data()[r]) / (2 * step);
            return d;
        };
        const auto coarse = at(h), fine = at(h / 2);
        for (std::size_t r = 0; r < rows; ++r) J[r * P + p] = (4 * fine[r] - coarse[r]) / 3;
        ++p;
    };
    for (std::size_t l = 0; l < net.layers(); ++l) {
        for (double& w : net.weights(l)) column(w);
        for (double& b : net.biases(l)) column(b);
    }
    return J;
}
} // namespace

TEST_CASE("output_jacobian equals central finite differences of forward on random networks (double)") {
    // Every hidden activation with every output activation (Softmax too), hidden layers mixed on
    // the second round; small batches, as the reference costs four forward passes a parameter.
    const std::uint64_t seed = 20261202;
    INFO("seed " << seed);
    nn::Rng rng(seed);
    double worst = 0;
    int networks = 0;
    for (bool mixed : {false, true})
        for (Activation hidden : hidden_activations)
            for (Activation output : {Activation::Sigmoid, Activation::Tanh, Activation::ReLU, Activation::LeakyReLU,
                                      Activation::Linear, Activation::Softmax}) {
                Case c = random_case(rng, {hidden, output, Loss::MSE}, mixed);
                while (smallest_preactivation(c) < 1e-3 || c.X.rows() > 8)
                    c = random_case(rng, {hidden, output, Loss::MSE}, mixed);
                nn::Matrix<double> J(c.X.rows() * c.net.outputs(), c.net.parameter_count());
                c.net.output_jacobian(c.X, J);
                const std::vector<double> analytic(J.begin(), J.end());
                const auto numeric = jacobian_by_differences(c.net, c.X);
                CAPTURE(networks);
                CAPTURE(nn::name(output));
                REQUIRE(test::max_abs(analytic) > 0);
                const double err = test::max_relative_error(analytic, numeric, 1e-4);
                CHECK(err <= 1e-6);
                worst = std::max(worst, err);
                ++networks;
            }
    MESSAGE("output_jacobian: " << networks << " networks, worst relative error " << worst);
}

TEST_CASE("output_jacobian: J^T (2/n)(a - y) is backprop's MSE gradient, and J's shape is checked") {
    nn::Rng rng(8);
    nn::NN<double> net({4, 6, 5, 3}, {Activation::Tanh, Activation::ReLU, Activation::Sigmoid});
    net.randomize(rng, -1.0, 1.0);
    const auto X = test::random_matrix(rng, 7, 4, -1.0, 1.0);
    const auto Y = test::random_matrix(rng, 7, 3, 0.0, 1.0);
    nn::Matrix<double> J(21, net.parameter_count());
    net.output_jacobian(X, J);
    const auto a = net.forward(X);
    std::vector<double> g(net.parameter_count(), 0.0);
    for (std::size_t r = 0; r < 21; ++r)
        for (std::size_t p = 0; p < g.size(); ++p) g[p] += J(r, p) * 2 * (a.data()[r] - Y.data()[r]) / 7;
    const auto backprop = test::flatten(net.backprop(X, Y));
    CHECK(test::max_relative_error(g, backprop, 1e-12) <= 1e-12);

    nn::Matrix<double> wrong(21, net.parameter_count() - 1);
    CHECK_THROWS_WITH_AS(net.output_jacobian(X, wrong),
                         "output_jacobian needs J of 21 x 83 (7 samples x 3 outputs, 83 parameters), was given 21 x 82",
                         nn::Error);
}

TEST_CASE("backprop over the parts of a batch, each told the batch's size, adds up to the batch's gradient and cost") {
    nn::Rng rng(41);
    for (const nn::Loss loss : {nn::Loss::MSE, nn::Loss::CrossEntropy, nn::Loss::BinaryCrossEntropy}) {
        const std::size_t outputs = loss == nn::Loss::BinaryCrossEntropy ? 1 : 3;
        const nn::Activation out = loss == nn::Loss::CrossEntropy ? nn::Activation::Softmax : nn::Activation::Sigmoid;
        const nn::NN<double> net({5, 7, outputs}, nn::Activation::Tanh, out, loss, {.seed = 2});
        const nn::Matrix<double> X = test::random_matrix<double>(rng, 11, 5);
        nn::Matrix<double> Y(11, outputs);
        for (std::size_t i = 0; i < 11; ++i) Y(i, outputs == 1 ? 0 : i % outputs) = 1;
        nn::Gradient<double> whole, first, second;
        const double cost = net.backprop(X, Y, whole);
        const double c1 = net.backprop(X.rows(0, 4), Y.rows(0, 4), first, 11);
        const double c2 = net.backprop(X.rows(4, 7), Y.rows(4, 7), second, 11);
        CHECK(c1 + c2 == doctest::Approx(cost).epsilon(1e-14));
        std::vector<double> sum = test::flatten(first);
        const std::vector<double> b = test::flatten(second);
        for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += b[i];
        CHECK(test::max_relative_error(sum, test::flatten(whole), 1e-12) <= 1e-13);
        // Told the part's own size, it is the ordinary backprop, bit for bit.
        nn::Gradient<double> own;
        CHECK(net.backprop(X.rows(0, 4), Y.rows(0, 4), own, 4) == net.backprop(X.rows(0, 4), Y.rows(0, 4), first));
        CHECK(test::flatten(own) == test::flatten(first));
        CHECK_THROWS_WITH_AS(net.backprop(X, Y, own, 10),
                             "backprop was told the batch has 10 rows, fewer than the 11 of X", nn::Error);
    }
}

TEST_CASE("one sample's backprop (narrow networks take their own path) is a batch's, bit for bit") {
    // The sample twice, as a batch of two, has the same gradient exactly: each row's terms are
    // halved (a power of two, so with the same roundings) and added to an equal one. So the
    // one-sample paths must sum in the batch kernels' order, with their arithmetic: the narrow
    // networks' (layers up to 32 wide) and the tiny ones' (up to 32 bytes: 4 doubles, 8 floats).
    nn::Rng rng(43);
    int t = 0;
    for (const Combination& k : combinations())
        for (int r = 0; r < 5; ++r, ++t) {
            Case c = random_case(rng, k, true);
            if (r >= 2) {
                std::vector<std::size_t> arch = c.net.arch();
                if (r == 2) arch[1] = 40; // one layer wider than 32 for the batch path in both
                if (r == 3)               // tiny: 1 to 4 wide (2 to 4 for a Softmax output)
                    for (std::size_t& width : arch) width = 1 + (width - 1) % 4;
                if (r == 4) { // up to 8 wide, a layer of 8 outputs below another (tiny in float)
                    for (std::size_t& width : arch) width = 1 + (width - 1) % 8;
                    arch[2] = 8;
                }
                if (k.output == Activation::Softmax && arch.back() < 2) arch.back() = 2;
                c.net = nn::NN<double>(arch, c.net.activations(), k.loss);
                c.net.randomize(rng, -1.0, 1.0);
                c.X = test::random_matrix(rng, 1, arch.front(), -1.0, 1.0);
                c.Y = test::random_matrix(rng, 1, arch.back(), 0.0, 1.0);
                if (k.loss == Loss::CrossEntropy)
                    for (std::size_t j = 0; j < arch.back(); ++j) c.Y(0, j) = j == 0 ? 1.0 : 0.0;
            }
            const nn::Matrix<double> x(c.X.rows(0, 1)), y(c.Y.rows(0, 1));
            nn::Matrix<double> x2(2, x.cols()), y2(2, y.cols());
            for (std::size_t i = 0; i < 2; ++i) {
                std::copy(x.data(), x.data() + x.cols(), x2.row(i).begin());
                std::copy(y.data(), y.data() + y.cols(), y2.row(i).begin());
            }
            CAPTURE(t);
            nn::Gradient<double> one, two;
            c.net.backprop(x, y, one);
            c.net.backprop(x2, y2, two);
            CHECK(test::flatten(one) == test::flatten(two));
            const nn::NN<float> net = test::convert<float>(c.net);
            const auto xf = test::convert<float>(x), yf = test::convert<float>(y);
            const auto x2f = test::convert<float>(x2), y2f = test::convert<float>(y2);
            nn::Gradient<float> onef, twof;
            net.backprop(xf, yf, onef);
            net.backprop(x2f, y2f, twof);
            CHECK(test::flatten(onef) == test::flatten(twof));
        }
}
