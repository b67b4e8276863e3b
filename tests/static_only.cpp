// The deployment headers alone: this file includes <nn/static_network.hpp> and nothing else of the
// library and runs a StaticNN built from parameters it is given; static_file_only.cpp includes
// <nn/static_file.hpp> alone and loads one from a file (tests/lean_header.sh checks which headers
// each pulls in; static_only_main.cpp writes the file and checks the outputs).
#include <array>
#include <span>

#include <nn/static_network.hpp>

std::array<float, 2> run_held(std::span<const float, 50> parameters, std::span<const nn::Activation, 2> activations,
                              const std::array<float, 3>& input) {
    const nn::StaticNN<float, 3, 8, 2> net(parameters, activations);
    return net.forward(input);
}
