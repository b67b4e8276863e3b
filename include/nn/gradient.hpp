// nn/gradient.hpp: Gradient<T>, the derivative of the cost with respect to every parameter.
#pragma once

#include <cstddef>
#include <vector>

#include <nn/matrix.hpp>
#include <nn/workspace.hpp>

namespace nn {

/// One matrix per parameter matrix of a network, of the same shape: weights(l) is
/// arch[l] x arch[l+1] and biases(l) is 1 x arch[l+1]. A default-constructed Gradient is empty;
/// NN::backprop(X, Y, g) sizes it on first use and reuses its storage afterwards, and keeps in it
/// the scratch memory of the pass (so each thread that runs backprop needs a Gradient of its own).
///     nn::Gradient<float> g;
///     net.backprop(X, Y, g);
///     float dw = g.weights(0)(1, 2);  // dC/dW(0)(1, 2)
template <Real T>
class Gradient {
public:
    Gradient() = default;

    /// A zero gradient for a network of this architecture.
    explicit Gradient(const std::vector<std::size_t>& arch) { resize(arch); }

    std::size_t layers() const { return weights_.size(); }

    Matrix<T>& weights(std::size_t l) { return weights_[checked(l)]; }
    const Matrix<T>& weights(std::size_t l) const { return weights_[checked(l)]; }
    Matrix<T>& biases(std::size_t l) { return biases_[checked(l)]; }
    const Matrix<T>& biases(std::size_t l) const { return biases_[checked(l)]; }

    /// True when the shapes are those of a network with this architecture.
    bool matches(const std::vector<std::size_t>& arch) const {
        if (arch.size() != layers() + 1) return false;
        for (std::size_t l = 0; l < layers(); ++l)
            if (weights_[l].rows() != arch[l] || weights_[l].cols() != arch[l + 1] || biases_[l].rows() != 1 ||
                biases_[l].cols() != arch[l + 1])
                return false;
        return true;
    }

    /// Gives the gradient the shapes of this architecture, all zero, keeping storage it already has.
    void resize(const std::vector<std::size_t>& arch) {
        const std::size_t layers = arch.empty() ? 0 : arch.size() - 1;
        weights_.resize(layers);
        biases_.resize(layers);
        for (std::size_t l = 0; l < layers; ++l) {
            weights_[l].resize(arch[l], arch[l + 1]);
            biases_[l].resize(1, arch[l + 1]);
        }
    }

private:
    friend class NN<T>;

    std::size_t checked(std::size_t l) const {
        if (l >= layers()) detail::fail("layer %zu is out of range: the gradient has %zu layers", l, layers());
        return l;
    }

    std::vector<Matrix<T>> weights_;
    std::vector<Matrix<T>> biases_;
    Workspace<T> workspace_; // backprop's scratch memory
};

#if defined(NN_COMPILED) // compiled once, in the nn::compiled library (see config.hpp)
extern template class Gradient<float>;
extern template class Gradient<double>;
#endif

} // namespace nn
