// The closed forms of the notes on gradient descent, as golden tests. The literal values were
// computed independently (Python, double precision) from the same formulas.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "helpers.hpp"
#include <nn/network.hpp>

using nn::Activation;

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
