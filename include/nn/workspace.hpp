// nn/workspace.hpp: Workspace<T>, the scratch memory of a network's passes.
#pragma once

#include <vector>

#include <nn/matrix.hpp>

namespace nn {

template <Real T>
class NN;

/// The matrices a forward pass and backpropagation write as they go: each layer's output and
/// delta. A network keeps none of its own, so that its const functions are safe to call from
/// any number of threads at once; a caller that runs the same pass again and again keeps a
/// Workspace (one per thread) and passes it in, so that no call after the first allocates.
///     nn::Workspace<float> ws;
///     for (const auto& batch : batches) use(net.forward(batch, ws)); // a view into ws
/// Backprop keeps its workspace inside the nn::Gradient it fills. Copying a Workspace gives an
/// empty one: it holds nothing worth copying.
template <Real T>
class Workspace {
public:
    Workspace() = default;
    Workspace(const Workspace&) {}
    Workspace& operator=(const Workspace&) { return *this; }
    Workspace(Workspace&&) noexcept = default;
    Workspace& operator=(Workspace&&) noexcept = default;

    /// The output of the last forward pass run in this workspace (empty before the first).
    MatrixView<const T> output() const { return outputs_.empty() ? MatrixView<const T>() : outputs_.back().view(); }

private:
    friend class NN<T>;
    std::vector<Matrix<T>> outputs_; // outputs_[l] = a(l+1): n x arch[l+1]
    Matrix<T> z_out_;                // the output layer's pre-activation z(L-1), for the costs that read it
    Matrix<T> deltas_[2];            // deltas_[l % 2] = dC/dz(l): n x arch[l+1]; by parity, so that each
                                     // buffer sees the same shapes every step and stops growing
};

} // namespace nn
