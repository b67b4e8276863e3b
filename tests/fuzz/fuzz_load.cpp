// libFuzzer target: nn::load's parser on arbitrary bytes must load or throw nn::Error, nothing else
// (no crash, no undefined behaviour, no allocation sized by an unchecked number).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nn/nn.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    try {
        (void)nn::detail::parse_safetensors<float>(bytes, "input", {});
    } catch (const nn::Error&) {
    }
    try { // as for a file without metadata, whose activations the caller names
        (void)nn::detail::parse_safetensors<double>(
            bytes, "input", {true, {}, nn::Activation::Tanh, nn::Activation::Linear, nn::Loss::MSE});
    } catch (const nn::Error&) {
    }
    return 0;
}
