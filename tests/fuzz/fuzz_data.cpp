// libFuzzer target: the FANN and CSV readers on arbitrary bytes must read or throw nn::Error.
// The first byte picks the reader and the CSV options.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nn/nn.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t pick = data[0];
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    try {
        if (pick & 1) {
            (void)nn::detail::parse_fann<float>(text, "input");
        } else {
            nn::CsvOptions options;
            options.delimiter = (pick & 2) ? ';' : (pick & 128) ? ' ' : 0; // 0: detected
            options.skip_rows = (pick >> 2) & 1;
            if (pick & 32)
                options.header = (pick & 4) != 0;
            else
                options.header.reset(); // detected
            if (pick & 64) options.targets = nn::CsvTargets::Values;
            options.label_column = (pick & 8) ? 0 : -1;
            if (pick & 16) options.classes = {"a", "b", "1"};
            (void)nn::detail::parse_csv<double>(text, "input", options);
        }
    } catch (const nn::Error&) {
    }
    return 0;
}
