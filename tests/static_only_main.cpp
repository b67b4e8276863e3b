// Saves a trained network with the whole library, then runs static_only.cpp's StaticNN, built
// from the network's parameters through <nn/static_network.hpp> alone, and static_file_only.cpp's,
// loaded through <nn/static_file.hpp> alone, and checks both give the bits of a StaticNN built from
// the network itself; and that the file of another arch, and softmax in a hidden layer, are refused.
// predictor_only.cpp's Predictor, through <nn/predictor.hpp> alone, gives predict's outputs (its
// bits where NN runs the kernels the Predictor is built with; else to rounding).
//     nn_static_only FOLDER
#include <array>
#include <cmath>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include <nn/nn.hpp>

std::array<float, 2> run_held(std::span<const float, 50> parameters, std::span<const nn::Activation, 2> activations,
                              const std::array<float, 3>& input);
std::array<float, 2> run_loaded(const std::string& path, const std::array<float, 3>& input);
std::vector<float> run_predictor(const std::vector<std::size_t>& arch, const std::vector<nn::Activation>& activations,
                                 const std::vector<float>& parameters, const std::vector<float>& input);

int main(int argc, char** argv) {
    if (argc != 2) return std::fprintf(stderr, "usage: %s FOLDER\n", argv[0]), 2;
    const std::string path = std::string(argv[1]) + "/static_only.safetensors";
    const nn::NN<float> net({3, 8, 2}, nn::Activation::Tanh, nn::Activation::Softmax, nn::Loss::CrossEntropy,
                            {.seed = 5});
    nn::save(net, path);
    const nn::StaticNN<float, 3, 8, 2> built(net);
    const std::span<const float, 50> parameters(net.parameters().data(), 50);
    const std::array<nn::Activation, 2> activations{net.activation(0), net.activation(1)};
    int failures = 0;
    for (const std::array<float, 3>& x : {std::array<float, 3>{0.5f, -1.25f, 2}, std::array<float, 3>{-3, 0, 0.125f}}) {
        const std::array<float, 2> loaded = run_loaded(path, x), held = run_held(parameters, activations, x),
                                   expected = built.forward(x);
        std::printf("loaded %.9g %.9g, held %.9g %.9g (built from the network: %.9g %.9g)\n", double(loaded[0]),
                    double(loaded[1]), double(held[0]), double(held[1]), double(expected[0]), double(expected[1]));
        failures += loaded != expected || held != expected;
        const std::vector<float> predicted =
            run_predictor(net.arch(), {net.activation(0), net.activation(1)},
                          std::vector<float>(net.parameters().begin(), net.parameters().end()), {x[0], x[1], x[2]});
        const std::vector<float> reference = net.predict({x[0], x[1], x[2]});
        std::printf("Predictor %.9g %.9g, predict %.9g %.9g\n", double(predicted[0]), double(predicted[1]),
                    double(reference[0]), double(reference[1]));
        for (std::size_t j = 0; j < 2; ++j)
            failures += std::abs(predicted[j] - reference[j]) > 1e-6f * std::abs(reference[j]);
    }
    try {
        run_held(parameters, std::array{nn::Activation::Softmax, nn::Activation::Softmax}, {1, 2, 3});
        std::puts("softmax in a hidden layer was taken");
        ++failures;
    } catch (const nn::Error& e) {
        std::printf("refused: %s\n", e.what());
    }
    nn::save(nn::NN<float>({3, 9, 2}), path);
    try {
        run_loaded(path, {1, 2, 3});
        std::puts("a file of arch 3,9,2 was loaded as 3,8,2");
        ++failures;
    } catch (const nn::Error& e) {
        std::printf("refused: %s\n", e.what());
    }
    return failures == 0 ? 0 : 1;
}
