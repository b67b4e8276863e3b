// nn/activation.hpp: the activation functions and their exact derivatives.
#pragma once

#include <cmath>

#include <nn/matrix.hpp>

namespace nn {

/// The activation of a layer: a(l+1) = act(a(l) . W(l) + b(l)).
enum class Activation {
    Sigmoid, ///< 1 / (1 + e^-z), the notes' sigma (eq. 9)
    Tanh,    ///< tanh z
    ReLU,    ///< max(0, z)
    Linear,  ///< z (for a regression output)
};

/// The activation's lowercase name: "sigmoid", "tanh", "relu", "linear".
inline const char* name(Activation act) {
    switch (act) {
    case Activation::Sigmoid: return "sigmoid";
    case Activation::Tanh: return "tanh";
    case Activation::ReLU: return "relu";
    case Activation::Linear: return "linear";
    }
    return "unknown";
}

/// True for the enumerators above (false for a value cast from an out-of-range integer).
inline bool is_valid(Activation act) {
    switch (act) {
    case Activation::Sigmoid:
    case Activation::Tanh:
    case Activation::ReLU:
    case Activation::Linear: return true;
    }
    return false;
}

/// act(z). Sigmoid never divides by an overflowed exponential: for z < 0 it uses e^z / (1 + e^z),
/// so it is finite and exact to rounding for every finite z (0 and 1 at -1000 and +1000).
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
    case Activation::Linear: return z;
    }
    return z;
}

/// act'(z), written in terms of the output a = act(z), which is all backprop keeps:
/// sigmoid' = a(1 - a) (eq. 10), tanh' = 1 - a^2, relu' = [a > 0] (0 at the kink z = 0), linear' = 1.
/// Each is exact: for these four functions the output determines the derivative.
template <Real T>
T derivative_from_output(Activation act, T a) {
    switch (act) {
    case Activation::Sigmoid: return a * (T(1) - a);
    case Activation::Tanh: return T(1) - a * a;
    case Activation::ReLU: return a > T(0) ? T(1) : T(0);
    case Activation::Linear: return T(1);
    }
    return T(1);
}

} // namespace nn
