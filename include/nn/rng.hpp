// nn/rng.hpp: nn::Rng, a small seeded random number generator that gives the same numbers on
// every platform and compiler (the standard library's distributions do not promise that).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include <nn/matrix.hpp>

namespace nn {

/// xoshiro256** (Blackman and Vigna), seeded through splitmix64: fast, 2^256 - 1 period, and
/// fully specified, so a seed means the same numbers everywhere.
///     nn::Rng rng(42);
///     double u = rng.uniform(-1.0, 1.0);
/// It is a UniformRandomBitGenerator, so it also works with the <random> distributions.
class Rng {
public:
    using result_type = std::uint64_t;

    explicit Rng(std::uint64_t seed = 0) {
        for (auto& s : state_) {
            seed += 0x9e3779b97f4a7c15ULL; // splitmix64
            std::uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            s = z ^ (z >> 31);
        }
    }

    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return ~result_type(0); }

    /// The next 64 random bits.
    result_type operator()() {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    /// A uniform number between low and high (high itself only by rounding): the top 53 (double) or 24 (float) bits of
    /// one draw. The scaling is one explicitly fused multiply-add, rounded once: a compiler may not
    /// contract or split it, so every compiler, flag and platform gives the same bits.
    template <Real T>
    T uniform(T low, T high) {
        constexpr int bits = std::numeric_limits<T>::digits;
        const T unit = static_cast<T>((*this)() >> (64 - bits)) * (T(1) / static_cast<T>(std::uint64_t(1) << bits));
        return std::fma(high - low, unit, low); // unit is exact, a multiple of 2^-bits
    }

    /// A uniform integer in [0, n), n > 0, without modulo bias: draws below 2^64 mod n are
    /// rejected, so the rest fall evenly on the n residues.
    std::uint64_t below(std::uint64_t n) {
        NN_ASSERT(n > 0, "Rng::below needs n > 0");
        const std::uint64_t threshold = (0 - n) % n;
        for (;;) {
            const std::uint64_t x = (*this)();
            if (x >= threshold) return x % n;
        }
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t state_[4];
};

} // namespace nn
