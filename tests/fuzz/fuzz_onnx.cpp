// libFuzzer target: nn's ONNX reader on arbitrary bytes must load a network or throw nn::Error,
// nothing else (no crash, no undefined behaviour, no allocation sized by an unchecked number).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nn/onnx.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    try {
        (void)nn::detail::onnx::parse_model<float>(bytes, "input");
    } catch (const nn::Error&) {
    }
    try {
        (void)nn::detail::onnx::parse_model<double>(bytes, "input");
    } catch (const nn::Error&) {
    }
    return 0;
}
