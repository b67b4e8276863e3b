// nn/gradient.hpp: Gradient<T>, the derivative of the cost with respect to every parameter.
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

#include <nn/detail/kernels.hpp>
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

namespace detail {

/// The first element of M that is not finite, as nn::Error: "X(3, 1) is nan; X must be finite",
/// or with a layer, "gradient weights(1)(2, 0) is inf; the gradient must be finite".
inline constexpr std::size_t no_layer = std::size_t(-1);
template <Real T>
[[noreturn]] void report_not_finite(MatrixView<const T> M, const char* name, const char* whole,
                                    std::size_t layer = no_layer) {
    for (std::size_t i = 0; i < M.size(); ++i) {
        const T x = M.data()[i];
        if (std::isfinite(x)) continue;
        const std::size_t r = i / M.cols(), c = i % M.cols();
        if (layer == no_layer) fail("%s(%zu, %zu) is %.9g; %s must be finite", name, r, c, double(x), whole);
        fail("%s(%zu)(%zu, %zu) is %.9g; %s must be finite", name, layer, r, c, double(x), whole);
    }
    fail("%s is not finite; %s must be finite", name, whole); // std::isfinite folded away (-ffast-math)
}

/// Throws nn::Error, as report_not_finite, unless every element of M is finite. M by reference: a
/// view passed by value is stored in parts and read back whole, which the core cannot forward
/// (backprop's checks of one sample's X and Y took 7% of a 4-4-3 step by value, 3% by reference).
template <Real T>
void check_finite(const MatrixView<const T>& M, const char* name, const char* whole, std::size_t layer = no_layer) {
    if (!all_finite<T>(M.data(), M.size())) report_not_finite(M, name, whole, layer);
}

/// Throws nn::Error unless g is shaped for a network of this arch and holds only finite values;
/// the optimizers check every gradient they are given this way before they change anything.
template <Real T>
void check_gradient(const Parameters<T>& g, const std::vector<std::size_t>& arch) {
    const std::size_t layers = arch.size() - 1;
    if (g.layers() != layers)
        fail("the gradient has %zu layer%s, the network has %zu", g.layers(), plural(g.layers()), layers);
    for (std::size_t l = 0; l < layers; ++l)
        if (g.arch()[l] != arch[l] || g.arch()[l + 1] != arch[l + 1])
            fail("gradient weights(%zu) is %zu x %zu, the network's arch makes it %zu x %zu", l, g.arch()[l],
                 g.arch()[l + 1], arch[l], arch[l + 1]);
    if (all_finite<T>(g.values().data(), g.size())) return;
    for (std::size_t l = 0; l < layers; ++l) { // say where
        check_finite<T>(g.weights(l), "gradient weights", "the gradient", l);
        check_finite<T>(g.biases(l), "gradient biases", "the gradient", l);
    }
}

} // namespace detail

#if defined(NN_COMPILED) // compiled once, in the nn::compiled library (see config.hpp)
extern template class Gradient<float>;
extern template class Gradient<double>;
#endif

} // namespace nn
