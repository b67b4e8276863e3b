// nn/detail/simd.hpp: the SIMD layer. Vector types, loads and stores, by_vectors, parallel_for,
// and the choice of instruction set at run time.
//
// The kernels (products.hpp, elementwise.hpp, updates.hpp, gemm.hpp) are written once over
// GCC/Clang vector types of vector_bytes bytes and compiled once per instruction set, each copy in
// a namespace of its own:
//   baseline  the flags the program is built with (SSE2 on plain x86-64 -O2, NEON on AArch64, and
//             so on; any compiler);
//   avx2      AVX2 and FMA, 32-byte vectors;
//   avx512    AVX-512 (F, VL, DQ, BW), 64-byte vectors;
// the last two on x86-64 with GCC or Clang only, under `#pragma GCC target` (Clang: `#pragma clang
// attribute`), and only when the baseline does not already have them (with -march=native on an
// AVX2 machine, avx2 is the baseline itself). nn/detail/kernels.hpp includes this file and the
// kernels once per namespace, with NN_DETAIL_TARGET_BYTES set, and with_kernels runs the copy
// selected_isa() names: the CPU's best, found once with __builtin_cpu_supports. Everything that
// touches a vector type lives in the per-target part, because a function of one target that takes
// or returns a wider target's vector by value, or is always inlined into it, does not compile.
//
// This file has two parts: the part above NN_DETAIL_TARGET_BYTES, read once; and the part
// below it, read once per target, inside that target's namespace, so it includes no header.
//
// NN_NO_DISPATCH (define it before including <nn/nn.hpp>): compile the baseline only, for the
// smallest code and compile time, or to get the same bits on every machine from one binary.

#ifndef NN_DETAIL_SIMD_ONCE
#define NN_DETAIL_SIMD_ONCE

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include <nn/config.hpp>

#if defined(_OPENMP)
#include <omp.h>
#endif

// For the element loops and the lambdas that hold them: inlined where they are written, so that
// the loop sees its restrict pointers and constant arguments (GCC with -fopenmp kept a lambda given
// to parallel_for as a function of its own, whose loop no longer vectorised).
#if defined(__GNUC__)
#define NN_DETAIL_ALWAYS_INLINE __attribute__((always_inline))
#else
#define NN_DETAIL_ALWAYS_INLINE
#endif

// The micro-kernel's multiply-adds become fused multiply-adds where the target has them, whatever
// -ffp-contract the program is built with (GCC's C++ default is fast; Clang's is on, which fuses
// within one expression only, not across the statements of the loop); and GCC vectorises the
// copy of a partial tile at -O2 as at -O3 (its -O2 cost model leaves loops of unknown length scalar).
#if defined(__clang__)
#define NN_DETAIL_CONTRACT_PRAGMA _Pragma("clang fp contract(fast)")
#define NN_DETAIL_CONTRACT_ATTRIBUTE
#elif defined(__GNUC__)
#define NN_DETAIL_CONTRACT_PRAGMA
#define NN_DETAIL_CONTRACT_ATTRIBUTE __attribute__((optimize("fp-contract=fast", "vect-cost-model=dynamic")))
#else
#define NN_DETAIL_CONTRACT_PRAGMA
#define NN_DETAIL_CONTRACT_ATTRIBUTE
#endif

// Loops over a handful of elements, best left scalar: GCC and Clang otherwise vectorise them along
// a dimension of 1 or 2, behind run-time tests of the strides that cost more than the sums.
#if defined(__clang__)
#define NN_DETAIL_SCALAR_ATTRIBUTE
#define NN_DETAIL_SCALAR_LOOP _Pragma("clang loop vectorize(disable) interleave(disable)")
#elif defined(__GNUC__)
#define NN_DETAIL_SCALAR_ATTRIBUTE __attribute__((optimize("no-tree-vectorize")))
#define NN_DETAIL_SCALAR_LOOP
#else
#define NN_DETAIL_SCALAR_ATTRIBUTE
#define NN_DETAIL_SCALAR_LOOP
#endif

// A sum of products carried round a loop, `sum = NN_DETAIL_FUSED(sum + x * y)`, kept one fused
// multiply-add. GCC tuned for AMD Zen (`-march=znver*`, and `-march=native` on Zen: `--param
// avoid-fma-max-bits=256`) splits such a multiply-add of vectors up to 256 bits, or of scalars, into
// a multiply and an add, while the same sum unrolled stays fused: one sample's path and the batch's
// would round differently, and a native build differently from the kernels chosen at run time.
// Under those tunings the add feeds a barrier, not the loop, and stays fused; no instruction is
// added. A scalar's barrier is __builtin_assoc_barrier (GCC 12), an expression that moves with the
// sum (an asm does not: a product common to two unswitched copies of a loop was hoisted apart from
// its add); a vector's is an empty asm, as GCC 12 takes a vector's assoc_barrier apart lane by lane,
// and only up to the width the tuning splits (a wider sum is left fused by it). The loop's vectors
// must be the target's (no wider); a loop with the asm is not vectorised. Fused chains are longer
// than the split ones (a native one-sample predict took 8-18% longer), as in the default build.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) &&                                                 \
    (defined(__tune_znver1__) || defined(__tune_znver2__) || defined(__tune_znver3__) || defined(__tune_znver4__) ||   \
     defined(__tune_znver5__))
#if defined(__tune_znver5__) // (GCC 14 avoids 512-bit chains there too)
#define NN_DETAIL_FUSED_BYTES 64
#else
#define NN_DETAIL_FUSED_BYTES 32
#endif
#if __has_builtin(__builtin_assoc_barrier)
#define NN_DETAIL_SCALAR_BARRIER(x) x = __builtin_assoc_barrier(x)
#else // (GCC 11: see above)
#define NN_DETAIL_SCALAR_BARRIER(x) __asm__("" : "+v"(x))
#endif
#define NN_DETAIL_FUSED(sum)                                                                                           \
    __extension__({                                                                                                    \
        auto nn_detail_fused_ = (sum);                                                                                 \
        if constexpr (std::is_floating_point_v<decltype(nn_detail_fused_)>)                                            \
            NN_DETAIL_SCALAR_BARRIER(nn_detail_fused_);                                                                \
        else if constexpr (sizeof(nn_detail_fused_) <= NN_DETAIL_FUSED_BYTES)                                          \
            __asm__("" : "+v"(nn_detail_fused_));                                                                      \
        nn_detail_fused_;                                                                                              \
    })
#else
#define NN_DETAIL_FUSED(sum) (sum)
#endif

// A bit cast that is no function call: std::bit_cast is a function of the baseline target, which
// may not return a wider target's vector.
#if defined(__GNUC__) || defined(_MSC_VER)
#define NN_DETAIL_BIT_CAST(To, x) __builtin_bit_cast(To, x)
#else
#include <bit>
#define NN_DETAIL_BIT_CAST(To, x) std::bit_cast<To>(x)
#endif

// The baseline's vector width, from the target's macros.
#if defined(__AVX512F__)
#define NN_DETAIL_BASELINE_BYTES 64
#elif defined(__AVX__)
#define NN_DETAIL_BASELINE_BYTES 32
#else
#define NN_DETAIL_BASELINE_BYTES 16
#endif

// Run-time dispatch: x86-64 with GCC or Clang (whose target pragmas and __builtin_cpu_supports it
// needs), unless NN_NO_DISPATCH. NN_DETAIL_AVX2 / NN_DETAIL_AVX512: a copy of its own is compiled.
#if !defined(NN_NO_DISPATCH) && defined(__x86_64__) && defined(__GNUC__)
#define NN_DETAIL_DISPATCH 1
#else
#define NN_DETAIL_DISPATCH 0
#endif
#if NN_DETAIL_DISPATCH && !(defined(__AVX2__) && defined(__FMA__))
#define NN_DETAIL_AVX2 1
#else
#define NN_DETAIL_AVX2 0
#endif
#if NN_DETAIL_DISPATCH &&                                                                                              \
    !(defined(__AVX512F__) && defined(__AVX512VL__) && defined(__AVX512DQ__) && defined(__AVX512BW__))
#define NN_DETAIL_AVX512 1
#else
#define NN_DETAIL_AVX512 0
#endif

#if defined(__clang__)
#define NN_DETAIL_PUSH_TARGET(isa)                                                                                     \
    _Pragma(NN_DETAIL_STRINGIFY(clang attribute push(__attribute__((target(isa))), apply_to = function)))
#define NN_DETAIL_POP_TARGET _Pragma("clang attribute pop")
#else
#define NN_DETAIL_PUSH_TARGET(isa) _Pragma("GCC push_options") _Pragma(NN_DETAIL_STRINGIFY(GCC target(isa)))
#define NN_DETAIL_POP_TARGET _Pragma("GCC pop_options")
#endif
#define NN_DETAIL_STRINGIFY(x) #x

namespace nn::detail {

/// The instruction sets the kernels are compiled for.
enum class Isa { Baseline, Avx2, Avx512 };

/// The best instruction set that this CPU (and its operating system, which must save the wide
/// registers) supports and this program has kernels for.
inline Isa detect_isa() {
#if NN_DETAIL_DISPATCH
    __builtin_cpu_init(); // needed when called before the constructors of libgcc have run
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw"))
        return Isa::Avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
#endif
    return Isa::Baseline;
}

#if NN_DETAIL_DISPATCH
/// The kernels' instruction set, chosen once: detect_isa(), or a lower one named by the
/// environment variable NN_SIMD ("baseline", "avx2"), and changed only by select_isa(). An int
/// read and written with GCC's atomic built-ins (dispatch needs GCC or Clang anyway), which cost
/// no include of <atomic>.
inline int& isa_choice() {
    static int choice = [] {
        const Isa best = detect_isa();
        const char* asked = std::getenv("NN_SIMD");
        if (asked && std::strcmp(asked, "baseline") == 0) return static_cast<int>(Isa::Baseline);
        if (asked && std::strcmp(asked, "avx2") == 0 && best == Isa::Avx512) return static_cast<int>(Isa::Avx2);
        return static_cast<int>(best);
    }();
    return choice;
}
#endif

/// The copy of the kernels every call runs.
inline Isa selected_isa() {
#if NN_DETAIL_DISPATCH
    return static_cast<Isa>(__atomic_load_n(&isa_choice(), __ATOMIC_RELAXED));
#else
    return Isa::Baseline;
#endif
}

/// Runs the kernels of `isa` from now on, or of the best this CPU has below it; returns the one
/// chosen. For the tests and benchmarks, which compare the copies: not while kernels run.
inline Isa select_isa([[maybe_unused]] Isa isa) {
#if NN_DETAIL_DISPATCH
    const Isa best = detect_isa();
    if (static_cast<int>(isa) > static_cast<int>(best)) isa = best;
    __atomic_store_n(&isa_choice(), static_cast<int>(isa), __ATOMIC_RELAXED);
    return isa;
#else
    return Isa::Baseline;
#endif
}

} // namespace nn::detail

namespace nn {

/// Which kernels this program runs, and how they were chosen: "avx2+fma (chosen at run time)" for
/// a program built with plain -O2 on an AVX2 machine, "avx2+fma (baseline)" for one built with
/// -march=native there, "sse2 (baseline)" with NN_NO_DISPATCH. The benchmarks print it.
inline const char* simd_path() {
    switch (detail::selected_isa()) {
    case detail::Isa::Avx512: return NN_DETAIL_AVX512 ? "avx512 (chosen at run time)" : "avx512 (baseline)";
    case detail::Isa::Avx2: return NN_DETAIL_AVX2 ? "avx2+fma (chosen at run time)" : "avx2+fma (baseline)";
    case detail::Isa::Baseline: break;
    }
#if defined(__AVX512F__)
    return "avx512 (baseline)";
#elif defined(__AVX2__) && defined(__FMA__)
    return "avx2+fma (baseline)";
#elif defined(__AVX__)
    return "avx (baseline)";
#elif defined(__SSE2__) || defined(_M_X64)
    return "sse2 (baseline)";
#elif defined(__ARM_NEON)
    return "neon (baseline)";
#else
    return "portable (baseline)";
#endif
}

} // namespace nn

#endif // NN_DETAIL_SIMD_ONCE

// ---- The per-target part: read inside nn::detail::<target>, with NN_DETAIL_TARGET_BYTES set. ----
#if defined(NN_DETAIL_TARGET_BYTES)

/// The width of this target's vectors, in bytes.
inline constexpr std::size_t vector_bytes = NN_DETAIL_TARGET_BYTES;

/// This target's vectors of T, and masks of the same shape.
template <Real T>
struct Lanes {
    typedef T Vector __attribute__((vector_size(vector_bytes)));
    using Lane = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
    typedef Lane Mask __attribute__((vector_size(vector_bytes))); // lanes of all ones or all zeros
    static constexpr std::size_t count = vector_bytes / sizeof(T);
};

/// One vector (or one element, for U = T) read from or written to any address.
template <class U, class T>
NN_DETAIL_ALWAYS_INLINE inline U load(const T* p) {
    U u;
    std::memcpy(&u, p, sizeof(U));
    return u;
}
template <class U, class T>
NN_DETAIL_ALWAYS_INLINE inline void store(T* p, const U& u) {
    std::memcpy(p, &u, sizeof(U));
}

/// Vectors of `bytes` bytes of T (any arithmetic T): the narrower vectors by_vectors ends with.
template <class T, std::size_t bytes>
struct VectorOf {
    typedef T type __attribute__((vector_size(bytes)));
};

/// update(i, Vec()) for i = first, first + lanes, ... while a whole vector of Vec fits below last,
/// then for what is left one vector of half that width if it fits, of a quarter, and so on down to
/// 16 bytes, then update(i, T()) for each element left: an element loop written once for every
/// width, so that the vectors and the tail do the same arithmetic, and a row of 7 doubles takes
/// three vectors and one element rather than seven elements. Explicit vectors, because GCC's -O2
/// keeps such loops scalar.
template <class Vec, Real T, class Update>
NN_DETAIL_ALWAYS_INLINE inline void by_vectors(std::size_t first, std::size_t last, const Update& update) {
    constexpr std::size_t W = sizeof(Vec) / sizeof(T);
    std::size_t i = first;
    for (; i + W <= last; i += W) update(i, Vec());
    if constexpr (sizeof(Vec) > 16) return by_vectors<typename VectorOf<T, sizeof(Vec) / 2>::type, T>(i, last, update);
    for (; i < last; ++i) update(i, T());
}

/// Within a parallel region (`team`): body(first, last) over this thread's contiguous share of
/// [0, count); without a team, over all of it.
template <class Body>
NN_DETAIL_ALWAYS_INLINE inline void team_share(std::size_t count, [[maybe_unused]] bool team, const Body& body) {
#if defined(_OPENMP)
    if (team) {
        const auto threads = static_cast<std::size_t>(omp_get_num_threads());
        const auto t = static_cast<std::size_t>(omp_get_thread_num());
        return body(count * t / threads, count * (t + 1) / threads);
    }
#endif
    body(0, count);
}

#if defined(_OPENMP)
/// body(first, last) on each of the OpenMP threads, over one contiguous range each. A function of
/// its own, so that the caller's code outside the parallel region is compiled as without OpenMP.
template <class Body>
__attribute__((noinline)) void parallel_region(std::size_t count, const Body& body) {
#pragma omp parallel
    team_share(count, true, body);
}
#endif

/// True when parallel_for(count, threaded, ..) runs its body on a team of OpenMP threads.
NN_DETAIL_ALWAYS_INLINE inline bool in_team([[maybe_unused]] std::size_t count, [[maybe_unused]] bool threaded) {
#if defined(_OPENMP)
    return threaded && count > 1 && omp_get_max_threads() > 1;
#else
    return false;
#endif
}

/// body(first, last) over [0, count): with OpenMP and `threaded`, split into one contiguous range
/// per thread; otherwise in one call, with no OpenMP runtime call at all. Callers compute each
/// index alone, so the split never changes a result.
template <class Body>
NN_DETAIL_ALWAYS_INLINE inline void parallel_for(std::size_t count, [[maybe_unused]] bool threaded, const Body& body) {
#if defined(_OPENMP)
    if (in_team(count, threaded)) return parallel_region(count, body);
#endif
    body(0, count);
}

/// Within the body of a parallel_for for which in_team was `team`: waits for the team's other
/// threads. Without a team, nothing (a barrier there would bind to a caller's own region).
NN_DETAIL_ALWAYS_INLINE inline void team_barrier([[maybe_unused]] bool team) {
#if defined(_OPENMP)
    if (team) {
#pragma omp barrier
    }
#endif
}

/// The most threads a parallel_for for which in_team was `team` runs its body on.
NN_DETAIL_ALWAYS_INLINE inline std::size_t team_size([[maybe_unused]] bool team) {
#if defined(_OPENMP)
    if (team) return static_cast<std::size_t>(omp_get_max_threads());
#endif
    return 1;
}

/// Within the body of a parallel_for for which in_team was `team`: this thread's number, below
/// team_size(team) as read before the region.
NN_DETAIL_ALWAYS_INLINE inline std::size_t team_rank([[maybe_unused]] bool team) {
#if defined(_OPENMP)
    if (team) return static_cast<std::size_t>(omp_get_thread_num());
#endif
    return 0;
}

#endif // NN_DETAIL_TARGET_BYTES
