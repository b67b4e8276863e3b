// <nn/predictor.hpp> alone (tests/lean_header.sh checks which headers it pulls in): a Predictor
// built from the parameters it is given; static_only_main.cpp checks its outputs.
#include <cstddef>
#include <vector>

#include <nn/predictor.hpp>

std::vector<float> run_predictor(const std::vector<std::size_t>& arch, const std::vector<nn::Activation>& activations,
                                 const std::vector<float>& parameters, const std::vector<float>& input) {
    const nn::Predictor<float> net(arch, activations, parameters);
    return net.predict(input);
}
