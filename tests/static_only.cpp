// The deployment header alone: this file includes <nn/static_network.hpp> and nothing else of the
// library, loads a network file into a StaticNN and runs it (tests/lean_header.sh checks which
// headers that pulls in; static_only_main.cpp writes the file and checks the outputs).
#include <array>
#include <string>

#include <nn/static_network.hpp>

std::array<float, 2> run_loaded(const std::string& path, const std::array<float, 3>& input) {
    const auto net = nn::StaticNN<float, 3, 8, 2>::load(path);
    return net.forward(input);
}
