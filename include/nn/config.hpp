// nn/config.hpp: the library's compile-time switches, each with its default, and the element
// types it computes in.
//
// Every switch is an NN_-prefixed macro that a user may define before including <nn/nn.hpp>
// (or on the compiler's command line). The README's "Configuration" section lists them all.
#pragma once

#include <concepts>

// The library's version (kept equal to the version in CMakeLists.txt).
#define NN_VERSION_MAJOR 0
#define NN_VERSION_MINOR 2
#define NN_VERSION_PATCH 0

// NN_ASSERT(cond, msg): checks an invariant inside the library's hot loops, where an exception
// would cost too much. Bad input at the API boundary is reported with nn::Error instead.
//   - Define NN_ASSERT yourself to route failures anywhere you like.
//   - Define NN_ASSERT_THROWS to make a failed assertion throw nn::AssertionError (the test suite
//     does this, so that every precondition can be tested).
//   - Otherwise, a failed assertion prints the condition and aborts; with NDEBUG it is compiled out.
#ifndef NN_ASSERT
#if defined(NN_ASSERT_THROWS)
#define NN_ASSERT(cond, msg) ((cond) ? (void)0 : ::nn::detail::throw_assertion(#cond, msg, __FILE__, __LINE__))
#elif defined(NDEBUG)
#define NN_ASSERT(cond, msg) ((void)0)
#else
#define NN_ASSERT(cond, msg) ((cond) ? (void)0 : ::nn::detail::abort_assertion(#cond, msg, __FILE__, __LINE__))
#endif
#endif

// NN_ALIGNMENT: the byte alignment of every Matrix's storage (a power of two, at least
// alignof(std::max_align_t)). 64 is one cache line and one AVX-512 register.
#ifndef NN_ALIGNMENT
#define NN_ALIGNMENT 64
#endif

// NN_USE_CBLAS: define it (and link a CBLAS, e.g. -lopenblas or -lcblas) to hand the large matrix
// products to cblas_sgemm / cblas_dgemm instead of the library's own GEMM. Off by default: the
// library then depends on nothing. With a BLAS, bit-identical results across thread counts are
// that BLAS's business.

// NN_COMPILED: the compiled mode. Each translation unit built with it declares the library's
// templates for float and double (NN, Gradient, Matrix, the run-time dispatched kernels, and the
// readers of files and the formatting of messages) `extern template` and does not compile them
// again, which cuts its compile time by half or more.
// One place in the program must then compile them, once: the CMake target nn::compiled (a static
// library of src/compiled.cpp, which defines NN_COMPILED for its users), or, as single-file
// libraries do it, one source file of your own that defines NN_IMPLEMENTATION before including
// <nn/nn.hpp>:
//     #define NN_IMPLEMENTATION   // in exactly one file; the others are built with -DNN_COMPILED
//     #include <nn/nn.hpp>
// Header-only use (nn::nn, or the include path alone) defines neither. Build every file with the
// same flags.
#if defined(NN_IMPLEMENTATION) && !defined(NN_COMPILED)
#define NN_COMPILED
#endif

// NN_DETAIL_OUT_OF_LINE(declaration): what the compiled mode compiles once besides the classes
// that nn.hpp lists: the functions that read files and format messages, which are templates (on
// nothing, or on T) so that a program compiles them only where it calls them. Written after the
// definition: an explicit instantiation in the NN_IMPLEMENTATION file, a declaration of it
// (extern template) in the compiled mode's other files, nothing header-only.
#if defined(NN_IMPLEMENTATION)
#define NN_DETAIL_OUT_OF_LINE(...) template __VA_ARGS__
#elif defined(NN_COMPILED)
#define NN_DETAIL_OUT_OF_LINE(...) extern template __VA_ARGS__
#else
#define NN_DETAIL_OUT_OF_LINE(...) static_assert(true)
#endif

// NN_DETAIL_DEFINITIONS: 1 header-only and in the NN_IMPLEMENTATION file; 0 in the compiled mode's
// other files, which read the file readers' declarations (csv, onnx, JSON) and not their code.
#if !defined(NN_COMPILED) || defined(NN_IMPLEMENTATION)
#define NN_DETAIL_DEFINITIONS 1
#else
#define NN_DETAIL_DEFINITIONS 0
#endif

// NN_NO_DISPATCH: compile the kernels for the build's own instruction set only (see
// nn/detail/simd.hpp), without the copies for AVX2 and AVX-512 that are otherwise chosen at run
// time.

// Threads: compile with -fopenmp and the large products and element-wise loops use
// OMP_NUM_THREADS threads, with results bit-identical to one thread. Without it, one thread.

namespace nn {

/// The element types the library computes in: float and double (the activations' bit tricks
/// know these two formats; long double, whose format varies by platform, is not one of them).
template <class T>
concept Real = std::same_as<T, float> || std::same_as<T, double>;

} // namespace nn
