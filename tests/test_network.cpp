// NN<T>: construction (starting weights, per-layer activations), forward, cost, finite differences,
// learn, the summary, and every bad input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "helpers.hpp"
#include <nn/network.hpp>

namespace {

// A {2, 2, 1} sigmoid network with round parameters; the expected values below were computed
// independently (Python, double precision) from a(l+1) = sigma(a(l) W(l) + b(l)).
template <class T>
nn::NN<T> small_net() {
    nn::NN<T> net({2, 2, 1});
    net.weights(0) = nn::Matrix<T>{{0.5, -1.0}, {0.25, 0.75}};
    net.biases(0) = nn::Matrix<T>{{T(0.1), T(-0.2)}};
    net.weights(1) = nn::Matrix<T>{{1.5}, {-0.5}};
    net.biases(1) = nn::Matrix<T>{{T(0.3)}};
    return net;
}

template <class T>
const nn::Matrix<T> X{{1, 2}, {0, -1}};
template <class T>
const nn::Matrix<T> Y{{1}, {0}};

template <class T>
T eps_for() {
    return std::is_same_v<T, float> ? T(1e-6) : T(1e-14);
}

template <class T>
constexpr bool can_make_network = requires {
    typename nn::NN<T>;
};

} // namespace

static_assert(can_make_network<float> && can_make_network<double>);
static_assert(!can_make_network<int>, "NN<int> must be rejected by the Real concept");
static_assert(!can_make_network<long double>, "NN<long double> does not compile, so Real rejects it");

TEST_CASE_TEMPLATE("construction: shapes and accessors", T, float, double) {
    nn::NN<T> net({3, 5, 4, 2}, nn::Activation::Tanh, nn::Activation::Linear);
    CHECK(net.layers() == 3);
    CHECK(net.arch() == std::vector<std::size_t>{3, 5, 4, 2});
    CHECK(net.inputs() == 3);
    CHECK(net.outputs() == 2);
    CHECK(net.hidden() == nn::Activation::Tanh);
    CHECK(net.output() == nn::Activation::Linear);
    CHECK(net.activation(0) == nn::Activation::Tanh);
    CHECK(net.activation(2) == nn::Activation::Linear);
    CHECK(net.activations() ==
          std::vector<nn::Activation>{nn::Activation::Tanh, nn::Activation::Tanh, nn::Activation::Linear});
    CHECK(net.parameter_count() == 3 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2);
    for (std::size_t l = 0; l < net.layers(); ++l) {
        CHECK(net.weights(l).rows() == net.arch()[l]);
        CHECK(net.weights(l).cols() == net.arch()[l + 1]);
        CHECK(net.biases(l).rows() == 1);
        CHECK(net.biases(l).cols() == net.arch()[l + 1]);
    }
    CHECK_THROWS_WITH_AS(net.weights(3), "layer 3 is out of range: the network has 3 layers", nn::Error);
    CHECK_THROWS_WITH_AS(net.activation(3), "layer 3 is out of range: the network has 3 layers", nn::Error);
    CHECK_THROWS_WITH_AS(nn::NN<T>({2, 1}).hidden(),
                         "the network has no hidden layer; its one layer's activation is output()", nn::Error);
}

TEST_CASE_TEMPLATE("a new network is ready to train: Init::Auto from seed 0 unless told otherwise", T, float, double) {
    const std::vector<std::size_t> arch{6, 9, 5, 3};
    const nn::NN<T> net(arch, nn::Activation::ReLU, nn::Activation::Softmax, nn::Loss::CrossEntropy);
    // The same as drawing Init::Auto from an nn::Rng seeded with 0 into a zero network.
    nn::NN<T> drawn(arch, nn::Activation::ReLU, nn::Activation::Softmax, nn::Loss::CrossEntropy,
                    {.scheme = nn::Init::Zero});
    for (T p : test::parameters(drawn)) REQUIRE(p == T(0));
    nn::Rng rng(0);
    drawn.init(rng, nn::Init::Auto);
    CHECK(test::parameters(net) == test::parameters(drawn));
    // Weights inside He's limit on the ReLU layers and Xavier's on the output, none zero; biases 0.
    for (std::size_t l = 0; l < net.layers(); ++l) {
        const double fan_in = double(arch[l]), limit = std::sqrt(6.0 / (l < 2 ? fan_in : fan_in + double(arch[l + 1])));
        for (T w : net.weights(l)) {
            CHECK(w != T(0));
            CHECK(std::abs(double(w)) <= limit);
        }
        for (T b : net.biases(l)) CHECK(b == T(0));
    }
    // Same arguments, same network; a seed or a scheme is one argument away.
    const nn::NN<T> again(arch, nn::Activation::ReLU, nn::Activation::Softmax, nn::Loss::CrossEntropy);
    CHECK(test::parameters(again) == test::parameters(net));
    const nn::NN<T> seeded(arch, nn::Activation::ReLU, nn::Activation::Softmax, nn::Loss::CrossEntropy, {.seed = 7});
    CHECK(test::parameters(seeded) != test::parameters(net));
    const nn::NN<T> uniform(arch, nn::Activation::ReLU, nn::Activation::Softmax, nn::Loss::CrossEntropy,
                            {.scheme = nn::Init::Uniform, .seed = 7});
    nn::Rng seven(7);
    drawn.randomize(seven, T(-1), T(1));
    CHECK(test::parameters(uniform) == test::parameters(drawn));
    CHECK_THROWS_WITH_AS(nn::NN<T>({2, 1}, nn::Activation::Sigmoid, nn::Activation::Sigmoid, nn::Loss::MSE,
                                   {.scheme = static_cast<nn::Init>(8)}),
                         "InitOptions.scheme is not an nn::Init (value 8)", nn::Error);
}

TEST_CASE_TEMPLATE("per-layer activations: each layer computes with its own", T, float, double) {
    using nn::Activation;
    const std::vector<Activation> acts{Activation::ReLU, Activation::Tanh, Activation::LeakyReLU, Activation::Sigmoid};
    nn::NN<T> net({3, 4, 5, 4, 2}, acts, nn::Loss::BinaryCrossEntropy, {.seed = 3});
    CHECK(net.activations() == acts);
    CHECK(net.output() == Activation::Sigmoid);
    CHECK_THROWS_WITH_AS(net.hidden(),
                         "the hidden layers' activations differ (layer 0: relu, layer 1: tanh); ask activation(l)",
                         nn::Error);
    nn::Rng rng(4);
    const auto x = test::random_matrix<T>(rng, 3, 3);
    // The forward pass by hand, layer by layer, with nn::activate.
    nn::Matrix<T> a = x;
    for (std::size_t l = 0; l < net.layers(); ++l) {
        nn::Matrix<T> z(a.rows(), net.arch()[l + 1]);
        for (std::size_t i = 0; i < z.rows(); ++i)
            for (std::size_t j = 0; j < z.cols(); ++j) {
                T sum = net.biases(l)(0, j);
                for (std::size_t k = 0; k < a.cols(); ++k) sum += a(i, k) * net.weights(l)(k, j);
                z(i, j) = nn::activate(acts[l], sum);
            }
        a = z;
    }
    const auto out = net.forward(x);
    for (std::size_t i = 0; i < out.size(); ++i)
        CHECK(double(out.data()[i]) == doctest::Approx(double(a.data()[i])).epsilon(sizeof(T) == 4 ? 1e-5 : 1e-12));
    // The four-argument form is the per-layer one with the same activation on every hidden layer.
    const nn::NN<T> uniform({3, 4, 2}, Activation::Tanh, Activation::Linear);
    const nn::NN<T> listed({3, 4, 2}, {Activation::Tanh, Activation::Linear});
    CHECK(test::parameters(uniform) == test::parameters(listed));
    CHECK(uniform.activations() == listed.activations());
}

TEST_CASE("per-layer activations are checked layer by layer") {
    using nn::Activation;
    CHECK_THROWS_WITH_AS(nn::NN<float>({2, 3, 1}, {Activation::ReLU, Activation::ReLU, Activation::Sigmoid}),
                         "activations has 3 entries; the arch makes 2 layers, one activation each", nn::Error);
    CHECK_THROWS_WITH_AS(nn::NN<float>({2, 3, 3, 2}, {Activation::ReLU, Activation::Softmax, Activation::Softmax}),
                         "activations[1] is softmax; softmax can only be the output activation", nn::Error);
    CHECK_THROWS_WITH_AS(nn::NN<float>({2, 3, 2}, {Activation::ReLU, static_cast<Activation>(12)}),
                         "activations[1] is not an nn::Activation (value 12)", nn::Error);
    CHECK_THROWS_WITH_AS(nn::NN<float>({2, 3, 2}, {Activation::ReLU, Activation::Tanh}, nn::Loss::CrossEntropy),
                         "the cross_entropy loss needs a softmax output, the output activation is tanh", nn::Error);
    CHECK_THROWS_WITH_AS(nn::NN<float>({2, 3, 1}, {Activation::ReLU, Activation::Softmax}),
                         "a softmax output needs at least 2 outputs, arch.back() is 1", nn::Error);
}

TEST_CASE("summary: one line per layer and the total; operator<< prints it") {
    using nn::Activation;
    const nn::NN<float> net({784, 256, 32, 10}, {Activation::ReLU, Activation::Tanh, Activation::Softmax},
                            nn::Loss::CrossEntropy);
    const std::string expected = "NN<float>: 3 layers, loss cross_entropy\n"
                                 "  layer      in ->    out  activation    parameters\n"
                                 "      0     784 ->    256  relu              200960\n"
                                 "      1     256 ->     32  tanh                8224\n"
                                 "      2      32 ->     10  softmax              330\n"
                                 "  total     784 ->     10                    209514\n";
    CHECK(net.summary() == expected);
    CHECK(net.parameter_count() == 209514);
    std::ostringstream out;
    out << net;
    CHECK(out.str() == expected);
}

TEST_CASE_TEMPLATE("parameters keep their shapes: same-shape assignment works, another shape throws", T, float,
                   double) {
    nn::NN<T> net({2, 3, 1});
    const auto before = test::parameters(net);
    auto& W = net.weights(1);
    CHECK_THROWS_WITH_AS(W = nn::Matrix<T>(3, 2),
                         "cannot assign a 3 x 2 matrix to parameters of shape 3 x 1: a network's weights and biases "
                         "keep the shapes of its arch",
                         nn::Error);
    CHECK_THROWS_AS(net.biases(0) = nn::Matrix<T>(3, 1), nn::Error);
    CHECK_THROWS_AS(net.weights(0) = net.weights(1), nn::Error);
    CHECK_THROWS_AS((net.weights(0) = {{1, 2}, {3, 4}}), nn::Error);
    CHECK(test::parameters(net) == before);
    CHECK(W.rows() == 3);
    CHECK(W.cols() == 1);
    // What code written for a Matrix does still works.
    W(2, 0) = T(0.5);
    CHECK(net.weights(1)(2, 0) == T(0.5));
    W = nn::Matrix<T>{{1}, {2}, {3}};
    T sum = 0;
    for (T w : net.weights(1)) sum += w;
    CHECK(sum == T(6));
    CHECK(net.weights(1).data()[1] == T(2));
    CHECK(net.weights(1).size() == 3);
    net.weights(0) = {{1, 2, 3}, {4, 5, 6}};
    CHECK(net.weights(0)(1, 2) == T(6));
    // Networks of different shapes still copy into each other whole.
    nn::NN<T> other({4, 1});
    other = net;
    CHECK(other.arch() == net.arch());
    CHECK(test::parameters(other) == test::parameters(net));
}

TEST_CASE_TEMPLATE("forward and cost on hand-computed values", T, float, double) {
    auto net = small_net<T>();
    const nn::Matrix<T> out = net.forward(X<T>);
    REQUIRE(out.rows() == 2);
    REQUIRE(out.cols() == 1);
    CHECK(out(0, 0) == doctest::Approx(0.7573432882284745).epsilon(eps_for<T>()));
    CHECK(out(1, 0) == doctest::Approx(0.7014920123119102).epsilon(eps_for<T>()));
    CHECK(net.cost(X<T>, Y<T>) == doctest::Approx(0.27548666155259116).epsilon(eps_for<T>()));
    // A view of one row gives that sample's output; the cost of a batch is the mean of its rows'.
    CHECK(net.forward(X<T>.row(1))(0, 0) == out(1, 0));
    const double mean = (double(net.cost(X<T>.row(0), Y<T>.row(0))) + double(net.cost(X<T>.row(1), Y<T>.row(1)))) / 2;
    CHECK(double(net.cost(X<T>, Y<T>)) == doctest::Approx(mean).epsilon(eps_for<T>()));
}

TEST_CASE_TEMPLATE("predict gives forward's bits for one sample, and its class", T, float, double) {
    using A = nn::Activation;
    nn::Rng rng(3);
    for (nn::NN<T> net : {nn::NN<T>({2, 3, 3, 1}), nn::NN<T>({8, 16, 16, 1}, A::Tanh, A::Linear),
                          nn::NN<T>({32, 64, 64, 8}, A::ReLU, A::Linear),
                          nn::NN<T>({5, 40, 3}, {A::LeakyReLU, A::Softmax}, nn::Loss::CrossEntropy)}) {
        net.init(rng);
        const nn::Matrix<T> X = test::random_matrix<T>(rng, 9, net.inputs());
        const nn::Matrix<T> batch = net.forward(X);
        const std::vector<std::size_t> classes = net.predict_classes(X);
        REQUIRE(classes.size() == 9);
        for (std::size_t i = 0; i < X.rows(); ++i) {
            const std::span<const T> x(X.data() + i * X.cols(), X.cols());
            const nn::Matrix<T> one = net.forward(X.row(i));
            const std::vector<T> y = net.predict(x);
            REQUIRE(y.size() == net.outputs());
            CAPTURE(i);
            CHECK(std::equal(y.begin(), y.end(), one.begin())); // bit for bit
            const std::size_t k = net.outputs() == 1 ? std::size_t(y[0] > T(0.5)) : nn::argmax(y);
            CHECK(net.predict_class(x) == k);
            CHECK(classes[i] == k);
            if (net.outputs() > 1) // a row of a large batch may take other kernels, so the batch's own argmax
                CHECK(classes[i] == nn::argmax(std::span<const T>(batch.data() + i * batch.cols(), batch.cols())));
        }
    }
    const auto net = small_net<T>();
    CHECK(net.predict({1, 2})[0] == doctest::Approx(0.7573432882284745).epsilon(eps_for<T>()));
    CHECK(net.predict_class(std::vector<T>{1, 2}) == 1);
    T out[2];
    CHECK_THROWS_WITH_AS(net.predict(std::vector<T>{1, 2, 3}), "predict was given 3 inputs, the network takes 2",
                         nn::Error);
    CHECK_THROWS_WITH_AS(net.predict(std::vector<T>{1, 2}, out),
                         "predict was given room for 2 outputs, the network gives 1", nn::Error);
    CHECK_THROWS_WITH_AS(net.predict({1, std::numeric_limits<T>::quiet_NaN()}),
                         "input(0, 1) is nan; the input must be finite", nn::Error);
    CHECK_THROWS_WITH_AS(net.predict_classes(nn::Matrix<T>(2, 3)), "X has 3 columns, the network takes 2 inputs",
                         nn::Error);
}

TEST_CASE_TEMPLATE("finite_diff: forward and central differences on the linear model", T, float, double) {
    // arch {1, 1}, Linear: C(w, b) = (1/n) sum (x w + b - y)^2, a quadratic in w, so
    //   forward: (C(w + e) - C(w)) / e = C'(w) + e mean(x^2)    central: exactly C'(w).
    // Every number here is a short binary fraction, so the arithmetic is exact.
    nn::NN<T> net({1, 1}, nn::Activation::Sigmoid, nn::Activation::Linear);
    net.weights(0)(0, 0) = T(0.5);
    net.biases(0)(0, 0) = T(0.25);
    const nn::Matrix<T> x{{1}, {2}, {-1}, {3}}, y{{2}, {1}, {0}, {4}};
    double dw = 0, db = 0, mean_x2 = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        const double r = 0.5 * x(i, 0) + 0.25 - y(i, 0);
        dw += 2 * r * x(i, 0) / 4;
        db += 2 * r / 4;
        mean_x2 += x(i, 0) * x(i, 0) / 4;
    }
    const T e = T(1) / T(1024);
    const auto fwd = net.finite_diff(x, y, e, nn::Diff::Forward);
    const auto mid = net.finite_diff(x, y, e, nn::Diff::Central);
    CHECK(double(fwd.weights(0)(0, 0)) == doctest::Approx(dw + double(e) * mean_x2).epsilon(eps_for<T>() * 100));
    CHECK(double(fwd.biases(0)(0, 0)) == doctest::Approx(db + double(e)).epsilon(eps_for<T>() * 100));
    CHECK(double(mid.weights(0)(0, 0)) == doctest::Approx(dw).epsilon(eps_for<T>() * 100));
    CHECK(double(mid.biases(0)(0, 0)) == doctest::Approx(db).epsilon(eps_for<T>() * 100));
    // The default is the notes' forward difference.
    CHECK(test::flatten(net.finite_diff(x, y, e)) == test::flatten(fwd));
}

TEST_CASE_TEMPLATE("finite_diff puts every parameter back bit for bit", T, float, double) {
    nn::Rng rng(5);
    nn::NN<T> net({3, 4, 2});
    net.randomize(rng, T(-1), T(1));
    const auto before = test::parameters(net);
    const auto x = test::random_matrix<T>(rng, 5, 3);
    const auto y = test::random_matrix<T>(rng, 5, 2, T(0), T(1));
    (void)net.finite_diff(x, y, T(1e-3), nn::Diff::Central);
    (void)net.finite_diff(x, y, T(1e-3), nn::Diff::Forward);
    CHECK(test::parameters(net) == before);
}

TEST_CASE_TEMPLATE("learn moves every parameter by exactly rate * g", T, float, double) {
    nn::Rng rng(11);
    nn::NN<T> net({4, 3, 2});
    net.randomize(rng, T(-1), T(1));
    const auto x = test::random_matrix<T>(rng, 6, 4);
    const auto y = test::random_matrix<T>(rng, 6, 2, T(0), T(1));
    const auto g = net.backprop(x, y);
    const auto before = test::parameters(net);
    const auto grads = test::flatten(g);
    const T rate = T(0.37);
    net.learn(g, rate);
    const auto after = test::parameters(net);
    REQUIRE(after.size() == before.size());
    for (std::size_t i = 0; i < after.size(); ++i) {
        const T step = rate * static_cast<T>(grads[i]);
        CHECK(after[i] == before[i] - step);
    }
    CHECK(test::max_abs(grads) > 0);
}

TEST_CASE_TEMPLATE("backprop into a Gradient sizes it and reuses its storage", T, float, double) {
    nn::Rng rng(12);
    nn::NN<T> net({2, 3, 1});
    net.randomize(rng, T(-1), T(1));
    const auto x = test::random_matrix<T>(rng, 4, 2);
    const auto y = test::random_matrix<T>(rng, 4, 1);
    nn::Gradient<T> g;
    CHECK(g.layers() == 0);
    net.backprop(x, y, g);
    REQUIRE(g.matches(net.arch()));
    const T* storage = g.weights(0).data();
    net.backprop(x, y, g);
    CHECK(g.weights(0).data() == storage);
    CHECK(test::flatten(g) == test::flatten(net.backprop(x, y)));

    nn::Gradient<T> wrong({5, 5});
    net.backprop(x, y, wrong);
    CHECK(test::flatten(wrong) == test::flatten(g));
}

TEST_CASE_TEMPLATE("randomize is deterministic and in range", T, float, double) {
    nn::NN<T> a({3, 7, 2}), b({3, 7, 2});
    nn::Rng ra(9), rb(9);
    a.randomize(ra, T(-0.5), T(0.25));
    b.randomize(rb, T(-0.5), T(0.25));
    CHECK(test::parameters(a) == test::parameters(b));
    for (T p : test::parameters(a)) {
        CHECK(p >= T(-0.5));
        CHECK(p <= T(0.25));
    }
    nn::Rng rc(10);
    b.randomize(rc, T(-0.5), T(0.25));
    CHECK(test::parameters(a) != test::parameters(b));
}

TEST_CASE_TEMPLATE("a copied network computes the same and owns its parameters", T, float, double) {
    nn::Rng rng(4);
    nn::NN<T> a({2, 3, 1});
    a.randomize(rng, T(-1), T(1));
    const auto x = test::random_matrix<T>(rng, 3, 2);
    nn::NN<T> b = a;
    CHECK(b.forward(x) == a.forward(x));
    b.weights(0)(0, 0) += T(1);
    CHECK_FALSE(b.forward(x) == a.forward(x));
}

TEST_CASE_TEMPLATE("bad input throws nn::Error with a clear message and changes nothing", T, float, double) {
    const T nan = std::numeric_limits<T>::quiet_NaN();
    const T inf = std::numeric_limits<T>::infinity();
    nn::Rng rng(8);
    nn::NN<T> net({2, 3, 1});
    net.randomize(rng, T(-1), T(1));
    const auto before = test::parameters(net);
    const nn::Matrix<T> x{{0, 1}, {1, 0}}, y{{1}, {0}};

    SUBCASE("architectures") {
        CHECK_THROWS_WITH_AS(nn::NN<T>({2}), "arch has 1 entry; a network needs at least 2 (inputs and outputs)",
                             nn::Error);
        CHECK_THROWS_WITH_AS(nn::NN<T>({}), "arch has 0 entries; a network needs at least 2 (inputs and outputs)",
                             nn::Error);
        CHECK_THROWS_WITH_AS(nn::NN<T>({2, 0, 1}), "arch[1] is 0; every layer needs at least one neuron", nn::Error);
        CHECK_THROWS_WITH_AS(nn::NN<T>({2, 1}, static_cast<nn::Activation>(9)),
                             "the hidden activation is not an nn::Activation (value 9)", nn::Error);
        CHECK_THROWS_WITH_AS(nn::NN<T>({2, 1}, nn::Activation::Tanh, static_cast<nn::Activation>(-1)),
                             "the output activation is not an nn::Activation (value -1)", nn::Error);
    }
    SUBCASE("X columns") {
        const nn::Matrix<T> x3(2, 3);
        CHECK_THROWS_WITH_AS(net.forward(x3), "X has 3 columns, the network takes 2 inputs", nn::Error);
        CHECK_THROWS_WITH_AS(net.cost(x3, y), "X has 3 columns, the network takes 2 inputs", nn::Error);
        CHECK_THROWS_WITH_AS(net.backprop(x3, y), "X has 3 columns, the network takes 2 inputs", nn::Error);
        CHECK_THROWS_WITH_AS(net.finite_diff(x3, y, T(1e-3)), "X has 3 columns, the network takes 2 inputs", nn::Error);
        nn::NN<T> one({1, 1});
        CHECK_THROWS_WITH_AS(one.forward(x), "X has 2 columns, the network takes 1 input", nn::Error);
    }
    SUBCASE("Y columns and rows") {
        const nn::Matrix<T> y2(2, 2);
        CHECK_THROWS_WITH_AS(net.cost(x, y2), "Y has 2 columns, the network gives 1 output", nn::Error);
        const nn::Matrix<T> y3(3, 1);
        CHECK_THROWS_WITH_AS(net.backprop(x, y3), "Y has 3 rows, X has 2; X and Y need one row per sample", nn::Error);
    }
    SUBCASE("zero samples") {
        const nn::Matrix<T> x0(0, 2), y0(0, 1);
        CHECK_THROWS_WITH_AS(net.forward(x0), "X has no rows; at least one sample is needed", nn::Error);
        CHECK_THROWS_WITH_AS(net.cost(x0, y0), "X has no rows; at least one sample is needed", nn::Error);
        nn::Gradient<T> g;
        CHECK_THROWS_WITH_AS(net.backprop(x0, y0, g), "X has no rows; at least one sample is needed", nn::Error);
        CHECK(g.layers() == 0);
    }
    SUBCASE("NaN and infinity in the data") {
        nn::Matrix<T> bad_x = x;
        bad_x(1, 0) = nan;
        CHECK_THROWS_WITH_AS(net.forward(bad_x), "X(1, 0) is nan; X must be finite", nn::Error);
        nn::Matrix<T> bad_y = y;
        bad_y(0, 0) = -inf;
        CHECK_THROWS_WITH_AS(net.backprop(x, bad_y), "Y(0, 0) is -inf; Y must be finite", nn::Error);
    }
    SUBCASE("eps and rate") {
        CHECK_THROWS_WITH_AS(net.finite_diff(x, y, nan), "finite_diff needs a finite eps > 0, was given nan",
                             nn::Error);
        CHECK_THROWS_WITH_AS(net.finite_diff(x, y, inf, nn::Diff::Central),
                             "finite_diff needs a finite eps > 0, was given inf", nn::Error);
        CHECK_THROWS_WITH_AS(net.finite_diff(x, y, T(0)), "finite_diff needs a finite eps > 0, was given 0", nn::Error);
        CHECK_THROWS_WITH_AS(net.finite_diff(x, y, T(1e-3), static_cast<nn::Diff>(5)),
                             "finite_diff was given an unknown nn::Diff (value 5)", nn::Error);
        const auto g = net.backprop(x, y);
        CHECK_THROWS_WITH_AS(net.learn(g, nan), "learn needs a finite rate >= 0, was given nan", nn::Error);
        CHECK_THROWS_WITH_AS(net.learn(g, -inf), "learn needs a finite rate >= 0, was given -inf", nn::Error);
        CHECK_THROWS_WITH_AS(net.learn(g, T(-1)), "learn needs a finite rate >= 0, was given -1", nn::Error);
        // An eps that cannot move a parameter would divide 0 by 0.
        nn::NN<T> big({2, 3, 1}, nn::Activation::Sigmoid, nn::Activation::Sigmoid, nn::Loss::MSE, {.seed = 8});
        big.weights(0)(0, 0) = T(1e6);
        CHECK_THROWS_WITH_AS(
            big.finite_diff(x, y, T(1e-30)),
            (std::string("finite_diff: eps = 1e-30") +
             " is too small to move weights(0)(0, 0) = 1000000 (p + eps rounds to p); use a larger eps")
                .c_str(),
            nn::Error);
    }
    SUBCASE("a gradient of another shape, or not finite") {
        CHECK_THROWS_WITH_AS(net.learn(nn::Gradient<T>(), T(0.1)), "the gradient has 0 layers, the network has 2",
                             nn::Error);
        CHECK_THROWS_WITH_AS(net.learn(nn::Gradient<T>({2, 4, 1}), T(0.1)),
                             "gradient weights(0) is 2 x 4, the network's arch makes it 2 x 3", nn::Error);
        CHECK_THROWS_WITH_AS(net.learn(nn::Gradient<T>({2, 3, 2}), T(0.1)),
                             "gradient weights(1) is 3 x 2, the network's arch makes it 3 x 1", nn::Error);
        auto h = net.backprop(x, y);
        h.weights(1)(2, 0) = nan; // the last layer: the check must come before any layer is updated
        CHECK_THROWS_WITH_AS(net.learn(h, T(0.1)), "gradient weights(1)(2, 0) is nan; the gradient must be finite",
                             nn::Error);
    }
    SUBCASE("randomize bounds") {
        CHECK_THROWS_WITH_AS(net.randomize(rng, T(1), T(-1)),
                             "randomize needs finite low <= high, was given low = 1, high = -1", nn::Error);
        CHECK_THROWS_AS(net.randomize(rng, T(0), inf), nn::Error);
    }
    SUBCASE("gradient layer index") {
        nn::Gradient<T> g({2, 3, 1});
        CHECK_THROWS_WITH_AS(g.biases(2), "layer 2 is out of range: there are 2 layers", nn::Error);
    }
    CHECK(test::parameters(net) == before);
}

TEST_CASE("activations and losses that do not fit together throw at construction") {
    using nn::Activation;
    using nn::Loss;
    CHECK_THROWS_WITH_AS(nn::NN<float>({2, 3, 2}, Activation::Softmax, Activation::Sigmoid),
                         "softmax can only be the output activation, not the hidden one", nn::Error);
    CHECK_THROWS_WITH_AS(nn::NN<float>({2, 1}, Activation::Sigmoid, Activation::Softmax),
                         "a softmax output needs at least 2 outputs, arch.back() is 1", nn::Error);
    CHECK_THROWS_WITH_AS(nn::NN<float>({2, 2}, Activation::Sigmoid, Activation::Tanh, Loss::CrossEntropy),
                         "the cross_entropy loss needs a softmax output, the output activation is tanh", nn::Error);
    CHECK_THROWS_WITH_AS(nn::NN<float>({2, 2}, Activation::ReLU, Activation::Linear, Loss::BinaryCrossEntropy),
                         "the binary_cross_entropy loss needs a sigmoid output, the output activation is linear",
                         nn::Error);
    CHECK_THROWS_WITH_AS(nn::NN<float>({2, 2}, Activation::ReLU, Activation::Linear, static_cast<Loss>(7)),
                         "the loss is not an nn::Loss (value 7)", nn::Error);
    // These do fit.
    CHECK(nn::NN<float>({2, 3}, Activation::ReLU, Activation::Softmax, Loss::CrossEntropy).loss() ==
          Loss::CrossEntropy);
    CHECK(nn::NN<float>({2, 3}, Activation::ReLU, Activation::Softmax).loss() == Loss::MSE);
    CHECK(nn::NN<float>({2, 1}, Activation::Tanh, Activation::Sigmoid, Loss::BinaryCrossEntropy).outputs() == 1);
}

TEST_CASE("cross-entropy losses take targets in [0, 1] only") {
    nn::NN<double> net({2, 2}, nn::Activation::Sigmoid, nn::Activation::Softmax, nn::Loss::CrossEntropy);
    const nn::Matrix<double> X{{1, 2}}, Y{{-1, 2}};
    CHECK_THROWS_WITH_AS(net.cost(X, Y), "Y(0, 0) is -1; the cross_entropy loss needs targets in [0, 1]", nn::Error);
}

TEST_CASE("softmax with cross-entropy on hand-computed values") {
    // One layer, zero weights, biases (0, ln 3): softmax = (1/4, 3/4) for every sample.
    nn::NN<double> net({2, 2}, nn::Activation::Sigmoid, nn::Activation::Softmax, nn::Loss::CrossEntropy,
                       {.scheme = nn::Init::Zero});
    net.biases(0)(0, 1) = std::log(3.0);
    const nn::Matrix<double> X{{1, 2}, {3, -1}}, Y{{0, 1}, {1, 0}};
    const auto out = net.forward(X);
    CHECK(out(0, 0) == doctest::Approx(0.25).epsilon(1e-15));
    CHECK(out(1, 1) == doctest::Approx(0.75).epsilon(1e-15));
    // C = -(1/2)(log 3/4 + log 1/4); dC/db = (1/n) sum (a - y) = ((1/4 - 1/2), (3/4 - 1/2)) / 1
    CHECK(net.cost(X, Y) == doctest::Approx(-(std::log(0.75) + std::log(0.25)) / 2).epsilon(1e-15));
    const auto g = net.backprop(X, Y);
    CHECK(g.biases(0)(0, 0) == doctest::Approx(-0.25).epsilon(1e-15));
    CHECK(g.biases(0)(0, 1) == doctest::Approx(0.25).epsilon(1e-15));
    // dC/dW = X^T (A - Y) / n: W(0)(0, 0) = (1 (1/4 - 0) + 3 (1/4 - 1)) / 2 = -1
    CHECK(g.weights(0)(0, 0) == doctest::Approx(-1.0).epsilon(1e-15));
}

TEST_CASE_TEMPLATE("init: Xavier and He limits, zero biases, He for ReLU layers by default", T, float, double) {
    nn::NN<T> net({100, 50, 10}, nn::Activation::ReLU, nn::Activation::Sigmoid);
    nn::Rng rng(3);
    auto max_abs = [](const auto& m) {
        T top = 0;
        for (T x : m) top = std::max(top, std::abs(x));
        return double(top);
    };
    net.init(rng); // Auto: He on the ReLU layer, Xavier on the sigmoid output
    const double he = std::sqrt(6.0 / 100), xavier = std::sqrt(6.0 / (50 + 10));
    CHECK(max_abs(net.weights(0)) <= he);
    CHECK(max_abs(net.weights(0)) > 0.95 * he);
    CHECK(max_abs(net.weights(1)) <= xavier);
    CHECK(max_abs(net.weights(1)) > 0.9 * xavier);
    CHECK(max_abs(net.biases(0)) == 0);
    net.init(rng, nn::Init::Xavier);
    CHECK(max_abs(net.weights(0)) <= std::sqrt(6.0 / 150));
    net.init(rng, nn::Init::Uniform);
    CHECK(max_abs(net.weights(0)) <= 1);
    CHECK(max_abs(net.weights(0)) > 0.99);
    CHECK(max_abs(net.biases(1)) > 0);
    CHECK_THROWS_WITH_AS(net.init(rng, static_cast<nn::Init>(9)), "init was given an unknown nn::Init (value 9)",
                         nn::Error);
    nn::NN<T> a({3, 4, 2}), b({3, 4, 2});
    nn::Rng ra(1), rb(1);
    a.init(ra);
    b.init(rb);
    CHECK(test::parameters(a) == test::parameters(b));
}

TEST_CASE("the headers' version is the CMake project's") {
    CHECK(std::to_string(NN_VERSION_MAJOR) + "." + std::to_string(NN_VERSION_MINOR) + "." +
              std::to_string(NN_VERSION_PATCH) ==
          NN_CMAKE_VERSION);
}

TEST_CASE_TEMPLATE("finite inputs that overflow a layer are an nn::Error naming the layer and the scale, never NaN", T,
                   float, double) {
    // Two huge inputs overflow layer 0's sums to inf, which ReLU passes on, and the output layer's
    // weights of both signs make inf - inf: NaN.
    nn::NN<T> net({2, 2, 1}, nn::Activation::ReLU, nn::Activation::Linear);
    net.weights(0) = {{1, 1}, {1, 1}};
    net.weights(1) = {{1}, {-1}};
    const T huge = std::numeric_limits<T>::max() / 4 * 3;
    const nn::Matrix<T> X{{1, 2}, {huge, huge}};
    const std::string too_large = std::string("too large for ") + (sizeof(T) == 4 ? "float" : "double");
    nn::Matrix<T> Y(2, 1);
    CHECK_THROWS_WITH_AS(net.forward(X), doctest::Contains("forward: layer 0's output is"), nn::Error);
    CHECK_THROWS_WITH_AS(net.predict(X.row(1)), doctest::Contains("for sample 0, whose inputs are finite but as large"),
                         nn::Error);
    CHECK_THROWS_WITH_AS(net.cost(X, Y), doctest::Contains(too_large.c_str()), nn::Error);
    // Saturating activations give a finite result for huge inputs: that is no error.
    nn::NN<T> sigmoid({2, 1}, nn::Activation::Sigmoid, nn::Activation::Sigmoid);
    sigmoid.weights(0) = {{1}, {1}};
    CHECK(sigmoid.forward(X)(1, 0) == T(1));
    // The output layer's weighted sum, for a loss that keeps it (cross-entropy).
    nn::NN<T> ce({2, 2}, nn::Activation::Linear, nn::Activation::Softmax, nn::Loss::CrossEntropy);
    ce.weights(0) = {{1, -1}, {1, -1}};
    CHECK_THROWS_WITH_AS(ce.forward(X), doctest::Contains("forward: layer 0's weighted sum is inf for sample 1"),
                         nn::Error);
}
