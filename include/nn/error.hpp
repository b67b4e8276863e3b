// nn/error.hpp: how the library reports problems.
//
// Two tiers: nn::Error (an exception) for bad input at the API boundary, whose message says what
// was expected and what was given; NN_ASSERT (see config.hpp) for invariants inside hot loops.
#pragma once

#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>

#include <nn/config.hpp>
#include <nn/detail/format.hpp>

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
    char message[1024];
    std::snprintf(message, sizeof message, "%s:%d: nn assertion failed: %s (%s)", file, line, cond, msg);
    throw AssertionError(message);
}

#if defined(__GNUC__)
#define NN_DETAIL_PRINTF_COLD __attribute__((cold, noinline, format(printf, 1, 2)))
#else
#define NN_DETAIL_PRINTF_COLD
#endif

/// Throws nn::Error with a printf-formatted message, the same under every locale (see
/// detail/format.hpp): fail("X has %zu columns", n). One plain out-of-line function, so that the
/// checks cost their callers little code and compile time.
[[noreturn]] NN_DETAIL_PRINTF_COLD inline void fail(const char* format, ...) {
    std::string message;
    std::va_list args;
    va_start(args, format);
    vappend(message, format, args);
    va_end(args);
    throw Error(message);
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

/// "s" when n is not 1, for messages like "has %zu column%s".
inline const char* plural(std::size_t n) { return n == 1 ? "" : "s"; }

} // namespace detail
} // namespace nn
