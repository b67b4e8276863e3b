// nn/error.hpp: how the library reports problems.
//
// Two tiers: nn::Error (an exception) for bad input at the API boundary, whose message says what
// was expected and what was given; NN_ASSERT (see config.hpp) for invariants inside hot loops.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <nn/config.hpp>

namespace nn {

/// Thrown for bad input: wrong shapes, non-finite numbers, malformed files.
/// When it is thrown, the network's parameters and any file on disk are unchanged.
///     try { net.backprop(X, Y); } catch (const nn::Error& e) { std::puts(e.what()); }
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Thrown by a failed NN_ASSERT when NN_ASSERT_THROWS is defined (the test suite's setting).
class AssertionError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

namespace detail {

[[noreturn]] inline void abort_assertion(const char* cond, const char* msg, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: nn assertion failed: %s (%s)\n", file, line, cond, msg);
    std::abort();
}

[[noreturn]] inline void throw_assertion(const char* cond, const char* msg, const char* file, int line) {
    throw AssertionError(std::string(file) + ":" + std::to_string(line) + ": nn assertion failed: " + cond + " (" +
                         msg + ")");
}

/// Builds an error message from pieces: to_text("X has ", 3, " columns").
inline std::string to_text(const std::string& s) { return s; }
inline std::string to_text(const char* s) { return s; }
template <class N>
requires std::is_integral_v<N> std::string to_text(N n) { return std::to_string(n); }
template <class F>
requires std::is_floating_point_v<F> std::string to_text(F x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(x));
    return buf;
}
template <class... Parts>
[[noreturn]] void fail(const Parts&... parts) {
    throw Error((std::string() + ... + to_text(parts)));
}

} // namespace detail
} // namespace nn
