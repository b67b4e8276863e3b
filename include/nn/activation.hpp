// nn/activation.hpp: the activation functions and their exact derivatives.
#pragma once

#include <cmath>

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

/// True for the activations that act on each element alone (all but Softmax, which acts on a row).
inline bool is_elementwise(Activation act) { return act != Activation::Softmax; }

/// act(z) for an element-wise activation. Sigmoid never divides by an overflowed exponential:
/// for z < 0 it uses e^z / (1 + e^z), so it is finite and exact to rounding for every finite z
/// (0 and 1 at -1000 and +1000). Softmax needs the whole row: see detail::softmax_rows.
template <Real T>
T activate(Activation act, T z) {
    switch (act) {
    case Activation::Sigmoid: {
        if (z >= T(0)) return T(1) / (T(1) + std::exp(-z));
        const T e = std::exp(z);
        return e / (T(1) + e);
    }
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
