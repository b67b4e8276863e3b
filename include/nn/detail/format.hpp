// nn/detail/format.hpp: the library's text, printf-style, the same under every locale: append
// and format write a std::string through vprint (detail/printf.hpp); shortest and parse_double
// write and read numbers exactly; error_of turns an exception into its message.
#pragma once

#include <charconv>
#include <cstdarg>
#include <cstddef>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include <nn/detail/arch.hpp>
#include <nn/detail/printf.hpp>

namespace nn::detail {

/// A Sink that appends to out.
inline Sink string_sink(std::string& out) {
    const auto write = [](void* context, const char* text, std::size_t size) {
        static_cast<std::string*>(context)->append(text, size);
    };
    return {write, &out};
}

/// Appends printf(format, args...) to out, in the "C" locale whatever the program's.
inline void vappend(std::string& out, const char* format, std::va_list args) { vprint(string_sink(out), format, args); }

/// Appends printf(format, ...) to out, in the "C" locale whatever the program's.
NN_DETAIL_PRINTF(2, 3) inline void append(std::string& out, const char* format, ...) {
    std::va_list args;
    va_start(args, format);
    vappend(out, format, args);
    va_end(args);
}

/// printf(format, ...) as a std::string, in the "C" locale whatever the program's.
///     detail::format("cost %.6g", 0.5)   // "cost 0.5" under any locale
NN_DETAIL_PRINTF(1, 2) inline std::string format(const char* format, ...) {
    std::string out;
    std::va_list args;
    va_start(args, format);
    vappend(out, format, args);
    va_end(args);
    return out;
}

/// x as the shortest decimal that reads back (std::from_chars) as the same double, so exact:
/// "0.1", "1e+300", "inf", "nan".
/// For a float, the shortest decimal that reads back as the same float: "0.01", not 0.0099999998.
template <class F>
requires std::is_floating_point_v<F> std::string shortest(F x) {
    char digits[32];
    const std::to_chars_result r = std::to_chars(digits, digits + sizeof digits, x);
    return std::string(digits, r.ptr);
}

/// The double a whole text spells (as shortest writes it), or false.
inline bool parse_double(std::string_view text, double& value) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

/// "10,20,6": an arch as files' metadata write it (put_arch, in arch.hpp), as a std::string.
inline std::string join_arch(std::span<const std::size_t> arch) {
    std::string text;
    put_arch(string_sink(text), arch);
    return text;
}

/// The message of what `f` throws, or "" when it returns: for code that must go on and report
/// (a checkpoint that cannot be written) or agree with other processes before it throws.
template <class F>
std::string error_of(F&& f) {
    try {
        f();
        return {};
    } catch (const std::exception& e) {
        const std::string what = e.what();
        return what.empty() ? std::string("an exception with an empty message") : what;
    } catch (...) {
        return "an exception that is not a std::exception";
    }
}

} // namespace nn::detail
