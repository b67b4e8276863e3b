// nn/activation.hpp: the activation functions and their exact derivatives.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>
#include <span>
#include <type_traits>

#include <nn/config.hpp>
#include <nn/detail/simd.hpp>
#include <nn/error.hpp>

namespace nn {

/// The activation of a layer: a(l+1) = act(a(l) . W(l) + b(l)).
enum class Activation {
    Sigmoid,   ///< 1 / (1 + e^-z), the notes' sigma (eq. 9)
    Tanh,      ///< tanh z
    ReLU,      ///< max(0, z)
    LeakyReLU, ///< z for z > 0, 0.01 z otherwise
    Linear,    ///< z (for a regression output)
    Softmax,   ///< e^z_j / sum_k e^z_k over each row: the output layer only
};

/// The slope of LeakyReLU for z <= 0.
inline constexpr double leaky_relu_slope = 0.01;

/// The activation's lowercase name: "sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax".
inline const char* name(Activation act) {
    switch (act) {
    case Activation::Sigmoid: return "sigmoid";
    case Activation::Tanh: return "tanh";
    case Activation::ReLU: return "relu";
    case Activation::LeakyReLU: return "leaky_relu";
    case Activation::Linear: return "linear";
    case Activation::Softmax: return "softmax";
    }
    return "unknown";
}

/// True for the enumerators above (false for a value cast from an out-of-range integer).
inline bool is_valid(Activation act) {
    switch (act) {
    case Activation::Sigmoid:
    case Activation::Tanh:
    case Activation::ReLU:
    case Activation::LeakyReLU:
    case Activation::Linear:
    case Activation::Softmax: return true;
    }
    return false;
}

namespace detail {

/// The integer type of T's size, for bit manipulation.
template <Real T>
using SameSizeInt = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;

/// 1/0!, 1/1!, ..., 1/13!: the Taylor coefficients of e^r.
inline constexpr double inverse_factorials[] = {
    1.0,        1.0,         1.0 / 2,      1.0 / 6,       1.0 / 24,       1.0 / 120,       1.0 / 720,
    1.0 / 5040, 1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800};

/// The degree of the polynomial taylor_exp evaluates: e^r to r^7 (float) or r^13 (double), whose
/// first term left out is below half an ulp for |r| <= ln(2)/2; (e^r - 1) / r one less.
template <Real T, bool expm1>
inline constexpr std::size_t taylor_degree = (sizeof(T) == 4 ? 7 : 13) - (expm1 ? 1 : 0);

/// How taylor_exp groups its sums, for the exported C to follow: the sum of the `count`
/// coefficients from `first` (with the powers of r from r^0) is, for count > 1, the sum of the
/// first `half` of them plus r^half times the sum of the rest, half the largest power of two below
/// count (Estrin's scheme).
constexpr std::size_t estrin_half(std::size_t count) { return std::bit_floor(count - 1); }

// The element-wise functions below are written once for a scalar T and for the GCC/Clang vectors
// V of T of every target (I: the integer vector of V's shape), so that the kernels vectorise at any
// optimisation level and give the same bits in a vector's lanes and in the scalar tail. They work
// in place on a reference: a function of the baseline target may not take or return a wider
// target's vector by value (see nn/detail/simd.hpp), but is inlined into it this way.

/// The range reduction of e^x and tanh: x = n ln 2 + r with n = round(x / ln 2) and |r| <= ln(2)/2
/// (ln 2 split in two, so that n ln 2 is exact). x becomes r; n is in the low bits of t, the sum
/// of x / ln 2 and 1.5 * 2^mantissa that rounded it to a whole number (exponent_of reads it).
/// (In place, through references, as every function here: see below.)
template <Real T, class V>
NN_DETAIL_ALWAYS_INLINE inline void reduce_ln2(V& x, V& t) {
    constexpr int mantissa = std::numeric_limits<T>::digits - 1;
    constexpr bool single = sizeof(T) == 4;
    const V magic = V{} + T(1.5) * T(std::int64_t(1) << mantissa);
    t = x * T(1.4426950408889634) + magic;
    const V n = t - magic;
    const T ln2_hi = single ? T(0.693145751953125) : T(0.6931471803691238);
    const T ln2_lo = single ? T(1.428606765330187e-06) : T(1.9082149292705877e-10);
    x = (x - n * ln2_hi) - n * ln2_lo;
}

/// n = the whole number of reduce_ln2, from its t, as the lanes' integers.
template <Real T, class V, class I>
NN_DETAIL_ALWAYS_INLINE inline void exponent_of(const V& t, I& n) {
    constexpr int mantissa = std::numeric_limits<T>::digits - 1;
    const V magic = V{} + T(1.5) * T(std::int64_t(1) << mantissa);
    n = NN_DETAIL_BIT_CAST(I, t) - NN_DETAIL_BIT_CAST(I, magic);
}

/// sum = c(first) + c(first + 1) r + ... + c(first + count - 1) r^(count - 1), c(k) the Taylor
/// coefficient 1/(k + shift)!, by Estrin's scheme (estrin_half); powers[j] = r^(2^j).
template <Real T, std::size_t first, std::size_t count, std::size_t shift, class V>
NN_DETAIL_ALWAYS_INLINE inline void estrin(const V* powers, V& sum) {
    if constexpr (count == 1) {
        sum = V{} + T(inverse_factorials[first + shift]);
    } else {
        constexpr std::size_t half = estrin_half(count);
        V high;
        estrin<T, first, half, shift>(powers, sum);
        estrin<T, first + half, count - half, shift>(powers, high);
        sum = sum + high * powers[std::countr_zero(half)];
    }
}

/// p = e^r by its Taylor polynomial of taylor_degree, or without its constant term (`expm1`)
/// (e^r - 1) / r = 1 + r/2 + ...: 1 + r E(r), E by Estrin's scheme (about four multiply-adds in a
/// row where Horner's rule takes thirteen, which is most of a sigmoid's latency), the last step
/// alone, so that the rounding of the sum is one operation's, as with Horner's rule: within 1 ulp.
template <Real T, bool expm1, class V>
NN_DETAIL_ALWAYS_INLINE inline void taylor_exp(const V& r, V& p) {
    constexpr std::size_t degree = taylor_degree<T, expm1>;
    V powers[4];
    powers[0] = r;
    for (std::size_t j = 1; j < 4; ++j) powers[j] = powers[j - 1] * powers[j - 1];
    estrin<T, 1, degree, expm1 ? 1 : 0>(powers, p);
    p = T(1) + r * p;
}

/// x = e^x within 1 ulp (gradual underflow to 0, overflow to infinity, as std::exp): e^r by its
/// Taylor polynomial after reduce_ln2, times 2^n built in the exponent bits in two halves, so that
/// subnormal and infinite results come out right. `nonpositive`: the caller's x is never above 0
/// (or NaN), so the clamp against overflow, a no-op for it, is left out of the latency.
template <Real T, class V, class I, bool nonpositive = false>
NN_DETAIL_ALWAYS_INLINE inline void exp_lanes(V& x) {
    constexpr int mantissa = std::numeric_limits<T>::digits - 1;
    constexpr bool single = sizeof(T) == 4;
    const V hi = V{} + T(single ? 89 : 710), lo = V{} + T(single ? -104 : -746); // past over- and underflow
    if constexpr (!nonpositive) x = x > hi ? hi : x;
    x = x < lo ? lo : x;
    V t, p;
    reduce_ln2<T>(x, t); // x is r now
    taylor_exp<T, false>(x, p);
    I n_int;
    exponent_of<T, V, I>(t, n_int);
    const I half = n_int >> 1;
    const I bias = I{} + (single ? 127 : 1023);
    const V scale1 = NN_DETAIL_BIT_CAST(V, I((half + bias) << mantissa));
    const V scale2 = NN_DETAIL_BIT_CAST(V, I((n_int - half + bias) << mantissa));
    x = p * scale1 * scale2;
}

/// z = sigmoid(z) = 1 / (1 + e^-z), computed as s = 1 / (1 + e^-|z|) and, for z < 0,
/// e^-|z| s = 1 - s without cancellation: no exponential ever overflows. -|z| is z with its sign
/// bit set (one operation where a compare and a select take two, in a sigmoid's latency).
template <Real T, class V, class I>
NN_DETAIL_ALWAYS_INLINE inline void sigmoid_lanes(V& z) {
    const V zero = V{};
    V e = NN_DETAIL_BIT_CAST(V, NN_DETAIL_BIT_CAST(I, z) | std::numeric_limits<SameSizeInt<T>>::min());
    exp_lanes<T, V, I, true>(e);
    const V s = T(1) / (T(1) + e);
    z = z >= zero ? s : e * s;
}

/// z = tanh z = sign(z) (-m / (2 + m)) with m = e^(-2|z|) - 1 in (-1, 0], computed without the
/// cancellation of 1 - e^(-2|z|) near 0: x = n ln 2 + r as in exp_lanes, e^r - 1 = r (e^r - 1) / r
/// by the Taylor polynomial without its constant term, and m = 2^n (e^r - 1) + (2^n - 1), which for
/// |z| < ln(2)/4 is e^r - 1 itself. -2|z| is clamped to -40, where tanh is 1 to double precision;
/// the sign is the one of z, so tanh(-0) = -0, and a NaN stays NaN.
template <Real T, class V, class I>
NN_DETAIL_ALWAYS_INLINE inline void tanh_lanes(V& z) {
    constexpr int mantissa = std::numeric_limits<T>::digits - 1;
    constexpr bool single = sizeof(T) == 4;
    const I sign_bit = I{} + std::numeric_limits<SameSizeInt<T>>::min();
    const I sign = NN_DETAIL_BIT_CAST(I, z) & sign_bit;
    V x = T(-2) * NN_DETAIL_BIT_CAST(V, NN_DETAIL_BIT_CAST(I, z) ^ sign); // -2|z|
    const V lo = V{} + T(-40);
    x = x < lo ? lo : x;
    V t, p;
    reduce_ln2<T>(x, t); // x is r now
    taylor_exp<T, true>(x, p);
    I n;
    exponent_of<T, V, I>(t, n);
    const V scale = NN_DETAIL_BIT_CAST(V, I((n + (single ? 127 : 1023)) << mantissa));
    const V m = p * x * scale + (scale - T(1));
    z = NN_DETAIL_BIT_CAST(V, (NN_DETAIL_BIT_CAST(I, -m / (T(2) + m)) & ~sign_bit) | sign);
}

/// z = z for z > 0 and 0 otherwise (ReLU), or 0.01 z otherwise (LeakyReLU).
template <Real T, class V>
NN_DETAIL_ALWAYS_INLINE inline void relu_lanes(V& z) {
    const V zero{};
    z = z > zero ? z : zero;
}
template <Real T, class V>
NN_DETAIL_ALWAYS_INLINE inline void leaky_relu_lanes(V& z) {
    const V zero{};
    z = z > zero ? z : T(leaky_relu_slope) * z;
}

/// d = d act'(a) for an element-wise activation, from its output a: the products of
/// nn::derivative_from_output, a vector at a time.
template <Real T, class V>
NN_DETAIL_ALWAYS_INLINE inline void mul_derivative_lanes(Activation act, V& d, const V& a) {
    const V zero{}, one = zero + T(1);
    switch (act) {
    case Activation::Sigmoid: d = d * (a * (T(1) - a)); return;
    case Activation::Tanh: d = d * (T(1) - a * a); return;
    case Activation::ReLU: d = d * (a > zero ? one : zero); return;
    case Activation::LeakyReLU: d = d * (a > zero ? one : zero + T(leaky_relu_slope)); return;
    case Activation::Linear:
    case Activation::Softmax: return;
    }
}

/// z = act(z) for an element-wise activation.
template <Real T, class V, class I>
NN_DETAIL_ALWAYS_INLINE inline void activate_lanes(Activation act, V& z) {
    switch (act) {
    case Activation::Sigmoid: return sigmoid_lanes<T, V, I>(z);
    case Activation::Tanh: return tanh_lanes<T, V, I>(z);
    case Activation::ReLU: return relu_lanes<T, V>(z);
    case Activation::LeakyReLU: return leaky_relu_lanes<T, V>(z);
    case Activation::Linear:
    case Activation::Softmax: return;
    }
}

} // namespace detail

namespace detail {

/// nn::Error unless each of a network's activations, one a layer, is an nn::Activation, and only
/// the output layer's may be Softmax: what NN, StaticNN and Predictor check of what they are given.
inline void check_activations(std::span<const Activation> activations) {
    for (std::size_t l = 0; l < activations.size(); ++l) {
        if (!is_valid(activations[l]))
            fail("activations[%zu] is not an nn::Activation (value %d)", l, int(activations[l]));
        if (l + 1 < activations.size() && activations[l] == Activation::Softmax)
            fail("activations[%zu] is softmax; softmax can only be the output activation", l);
    }
}

} // namespace detail

/// True for the activations that act on each element alone (all but Softmax, which acts on a row).
inline bool is_elementwise(Activation act) { return act != Activation::Softmax; }

/// act(z) for an element-wise activation. Sigmoid never divides by an overflowed exponential:
/// for z < 0 it uses e^z / (1 + e^z), so it is finite and within a few ulps for every finite z
/// (0 and 1 at -1000 and +1000). Tanh is within 3 ulps, odd, and exact at 0 and for |z| > 20. The kernels compute the
/// same functions a vector at a time. Softmax needs the whole row: see detail::activate_rows.
template <Real T>
T activate(Activation act, T z) {
    detail::activate_lanes<T, T, detail::SameSizeInt<T>>(act, z);
    return z;
}

/// act'(z) for an element-wise activation, written in terms of the output a = act(z), which is
/// all backprop keeps: sigmoid' = a(1 - a) (eq. 10), tanh' = 1 - a^2, relu' = [a > 0],
/// leaky_relu' = 1 or 0.01 by the sign of a (the kinks at z = 0 take the left slope), linear' = 1.
/// Each is exact: for these functions the output determines the derivative.
template <Real T>
T derivative_from_output(Activation act, T a) {
    switch (act) {
    case Activation::Sigmoid: return a * (T(1) - a);
    case Activation::Tanh: return T(1) - a * a;
    case Activation::ReLU: return a > T(0) ? T(1) : T(0);
    case Activation::LeakyReLU: return a > T(0) ? T(1) : T(leaky_relu_slope);
    case Activation::Linear:
    case Activation::Softmax: return T(1);
    }
    return T(1);
}

} // namespace nn
