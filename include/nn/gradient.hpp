// nn/gradient.hpp: Gradient<T>, the derivative of the cost with respect to every parameter.
#pragma once

#include <cstddef>
#include <vector>

#include <nn/parameters.hpp>
#include <nn/workspace.hpp>

namespace nn {

/// The derivative of the cost with respect to every weight and bias, laid out as the network's
/// own parameters (see nn::Parameters): weights(l) is arch[l] x arch[l+1], biases(l) 1 x
/// arch[l+1], values() all of them in the flat order. A default-constructed Gradient is empty;
/// NN::backprop(X, Y, g) shapes it on first use and reuses its storage afterwards, and keeps in it
/// the scratch memory of the pass (so each thread that runs backprop needs a Gradient of its own).
///     nn::Gradient<float> g;
///     net.backprop(X, Y, g);
///     float dw = g.weights(0)(1, 2);  // dC/dW(0)(1, 2)
template <Real T>
class Gradient : public Parameters<T> {
public:
    Gradient() = default;

    /// A zero gradient for a network of this architecture.
    explicit Gradient(const std::vector<std::size_t>& arch) : Parameters<T>(arch) {}

private:
    friend class NN<T>;
    Workspace<T> workspace_; // backprop's scratch memory
};

#if defined(NN_COMPILED) // compiled once, in the nn::compiled library (see config.hpp)
extern template class Gradient<float>;
extern template class Gradient<double>;
#endif

} // namespace nn
