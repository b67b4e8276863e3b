// nn/error.hpp: how the library reports problems.
//
// Two tiers: nn::Error (an exception) for bad input at the API boundary, whose message says what
// was expected and what was given; NN_ASSERT (see config.hpp) for invariants inside hot loops.
#pragma once

#include <concepts>
#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include <nn/config.hpp>
#include <nn/detail/printf.hpp>

namespace nn {

namespace detail {

/// A std::exception whose message it holds itself, up to 2,047 characters (longer ones are cut
/// and end in "..."): no allocation, a copy that cannot throw, and no <string> to compile.
class MessageException : public std::exception {
public:
    explicit MessageException(const char* message) noexcept {
        if (message) text_.sink().put(message, std::strlen(message));
    }
    template <class Text>
    requires requires(const Text& t) {
        { t.c_str() } -> std::convertible_to<const char*>;
    }
    explicit MessageException(const Text& message) noexcept : MessageException(message.c_str()) {}
    const char* what() const noexcept override { return text_.text; }

private:
    FixedText<2048> text_;
};

} // namespace detail

/// Thrown for bad input: wrong shapes, non-finite numbers, malformed files.
/// When it is thrown, the network's parameters and any file on disk are unchanged.
/// A std::exception, made from a C string or a std::string.
///     try { net.backprop(X, Y); } catch (const nn::Error& e) { std::puts(e.what()); }
class Error : public detail::MessageException {
public:
    using MessageException::MessageException;
};

/// Thrown by a failed NN_ASSERT when NN_ASSERT_THROWS is defined (the test suite's setting).
class AssertionError : public detail::MessageException {
public:
    using MessageException::MessageException;
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
    FixedText<2048> message;
    std::va_list args;
    va_start(args, format);
    vprint(message.sink(), format, args);
    va_end(args);
    throw Error(message.text);
}

/// "s" when n is not 1, for messages like "has %zu column%s".
inline const char* plural(std::size_t n) { return n == 1 ? "" : "s"; }

} // namespace detail
} // namespace nn
