// nn/detail/printf.hpp: printf-style formatting that no locale changes, into any sink.
//
// printf writes numbers in the program's locale: under de_DE.UTF-8, printf("%g", 0.5) is "0,5",
// which broke the exported C and the SVG pictures. Everything the library writes goes through
// vprint instead: the floating-point conversions (f F e E g G a A) by std::to_chars, specified as
// printf in the "C" locale; the others (d i u o x X c s p %), which no locale changes without the '
// flag, by snprintf, one at a time. No <string>: nn::Error's messages (error.hpp) are written into
// a fixed buffer, the library's text (format.hpp) into a std::string.
#pragma once

#include <charconv>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include <nn/config.hpp>

#if defined(__GNUC__)
#define NN_DETAIL_PRINTF(format_index, first_arg) __attribute__((format(printf, format_index, first_arg)))
#else
#define NN_DETAIL_PRINTF(format_index, first_arg)
#endif

// NN_DETAIL_COLD: the formatter is optimised for size. It writes messages, files and progress
// lines, where its speed does not matter and its compile time (in every file that can throw) does.
#if defined(__GNUC__)
#define NN_DETAIL_COLD __attribute__((cold))
#else
#define NN_DETAIL_COLD
#endif

namespace nn::detail {

/// Where vprint writes: write(context, text, size) for each piece, in order.
struct Sink {
    void (*write)(void* context, const char* text, std::size_t size);
    void* context;

    void put(const char* text, std::size_t size) const {
        if (size) write(context, text, size);
    }
    void pad(std::size_t count, char c) const {
        char run[32];
        for (char& r : run) r = c;
        for (; count > sizeof run; count -= sizeof run) put(run, sizeof run);
        put(run, count);
    }
};

/// A message of at most Capacity - 1 characters, kept in place (no allocation, a copy that cannot
/// throw): what nn::Error holds. Text beyond it is cut and the message ends in "...".
template <std::size_t Capacity>
struct FixedText {
    char text[Capacity] = {};
    std::size_t size = 0;

    Sink sink() { return {write, this}; }
    static void write(void* context, const char* piece, std::size_t count) {
        FixedText& t = *static_cast<FixedText*>(context);
        std::size_t k = 0;
        for (; k < count && t.size < Capacity - 1; ++k) t.text[t.size++] = piece[k];
        if (k < count) // cut
            for (std::size_t d = Capacity - 4; d < Capacity - 1; ++d) t.text[d] = '.';
        t.text[t.size] = '\0';
    }
};

/// One floating-point conversion: x as printf would write it with these flags, width and
/// precision (-1: none) in the "C" locale.
NN_DETAIL_COLD inline void put_floating(const Sink& out, double x, char conversion, bool left, bool plus, bool space,
                                        bool zero, int width, int precision) {
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
    char* body = digits;
    char sign[4] = {};
    std::size_t signs = 0;
    if (body[0] == '-') {
        sign[signs++] = '-';
        ++body;
    } else if (plus || space) {
        sign[signs++] = plus ? '+' : ' ';
    }
    const std::size_t size = std::size_t(r.ptr - body);
    const bool finite = !(size == 3 && (body[0] == 'i' || body[0] == 'n')); // not inf, nan
    if (lower == 'a' && finite) sign[signs++] = '0', sign[signs++] = 'x';
    if (conversion != lower) { // F E G A: upper-case letters
        for (char* c = body; c != r.ptr; ++c) *c = (*c >= 'a' && *c <= 'z') ? char(*c - 'a' + 'A') : *c;
        if (lower == 'a' && finite) sign[signs - 1] = 'X';
    }
    const std::size_t length = signs + size;
    const std::size_t pad = width > 0 && std::size_t(width) > length ? std::size_t(width) - length : 0;
    if (!left && !(zero && finite)) out.pad(pad, ' ');
    out.put(sign, signs);
    if (!left && zero && finite) out.pad(pad, '0');
    out.put(body, size);
    if (left) out.pad(pad, ' ');
}

/// Writes n >= 0 in decimal at out (at most 10 characters); returns how many.
inline std::size_t decimal(char* out, int n) {
    char reversed[10];
    std::size_t size = 0;
    do reversed[size++] = char('0' + n % 10);
    while ((n /= 10) > 0);
    for (std::size_t k = 0; k < size; ++k) out[k] = reversed[size - 1 - k];
    return size;
}

/// Writes printf(format, args...) to out, in the "C" locale whatever the program's. (A template
/// on nothing, as the other out-of-line functions of the library, so that the compiled mode can
/// compile it once: see NN_DETAIL_OUT_OF_LINE in config.hpp.)
template <class = void>
NN_DETAIL_COLD void vprint(const Sink& out, const char* format, std::va_list args) {
    for (const char* p = format; *p;) {
        if (*p != '%') {
            const char* next = p;
            while (*next && *next != '%') ++next;
            out.put(p, std::size_t(next - p));
            p = next;
            continue;
        }
        const char* spec = p++; // the conversion spec runs from spec to p
        bool left = false, plus = false, space = false, zero = false, alternative = false;
        for (;; ++p) {
            if (*p == '-')
                left = true;
            else if (*p == '+')
                plus = true;
            else if (*p == ' ')
                space = true;
            else if (*p == '0')
                zero = true;
            else if (*p == '#')
                alternative = true;
            else
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
        case '%': out.put("%", 1); continue;
        case 'f':
        case 'F':
        case 'e':
        case 'E':
        case 'g':
        case 'G':
        case 'a':
        case 'A': {
            const double x = length == 'L' ? double(va_arg(args, long double)) : va_arg(args, double);
            put_floating(out, x, conversion, left, plus, space, zero, width, precision);
            continue;
        }
        default: break;
        }
        // The others, one at a time through snprintf with the argument of the type the length names
        // (the spec written out again, with width and precision as numbers: no * left to read).
        char one[64];
        {
            std::size_t k = 0;
            one[k++] = '%';
            if (left) one[k++] = '-';
            if (plus) one[k++] = '+';
            if (space) one[k++] = ' ';
            if (zero) one[k++] = '0';
            if (alternative) one[k++] = '#';
            if (width > 0) k += decimal(one + k, width);
            if (precision >= 0) {
                one[k++] = '.';
                k += decimal(one + k, precision);
            }
            const bool integer = conversion == 'd' || conversion == 'i' || conversion == 'u' || conversion == 'o' ||
                                 conversion == 'x' || conversion == 'X';
            if (integer)
                one[k++] = 'l', one[k++] = 'l'; // every integer is written as a long long
            else if (length != 0)
                one[k++] = length;
            one[k++] = conversion;
            one[k] = '\0';
        }
        char buffer[128];
        int n = 0;
        switch (conversion) {
        case 'd':
        case 'i':
        case 'u':
        case 'o':
        case 'x':
        case 'X': {
            // The argument read as the type its length names, converted as printf converts it (h,
            // hh), and written as a long long: one snprintf for every length.
            const bool is_unsigned = conversion != 'd' && conversion != 'i';
            using U = unsigned long long;
            U bits = 0;
            switch (length) {
            case 'l': bits = is_unsigned ? va_arg(args, unsigned long) : U(va_arg(args, long)); break;
            case 'Q': bits = is_unsigned ? va_arg(args, U) : U(va_arg(args, long long)); break;
            case 'j': bits = is_unsigned ? va_arg(args, std::uintmax_t) : U(va_arg(args, std::intmax_t)); break;
            case 'z':
            case 't': bits = is_unsigned ? va_arg(args, std::size_t) : U(va_arg(args, std::ptrdiff_t)); break;
            default: bits = is_unsigned ? va_arg(args, unsigned) : U(va_arg(args, int));
            }
            if (length == 'h') bits = is_unsigned ? U(static_cast<unsigned short>(bits)) : U(static_cast<short>(bits));
            if (length == 'H')
                bits = is_unsigned ? U(static_cast<unsigned char>(bits)) : U(static_cast<signed char>(bits));
            n = is_unsigned ? std::snprintf(buffer, sizeof buffer, one, bits)
                            : std::snprintf(buffer, sizeof buffer, one, static_cast<long long>(bits));
            break;
        }
        case 'c': n = std::snprintf(buffer, sizeof buffer, one, va_arg(args, int)); break;
        case 'p': n = std::snprintf(buffer, sizeof buffer, one, va_arg(args, void*)); break;
        case 's': {
            const char* s = va_arg(args, const char*);
            if (!s) s = "(null)";
            std::size_t size = 0; // at most `precision` characters, and no read past them
            while ((precision < 0 || size < std::size_t(precision)) && s[size]) ++size;
            const std::size_t pad = width > 0 && std::size_t(width) > size ? std::size_t(width) - size : 0;
            if (!left) out.pad(pad, ' ');
            out.put(s, size);
            if (left) out.pad(pad, ' ');
            continue;
        }
        default: out.put(spec, std::size_t(p - spec)); continue; // not a conversion printf knows: written as it stands
        }
        if (n > 0) out.put(buffer, std::size_t(n) < sizeof buffer ? std::size_t(n) : sizeof buffer - 1);
    }
}

} // namespace nn::detail

NN_DETAIL_OUT_OF_LINE(void nn::detail::vprint<void>(const nn::detail::Sink&, const char*, std::va_list));
