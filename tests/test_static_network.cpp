// nn::StaticNN: a network of compile-time widths gives NN's outputs, takes its parameters from a
// network or a file and refuses another arch, and is a plain value: no heap, noexcept, on the stack.
#include <doctest/doctest.h>

#include <array>
#include <type_traits>
#include <vector>

#include "helpers.hpp"
#include <nn/static_network.hpp>

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

TEST_CASE_TEMPLATE("a StaticNN gives NN's outputs on every activation", T, float, double) {
    const std::vector<nn::NN<T>> nets = test::deploy_networks<T>();
    const double tolerance = sizeof(T) == sizeof(float) ? 1e-6 : 1e-14;
    const test::Differences d[] = {
        static_differences<T, 2, 3, 3, 1>(nets[0]), static_differences<T, 8, 16, 16, 1>(nets[1]),
        static_differences<T, 32, 64, 64, 8>(nets[2]), static_differences<T, 5, 40, 3>(nets[3])};
    for (std::size_t k = 0; k < 4; ++k) {
        CAPTURE(k);
        MESSAGE(k, ": static - forward ", d[k].other_forward, ", static - exact ", d[k].other_exact,
                ", forward - exact ", d[k].forward_exact);
        CHECK(test::as_good_as_forward(d[k], tolerance));
    }
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
