// <nn/static_file.hpp> alone: a StaticNN loaded from a file nn::save wrote, and run (see static_only.cpp).
#include <array>
#include <string>

#include <nn/static_file.hpp>

std::array<float, 2> run_loaded(const std::string& path, const std::array<float, 3>& input) {
    const auto net = nn::load_static<nn::StaticNN<float, 3, 8, 2>>(path);
    return net.forward(input);
}
