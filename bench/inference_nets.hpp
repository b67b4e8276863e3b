// The networks bench_inference times, one definition for the benchmark and for the program that
// exports them to C (bench_inference_export): the three shapes of issue 11 and a large one, with
// parameters drawn from a fixed seed, so that both build the same networks.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nn/nn.hpp>

namespace bench {

struct InferenceShape {
    const char* name; // also the exported C function's prefix
    std::vector<std::size_t> arch;
    nn::Activation hidden, output;
};

inline const std::vector<InferenceShape>& inference_shapes() {
    using A = nn::Activation;
    static const std::vector<InferenceShape> shapes = {
        {"s2_3_3_1", {2, 3, 3, 1}, A::Sigmoid, A::Sigmoid},
        {"s8_16_16_1", {8, 16, 16, 1}, A::Tanh, A::Linear},
        {"s32_64_64_8", {32, 64, 64, 8}, A::ReLU, A::Linear},
        {"s784_256_128_10", {784, 256, 128, 10}, A::ReLU, A::Linear},
    };
    return shapes;
}

inline nn::NN<float> inference_net(const InferenceShape& s) {
    nn::NN<float> net(s.arch, s.hidden, s.output);
    nn::Rng rng(21);
    net.init(rng);
    for (std::size_t l = 0; l < net.layers(); ++l)
        for (float& b : net.biases(l)) b = rng.uniform(-0.5f, 0.5f);
    return net;
}

} // namespace bench
