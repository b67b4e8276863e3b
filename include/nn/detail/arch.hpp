// nn/detail/arch.hpp: a network's arch, its widths from the inputs to the outputs, and the flat
// order of its parameters, written once (layer_offset): layer after layer, each layer's weights
// W(l), arch[l] x arch[l+1] row by row, then its biases b(l), arch[l+1] of them. Everything that
// sees the parameters as one vector uses it: nn::Parameters, the optimizers' loops, L-BFGS and
// Levenberg-Marquardt, the Jacobian, the MPI reduction, digests, checkpoints, the file reader and
// nn::StaticNN.
#pragma once

#include <cstddef>
#include <cstdio>
#include <span>

#include <nn/detail/printf.hpp>

namespace nn::detail {

/// Where layer l's weights start in the flat order of a network of this arch; its biases follow
/// them, arch[l] * arch[l+1] further on. Layer arch.size() - 1 (one past the last) gives the
/// number of parameters. The one place the order is defined.
constexpr std::size_t layer_offset(std::span<const std::size_t> arch, std::size_t l) {
    std::size_t at = 0;
    for (std::size_t k = 0; k < l; ++k) at += arch[k] * arch[k + 1] + arch[k + 1];
    return at;
}

/// "10,20,6": an arch as messages and files write it, to out.
inline void put_arch(const Sink& out, std::span<const std::size_t> arch) {
    for (std::size_t k = 0; k < arch.size(); ++k) {
        char width[24];
        const int n = std::snprintf(width, sizeof width, k ? ",%zu" : "%zu", arch[k]);
        out.put(width, std::size_t(n));
    }
}

/// The same for messages, in a fixed buffer (cut with "..." past 255 characters): arch_text(a).text.
inline FixedText<256> arch_text(std::span<const std::size_t> arch) {
    FixedText<256> t;
    put_arch(t.sink(), arch);
    return t;
}

} // namespace nn::detail
