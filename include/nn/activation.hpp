// nn/activation.hpp: the activation functions and their exact derivatives.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include <nn/matrix.hpp>

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

/// e^x within 1 ulp (gradual underflow to 0, overflow to infinity, as std::exp), written once
/// for a scalar T and for GCC/Clang vectors V of T, so that the activation kernels vectorise at
/// any optimisation level and give the same bits in vector and scalar code. x = n ln 2 + r with
/// |r| <= ln(2)/2 (ln 2 split in two, so that n ln 2 is exact), e^r by its Taylor polynomial
/// (degree 7 for float, 13 for double: the first term left out is below half an ulp), times 2^n
/// built in the exponent bits in two halves, so that subnormal and infinite results come out right.
template <Real T, class V, class I>
inline V exp_lanes(V x) {
    constexpr int mantissa = std::numeric_limits<T>::digits - 1;
    constexpr bool single = sizeof(T) == 4;
    const V hi = V{} + T(single ? 89 : 710), lo = V{} + T(single ? -104 : -746); // past over- and underflow
    x = x > hi ? hi : x;
    x = x < lo ? lo : x;
    // Adding 1.5 * 2^mantissa rounds to the nearest integer, which lands in the low bits.
    const V magic = V{} + T(1.5) * T(std::int64_t(1) << mantissa);
    const V t = x * T(1.4426950408889634) + magic;
    const V n = t - magic;
    const T ln2_hi = single ? T(0.693145751953125) : T(0.6931471803691238);
    const T ln2_lo = single ? T(1.428606765330187e-06) : T(1.9082149292705877e-10);
    const V r = (x - n * ln2_hi) - n * ln2_lo;
    V p = V{} + T(single ? 1.0 / 5040 : 1.0 / 6227020800);
    constexpr double taylor[] = {
        1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880, 1.0 / 40320, 1.0 / 5040, 1.0 / 720,
        1.0 / 120,       1.0 / 24,       1.0 / 6,       1.0 / 2,      1.0,         1.0};
    for (std::size_t k = single ? 6 : 0; k < sizeof taylor / sizeof taylor[0]; ++k) p = p * r + T(taylor[k]);
    const I n_int = std::bit_cast<I>(t) - std::bit_cast<I>(magic), half = n_int >> 1;
    const I bias = I{} + (single ? 127 : 1023);
    const V scale1 = std::bit_cast<V>(I((half + bias) << mantissa));
    const V scale2 = std::bit_cast<V>(I((n_int - half + bias) << mantissa));
    return p * scale1 * scale2;
}

/// sigmoid(z) = 1 / (1 + e^-z), computed as s = 1 / (1 + e^-|z|) and, for z < 0, e^-|z| s = 1 - s
/// without cancellation: no exponential ever overflows.
template <Real T, class V, class I>
inline V sigmoid_lanes(V z) {
    const V zero = V{};
    const V e = exp_lanes<T, V, I>(z < zero ? z : -z);
    const V s = T(1) / (T(1) + e);
    return z >= zero ? s : e * s;
}

} // namespace detail

/// True for the activations that act on each element alone (all but Softmax, which acts on a row).
inline bool is_elementwise(Activation act) { return act != Activation::Softmax; }

/// act(z) for an element-wise activation. Sigmoid never divides by an overflowed exponential:
/// for z < 0 it uses e^z / (1 + e^z), so it is finite and within a few ulps for every finite z
/// (0 and 1 at -1000 and +1000). Softmax needs the whole row: see detail::activate_rows.
template <Real T>
T activate(Activation act, T z) {
    switch (act) {
    case Activation::Sigmoid: return detail::sigmoid_lanes<T, T, detail::SameSizeInt<T>>(z);
    case Activation::Tanh: return std::tanh(z);
    case Activation::ReLU: return z > T(0) ? z : T(0);
    case Activation::LeakyReLU: return z > T(0) ? z : T(leaky_relu_slope) * z;
    case Activation::Linear:
    case Activation::Softmax: return z;
    }
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
