// nn/detail/format.hpp: printf-style formatting that no locale changes.
//
// The C library's printf writes numbers in the program's locale (LC_NUMERIC): under de_DE.UTF-8,
// printf("%g", 0.5) is "0,5" and printf("%a", 0.5) "0x1p-1" but "0x1,8p+0" for 1.5, which broke the
// exported C and the SVG pictures. Everything the library writes goes through append() instead:
// the floating-point conversions (f F e E g G a A) by std::to_chars, which is specified as printf
// in the "C" locale; the others (d i u o x X c s p %), which no locale changes without the ' flag,
// by snprintf, one conversion at a time.
#pragma once

#include <charconv>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <type_traits>

#include <nn/config.hpp>

#if defined(__GNUC__)
#define NN_DETAIL_PRINTF(format_index, first_arg) __attribute__((format(printf, format_index, first_arg)))
#else
#define NN_DETAIL_PRINTF(format_index, first_arg)
#endif

namespace nn::detail {

/// One floating-point conversion: x as printf would write it with these flags, width and
/// precision (-1: none) in the "C" locale.
inline void append_floating(std::string& out, double x, char conversion, bool left, bool plus, bool space, bool zero,
                            int width, int precision) {
    const char lower = char(conversion | 0x20);
    const std::chars_format format = lower == 'f'   ? std::chars_format::fixed
                                     : lower == 'e' ? std::chars_format::scientific
                                     : lower == 'g' ? std::chars_format::general
                                                    : std::chars_format::hex;
    if (precision < 0 && lower != 'a') precision = 6;
    char digits[400]; // %f of the largest double: 309 digits before the point
    std::to_chars_result r = precision < 0 ? std::to_chars(digits, digits + sizeof digits, x, format)
                                           : std::to_chars(digits, digits + sizeof digits, x, format, precision);
    if (r.ec != std::errc()) { // a precision too large for the buffer: fewer digits, never an overrun
        r = std::to_chars(digits, digits + sizeof digits, x, format, 17);
    }
    std::string body(digits, r.ptr);
    std::string sign;
    if (!body.empty() && body[0] == '-') {
        sign = "-";
        body.erase(0, 1);
    } else if (plus) {
        sign = "+";
    } else if (space) {
        sign = " ";
    }
    const bool finite = body != "inf" && body != "nan";
    if (lower == 'a' && finite) sign += "0x";
    if (conversion != lower) { // F E G A: upper-case letters
        for (char& c : body) c = (c >= 'a' && c <= 'z') ? char(c - 'a' + 'A') : c;
        if (lower == 'a' && finite) sign[sign.size() - 1] = 'X';
    }
    const std::size_t length = sign.size() + body.size();
    const std::size_t pad = width > 0 && std::size_t(width) > length ? std::size_t(width) - length : 0;
    if (left) {
        out += sign;
        out += body;
        out.append(pad, ' ');
    } else if (zero && finite) {
        out += sign;
        out.append(pad, '0');
        out += body;
    } else {
        out.append(pad, ' ');
        out += sign;
        out += body;
    }
}

/// Appends printf(format, args...) to out, in the "C" locale whatever the program's. (A template
/// on nothing, as the other out-of-line functions of the library, so that the compiled mode can
/// compile it once: see NN_DETAIL_OUT_OF_LINE in config.hpp.)
template <class = void>
void vappend(std::string& out, const char* format, std::va_list args) {
    for (const char* p = format; *p;) {
        if (*p != '%') {
            const char* next = p;
            while (*next && *next != '%') ++next;
            out.append(p, std::size_t(next - p));
            p = next;
            continue;
        }
        const char* spec = p++; // the conversion spec runs from spec to p
        bool left = false, plus = false, space = false, zero = false;
        for (;; ++p) {
            if (*p == '-')
                left = true;
            else if (*p == '+')
                plus = true;
            else if (*p == ' ')
                space = true;
            else if (*p == '0')
                zero = true;
            else if (*p != '#')
                break;
        }
        int width = 0, precision = -1;
        if (*p == '*') {
            width = va_arg(args, int);
            if (width < 0) left = true, width = -width;
            ++p;
        } else {
            while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
        }
        if (*p == '.') {
            ++p;
            precision = 0;
            if (*p == '*') {
                precision = va_arg(args, int);
                ++p;
            } else {
                while (*p >= '0' && *p <= '9') precision = precision * 10 + (*p++ - '0');
            }
        }
        char length = 0; // h H(hh) l L(ll) j z t, or L for long double
        if (*p == 'h')
            length = *++p == 'h' ? (++p, 'H') : 'h';
        else if (*p == 'l')
            length = *++p == 'l' ? (++p, 'Q') : 'l';
        else if (*p == 'j' || *p == 'z' || *p == 't' || *p == 'L')
            length = *p++;
        const char conversion = *p;
        if (conversion == '\0') break; // a lone % at the end: nothing to write
        ++p;
        switch (conversion) {
        case '%': out += '%'; continue;
        case 'f':
        case 'F':
        case 'e':
        case 'E':
        case 'g':
        case 'G':
        case 'a':
        case 'A': {
            const double x = length == 'L' ? double(va_arg(args, long double)) : va_arg(args, double);
            append_floating(out, x, conversion, left, plus, space, zero, width, precision);
            continue;
        }
        default: break;
        }
        // The others, one at a time through snprintf with the argument of the type the length names
        // (width and precision written out, so that no * is left to read).
        std::string one(spec, p);
        if (one.find('*') != std::string::npos) {
            one = "%";
            if (left) one += '-';
            if (plus) one += '+';
            if (space) one += ' ';
            if (zero) one += '0';
            if (width > 0) one += std::to_string(width);
            if (precision >= 0) one += '.' + std::to_string(precision);
            if (length == 'H')
                one += "hh";
            else if (length == 'Q')
                one += "ll";
            else if (length != 0)
                one += length;
            one += conversion;
        }
        char buffer[128];
        int n = 0;
        const bool is_unsigned = conversion == 'u' || conversion == 'o' || conversion == 'x' || conversion == 'X';
        switch (conversion) {
        case 'd':
        case 'i':
        case 'u':
        case 'o':
        case 'x':
        case 'X':
            switch (length) {
            case 'l':
                n = is_unsigned ? std::snprintf(buffer, sizeof buffer, one.c_str(), va_arg(args, unsigned long))
                                : std::snprintf(buffer, sizeof buffer, one.c_str(), va_arg(args, long));
                break;
            case 'Q':
                n = is_unsigned ? std::snprintf(buffer, sizeof buffer, one.c_str(), va_arg(args, unsigned long long))
                                : std::snprintf(buffer, sizeof buffer, one.c_str(), va_arg(args, long long));
                break;
            case 'j':
                n = is_unsigned ? std::snprintf(buffer, sizeof buffer, one.c_str(), va_arg(args, std::uintmax_t))
                                : std::snprintf(buffer, sizeof buffer, one.c_str(), va_arg(args, std::intmax_t));
                break;
            case 'z':
            case 't':
                n = is_unsigned ? std::snprintf(buffer, sizeof buffer, one.c_str(), va_arg(args, std::size_t))
                                : std::snprintf(buffer, sizeof buffer, one.c_str(), va_arg(args, std::ptrdiff_t));
                break;
            default: // int, and what printf promotes to int (h, hh)
                n = is_unsigned ? std::snprintf(buffer, sizeof buffer, one.c_str(), va_arg(args, unsigned))
                                : std::snprintf(buffer, sizeof buffer, one.c_str(), va_arg(args, int));
            }
            break;
        case 'c': n = std::snprintf(buffer, sizeof buffer, one.c_str(), va_arg(args, int)); break;
        case 'p': n = std::snprintf(buffer, sizeof buffer, one.c_str(), va_arg(args, void*)); break;
        case 's': {
            const char* s = va_arg(args, const char*);
            if (!s) s = "(null)";
            std::size_t size = 0; // at most `precision` characters, and no read past them
            while ((precision < 0 || size < std::size_t(precision)) && s[size]) ++size;
            const std::size_t pad = width > 0 && std::size_t(width) > size ? std::size_t(width) - size : 0;
            if (!left) out.append(pad, ' ');
            out.append(s, size);
            if (left) out.append(pad, ' ');
            continue;
        }
        default: out.append(spec, p); continue; // not a conversion printf knows: written as it stands
        }
        if (n > 0) out.append(buffer, std::size_t(n) < sizeof buffer ? std::size_t(n) : sizeof buffer - 1);
    }
}

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

} // namespace nn::detail

NN_DETAIL_OUT_OF_LINE(void nn::detail::vappend<void>(std::string&, const char*, std::va_list));
