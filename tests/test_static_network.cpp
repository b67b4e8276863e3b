// nn::StaticNN: a network of compile-time widths gives NN's outputs, takes its parameters from a
// network or a file and refuses another arch, and is a plain value: no heap, noexcept, on the stack.
// nn::Predictor: a network of any arch gives predict's outputs, from a network or a file.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <limits>
#include <span>
#include <type_traits>
#include <vector>

#include "helpers.hpp"
#include <nn/nn.hpp>

namespace {

template <class T, std::size_t... W>
test::Differences static_differences(const nn::NN<T>& net) {
    const nn::StaticNN<T, W...> fixed(net);
    nn::Rng rng(12);
    const nn::Matrix<T> X = test::random_matrix<T>(rng, 32, net.inputs(), T(-2), T(2));
    std::vector<double> outputs;
    for (std::size_t i = 0; i < X.rows(); ++i) {
        std::array<T, nn::StaticNN<T, W...>::inputs> x;
        std::copy(X.data() + i * X.cols(), X.data() + (i + 1) * X.cols(), x.begin());
        for (T y : fixed.forward(x)) outputs.push_back(double(y));
    }
    return test::differences(net, X, outputs);
}

using Xor = nn::StaticNN<float, 2, 3, 3, 1>;
static_assert(Xor::inputs == 2 && Xor::outputs == 1 && Xor::layers == 3);
static_assert(Xor::parameter_count == 2 * 3 + 3 + 3 * 3 + 3 + 3 * 1 + 1);
static_assert(sizeof(Xor) >= Xor::parameter_count * sizeof(float) && alignof(Xor) == 64); // inside, in cache lines
static_assert(std::is_trivially_copyable_v<Xor> && std::is_nothrow_default_constructible_v<Xor>);
static_assert(noexcept(std::declval<const Xor&>().forward(std::declval<const Xor::Input&>())));
static_assert(noexcept(std::declval<const Xor&>().forward(nullptr, nullptr)));

} // namespace

/// Each StaticNN's outputs against NN's and the exact ones: as good as NN::forward's, to float's
/// or double's rounding.
template <class T>
void check_static(std::span<const test::Differences> d) {
    const double tolerance = sizeof(T) == sizeof(float) ? 1e-6 : 1e-14;
    for (std::size_t k = 0; k < d.size(); ++k) {
        CAPTURE(k);
        MESSAGE(k, ": static - forward ", d[k].other_forward, ", static - exact ", d[k].other_exact,
                ", forward - exact ", d[k].forward_exact);
        CHECK(test::as_good_as_forward(d[k], tolerance));
    }
}

TEST_CASE_TEMPLATE("a StaticNN gives NN's outputs on every activation", T, float, double) {
    const std::vector<nn::NN<T>> nets = test::deploy_networks<T>();
    const test::Differences d[] = {
        static_differences<T, 2, 3, 3, 1>(nets[0]), static_differences<T, 8, 16, 16, 1>(nets[1]),
        static_differences<T, 32, 64, 64, 8>(nets[2]), static_differences<T, 5, 40, 3>(nets[3])};
    check_static<T>(d);
}

TEST_CASE_TEMPLATE("a StaticNN gives NN's outputs on layers whose last outputs take narrower vectors", T, float,
                   double) {
    // Outputs past the last whole vector go in the narrower vectors that fit, then one by one. On
    // AVX-512 31 floats are 16 + 8 + 4 + 3, 13 are 8 + 4 + 1 and 7 are 4 + 3 (31 doubles 3 x 8 +
    // 4 + 2 + 1); on AVX2 31 floats are 3 x 8 + 4 + 3. Only a baseline wider than 16 bytes
    // (-march=native: nn_tests_native) reaches the narrower vectors.
    using A = nn::Activation;
    const std::vector<nn::NN<T>> nets = test::randomized<T>(
        {nn::NN<T>({6, 31, 7}, A::Tanh, A::Sigmoid), nn::NN<T>({12, 13, 31}, A::ReLU, A::Linear)}, 9);
    const test::Differences d[] = {static_differences<T, 6, 31, 7>(nets[0]),
                                   static_differences<T, 12, 13, 31>(nets[1])};
    check_static<T>(d);
}

TEST_CASE("a StaticNN takes a network or a file of its arch, refuses another, and lives on the stack") {
    test::Folder folder;
    nn::NN<float> net({8, 16, 16, 1}, nn::Activation::Tanh, nn::Activation::Linear);
    nn::save(net, folder.file("net.safetensors"));
    const auto loaded = nn::load_static<nn::StaticNN<float, 8, 16, 16, 1>>(folder.file("net.safetensors"));
    const nn::StaticNN<float, 8, 16, 16, 1> built(net);
    CHECK(loaded.parameters() == built.parameters());
    CHECK(test::parameters(net) == std::vector<float>(built.parameters().begin(), built.parameters().end()));
    CHECK(built.activation(0) == nn::Activation::Tanh);
    CHECK(built.activation(2) == nn::Activation::Linear);
    CHECK_THROWS_WITH_AS(built.activation(3), "layer 3 is out of range: the network has 3 layers", nn::Error);
    CHECK_THROWS_WITH_AS((nn::StaticNN<float, 8, 16, 1>(net)),
                         "a StaticNN of arch 8,16,1 cannot take a network of arch 8,16,16,1", nn::Error);
    CHECK_THROWS_WITH_AS((nn::load_static<nn::StaticNN<float, 8, 16, 17, 1>>(folder.file("net.safetensors"))),
                         "a StaticNN of arch 8,16,17,1 cannot take a network of arch 8,16,16,1", nn::Error);
    // From the parameters in the flat order and the activations, as an exported network holds them.
    const std::array<nn::Activation, 3> acts{nn::Activation::Tanh, nn::Activation::Tanh, nn::Activation::Linear};
    const nn::StaticNN<float, 8, 16, 16, 1> held(built.parameters(), acts);
    CHECK(held.parameters() == built.parameters());
    CHECK(held.activation(2) == nn::Activation::Linear);
    CHECK_THROWS_WITH_AS((nn::StaticNN<float, 8, 16, 16, 1>(built.parameters(), std::array{nn::Activation::Tanh,
                                                                                           nn::Activation::Softmax,
                                                                                           nn::Activation::Linear})),
                         "activations[1] is softmax; softmax can only be the output activation", nn::Error);
    CHECK_THROWS_WITH_AS((nn::StaticNN<float, 8, 16, 16, 1>(built.parameters(), std::array{nn::Activation::Tanh,
                                                                                           nn::Activation(42),
                                                                                           nn::Activation::Linear})),
                         "activations[1] is not an nn::Activation (value 42)", nn::Error);
    // Several in an array on the stack, assigned and copied as values.
    std::array<nn::StaticNN<float, 8, 16, 16, 1>, 3> nets;
    CHECK(nets[0].forward(std::array<float, 8>{1, 2, 3, 4, 5, 6, 7, 8})[0] == 0.0f); // zero parameters, linear
    nets[1] = built;
    const std::array<float, 8> x{0.5f, -1, 0.25f, 0, 1, 2, -2, 0.125f};
    CHECK(nets[1].forward(x)[0] == built.forward(x)[0]);
    float out[1];
    built.forward(std::span<const float, 8>(x), std::span<float, 1>(out));
    CHECK(out[0] == built.forward(x)[0]);
}

TEST_CASE_TEMPLATE("a Predictor gives predict's outputs, its bits where NN runs the kernels it is built with", T, float,
                   double) {
    const std::vector<nn::NN<T>> nets = test::deploy_networks<T>();
    nn::NN<T> wide({3, 70, 20, 9}, nn::Activation::Sigmoid, nn::Activation::Linear); // rows of 8 vectors and a rest
    nn::Rng rng(6);
    wide.init(rng);
    std::vector<const nn::NN<T>*> all;
    for (const auto& net : nets) all.push_back(&net);
    all.push_back(&wide);
    const double tolerance = sizeof(T) == sizeof(float) ? 1e-6 : 1e-14;
    const bool same_kernels = nn::detail::selected_isa() == nn::detail::Isa::Baseline;
    for (std::size_t k = 0; k < all.size(); ++k) {
        const nn::NN<T>& net = *all[k];
        CAPTURE(k);
        std::vector<nn::Activation> acts;
        for (std::size_t l = 0; l < net.layers(); ++l) acts.push_back(net.activation(l));
        const nn::Predictor<T> predictor(net.arch(), acts,
                                         std::vector<T>(net.parameters().begin(), net.parameters().end()));
        const nn::Matrix<T> X = test::random_matrix<T>(rng, 16, net.inputs(), T(-2), T(2));
        std::vector<double> outputs;
        for (std::size_t i = 0; i < X.rows(); ++i) {
            const std::vector<T> y = predictor.predict(std::span<const T>(X.data() + i * X.cols(), X.cols()));
            const std::vector<T> expected = net.predict(std::span<const T>(X.data() + i * X.cols(), X.cols()));
            if (same_kernels) REQUIRE(y == expected); // the same sums, in the same order
            for (T v : y) outputs.push_back(double(v));
        }
        const test::Differences d = test::differences(net, X, outputs);
        MESSAGE(k, ": predictor - predict ", d.other_forward, ", predictor - exact ", d.other_exact,
                ", predict - exact ", d.forward_exact);
        // Elsewhere NN's kernels fuse the multiply-adds the Predictor's may not: the two agree to the
        // rounding of sums of `widest` terms (2 k u relative, as the kernels' test bounds them).
        std::size_t widest = 0;
        for (std::size_t l = 0; l < net.layers(); ++l) widest = std::max(widest, net.arch()[l]);
        const double bound = 2.0 * double(widest) * double(std::numeric_limits<T>::epsilon());
        CHECK(test::as_good_as_forward(d, std::max(tolerance, bound)));
    }
}

TEST_CASE("a Predictor takes a network or its file, and refuses what does not make one") {
    test::Folder folder;
    nn::NN<float> net({4, 6, 3}, nn::Activation::Tanh, nn::Activation::Softmax, nn::Loss::CrossEntropy);
    nn::save(net, folder.file("net.safetensors"));
    const auto loaded = nn::load_predictor<float>(folder.file("net.safetensors"));
    CHECK(loaded.arch() == net.arch());
    CHECK(loaded.activation(0) == nn::Activation::Tanh);
    CHECK(loaded.activation(1) == nn::Activation::Softmax);
    CHECK(test::parameters(net) == std::vector<float>(loaded.parameters().begin(), loaded.parameters().end()));
    const std::vector<float> y = loaded.predict({0.5f, -1, 2, 0.25f});
    REQUIRE(y.size() == 3);
    CHECK(y[0] + y[1] + y[2] == doctest::Approx(1.0f)); // a softmax
    using A = nn::Activation;
    const std::vector<float> p(net.parameter_count());
    CHECK_THROWS_WITH_AS(nn::Predictor<float>({4}, {}, {}),
                         "a Predictor needs an arch of at least 2 widths, was given 1", nn::Error);
    CHECK_THROWS_WITH_AS(nn::Predictor<float>({4, 0, 3}, {A::Tanh, A::Linear}, p),
                         "arch[1] is 0; every layer needs at least one neuron", nn::Error);
    CHECK_THROWS_WITH_AS(nn::Predictor<float>({4, 6, 3}, {A::Tanh}, p),
                         "a Predictor of 2 layers needs 2 activations, was given 1", nn::Error);
    CHECK_THROWS_WITH_AS(nn::Predictor<float>({4, 6, 3}, {A::Softmax, A::Linear}, p),
                         "activations[0] is softmax; softmax can only be the output activation", nn::Error);
    CHECK_THROWS_WITH_AS(nn::Predictor<float>({4, 6, 3}, {A::Tanh, A(9)}, p),
                         "activations[1] is not an nn::Activation (value 9)", nn::Error);
    CHECK_THROWS_WITH_AS(nn::Predictor<float>({4, 6, 3}, {A::Tanh, A::Linear}, std::vector<float>(50)),
                         "a network of arch 4,6,3 has 51 parameters, the Predictor was given 50", nn::Error);
    CHECK_THROWS_WITH_AS(loaded.predict({1, 2, 3}), "the input has 3 values, the network takes 4", nn::Error);
    float out[2];
    CHECK_THROWS_WITH_AS(loaded.predict(std::vector<float>{1, 2, 3, 4}, out),
                         "the output has room for 2 values, the network gives 3", nn::Error);
    CHECK_THROWS_WITH_AS(loaded.predict({1, std::numeric_limits<float>::quiet_NaN(), 3, 4}),
                         "input(0, 1) is nan; the input must be finite", nn::Error);
    const nn::Predictor<float> huge({1, 1}, {A::Linear}, {3e38f, 0});
    CHECK_THROWS_WITH_AS(huge.predict({10}),
                         "predict: an output is inf for finite inputs as large as 10: too large for float arithmetic "
                         "in this network; scale the inputs (nn::Standardizer)",
                         nn::Error);
    CHECK_THROWS_AS(nn::load_predictor<float>(folder.file("missing.safetensors")), nn::Error);
}
