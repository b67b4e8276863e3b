// nn/static_file.hpp: a nn::StaticNN or nn::Predictor read from a file nn::save wrote, as nn::load
// reads one but straight into it (no NN is built), through the file reader alone.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include <nn/detail/file.hpp>
#include <nn/detail/network_file.hpp>
#include <nn/predictor.hpp>
#include <nn/static_network.hpp>

namespace nn {

template <class Net>
inline constexpr bool is_static_network = false;
template <Real T, std::size_t... Widths>
inline constexpr bool is_static_network<StaticNN<T, Widths...>> = true;

/// The network in the file at `path` as a Net, a StaticNN<T, widths...>; nn::Error when the
/// file's arch is not Net's widths, or the file is not a network.
///     const auto net = nn::load_static<nn::StaticNN<float, 8, 16, 16, 1>>("net.safetensors");
template <class Net>
requires is_static_network<Net> Net load_static(const std::string& path) {
    using T = typename Net::Input::value_type;
    std::array<T, Net::parameter_count> parameters{};
    std::array<Activation, Net::layers> activations{};
    detail::read_network<T>(detail::read_file(path), path.c_str(), {},
                            [&](const std::vector<std::size_t>& arch, const std::vector<Activation>& acts, Loss) {
                                Net::check_arch(arch);
                                for (std::size_t l = 0; l < Net::layers; ++l) activations[l] = acts[l];
                                return std::span<T>(parameters);
                            });
    return Net(parameters, activations);
}

/// The network in the file at `path` as a Predictor<T> (its own arch); nn::Error when the file is
/// not a network.
///     const auto net = nn::load_predictor<float>("net.safetensors");
template <Real T>
Predictor<T> load_predictor(const std::string& path) {
    std::vector<std::size_t> arch;
    std::vector<Activation> activations;
    std::vector<T> parameters;
    detail::read_network<T>(detail::read_file(path), path.c_str(), {},
                            [&](const std::vector<std::size_t>& a, const std::vector<Activation>& acts, Loss) {
                                arch = a;
                                activations = acts;
                                parameters.assign(detail::layer_offset(arch, arch.size() - 1), T(0));
                                return std::span<T>(parameters);
                            });
    return Predictor<T>(std::move(arch), std::move(activations), std::move(parameters));
}

} // namespace nn
