// detail::format: printf's output in the "C" locale, whatever the program's locale.
#include <doctest/doctest.h>

#include <clocale>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <type_traits>

#include <nn/detail/format.hpp>
#include <nn/error.hpp>
#include <nn/rng.hpp>

namespace {
template <class... Args>
std::string c_printf(const char* format, Args... args) {
    char buffer[512];
    std::snprintf(buffer, sizeof buffer, format, args...);
    return buffer;
}
} // namespace

TEST_CASE("format writes what printf writes in the C locale") {
    REQUIRE(std::string(std::setlocale(LC_NUMERIC, nullptr)) == "C");
    const char* specs[] = {"%g", "%.9g", "%.17g", "%.6g",   "%f",       "%.3f", "%.0f", "%e",      "%.2e", "%E",
                           "%G", "%a",   "%A",    "%12.4f", "%-12.4g|", "%+g",  "% g",  "%012.3f", "%.1f", "%.2f"};
    nn::Rng rng(7);
    for (int k = 0; k < 2000; ++k) {
        // Normal numbers of every size and sign (hexadecimal subnormals are spelled differently by
        // glibc, 0x0.8p-1022 against to_chars' 1p-1023, both exact: left out here).
        const double mantissa = rng.uniform(-10.0, 10.0);
        const double x = k % 50 == 0 ? 0.0 : std::ldexp(mantissa, int(rng.below(200)) - 100);
        for (const char* spec : specs) {
            INFO(spec << " of " << x);
            CHECK(nn::detail::format(spec, x) == c_printf(spec, x));
        }
    }
    for (const double x : {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(), 1e300,
                           -0.0, 0.5, 1.5, 100.0, 123456789.0, 1e-7})
        for (const char* spec : {"%g", "%.9g", "%f", "%e", "%a", "%8.2f", "%-8g|"}) {
            INFO(spec << " of " << x);
            CHECK(nn::detail::format(spec, x) == c_printf(spec, x));
        }
    CHECK(nn::detail::format("%f", std::nan("")).find("nan") != std::string::npos);
}

TEST_CASE("format passes the other conversions through") {
    const std::size_t n = 42;
    const long long big = -1234567890123LL;
    CHECK(nn::detail::format("%zu row%s, %d, %5d|%-5d|, %llu, %lld, %x, %04x, %c, %%", n, "s", -3, 7, 7,
                             18446744073709551615ULL, big, 255u, 10u,
                             'z') == "42 rows, -3,     7|7    |, 18446744073709551615, -1234567890123, ff, 000a, z, %");
    CHECK(nn::detail::format("'%.4s' '%.40s' '%8s' '%-3s|'", "abcdefgh", "short", "right", "l") ==
          "'abcd' 'short' '   right' 'l  |'");
    CHECK(nn::detail::format("%*d|%-*d|%.*f", 4, 1, 3, 2, 2, 0.125) == "   1|2  |0.12");
    CHECK(nn::detail::format("%ld %lu %hd %hhu %jd %td", -5L, 6UL, short(-7), (unsigned char)(8), std::intmax_t(9),
                             std::ptrdiff_t(-10)) == "-5 6 -7 8 9 -10");
    CHECK(nn::detail::format("no conversions") == "no conversions");
    CHECK(nn::detail::format("%.0s|%s", "gone", "") == "|");
}

TEST_CASE("format converts integer arguments as printf does") {
    // Each integer is read as the type its length names and written as a long long: h and hh
    // still convert to short and char first, as printf does.
    // (an int given for %hhd is what a caller's promoted char looks like; the spec is a variable so
    // that -Wformat does not ask for a char)
    const char* narrow = "%hhd %hhu %hd %hu";
    CHECK(nn::detail::format(narrow, 300, 300, 70000, 70000) == c_printf(narrow, 300, 300, 70000, 70000));
    CHECK(nn::detail::format("%#x %#o %#X %+d % d", 255u, 8u, 255u, 5, 5) ==
          c_printf("%#x %#o %#X %+d % d", 255u, 8u, 255u, 5, 5));
    CHECK(nn::detail::format("%zd %zu %lld", std::ptrdiff_t(-3), std::size_t(3), -9000000000LL) == "-3 3 -9000000000");
    CHECK(nn::detail::format("%-*d|%.*d|%*s|", -4, 1, 3, 7, 3, "a") == c_printf("%-*d|%.*d|%*s|", -4, 1, 3, 7, 3, "a"));
}

TEST_CASE("nn::Error holds its message itself, cut with ... past 2047 characters") {
    static_assert(std::is_nothrow_copy_constructible_v<nn::Error>);
    static_assert(std::is_base_of_v<std::exception, nn::Error>);
    const std::string path(3000, 'p');
    try {
        nn::detail::fail("cannot open '%s' (%d)", path.c_str(), 2);
        FAIL("fail returned");
    } catch (const std::exception& e) {
        const std::string what = e.what();
        CHECK(what.size() == 2047);
        CHECK(what.starts_with("cannot open 'ppp"));
        CHECK(what.ends_with("pp..."));
    }
    try {
        nn::detail::fail("cost %.3g at epoch %zu", 0.5, std::size_t(7));
    } catch (const nn::Error& e) {
        const nn::Error copy = e;
        CHECK(std::string(copy.what()) == "cost 0.5 at epoch 7");
    }
    CHECK(std::string(nn::Error(std::string("from a std::string")).what()) == "from a std::string");
    CHECK(std::string(nn::Error(nullptr).what()).empty());
    const std::string exactly(2047, 'x'); // fits: not cut
    CHECK(std::string(nn::Error(exactly).what()) == exactly);
}
