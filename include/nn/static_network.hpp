// nn/static_network.hpp: a network whose layer widths are template parameters, for inference
// in real time: no heap, no locks, no checks at run time, a noexcept forward pass the compiler
// sees whole (every loop bound a constant).
//
// It includes the activations and the baseline's one-sample rows alone: not the network, the
// training, the other kernels or the file reader (tests/lean_header.sh counts the lines). Building
// one from an NN needs <nn/network.hpp>, which the caller has; reading one from a file,
// nn::load_static in <nn/static_file.hpp>.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>

#include <nn/activation.hpp>
#include <nn/detail/arch.hpp>
#include <nn/detail/baseline.hpp>
#include <nn/error.hpp>

namespace nn {

template <Real T>
class NN; // network.hpp

namespace detail {

/// Width l of a StaticNN's Widths..., and where layer l's parameters start in the flat order of
/// nn::Parameters. (Functions at namespace scope: a class's own static
/// members are not constant expressions inside its body for every compiler.)
template <std::size_t... Widths>
constexpr std::size_t static_width(std::size_t l) {
    constexpr std::size_t w[] = {Widths...};
    return w[l];
}

template <std::size_t... Widths>
constexpr std::size_t static_offset(std::size_t l) {
    constexpr std::size_t w[] = {Widths...};
    return layer_offset(w, l); // nn::Parameters' flat order
}

template <std::size_t... Widths>
constexpr std::size_t static_widest() {
    std::size_t most = 0;
    for (std::size_t w : {Widths...}) most = w > most ? w : most;
    return most;
}

} // namespace detail

/// A network of widths Widths... (inputs first), built from a trained NN of that arch, from its
/// parameters in the flat order, or read from a file nn::save wrote (nn::load_static); its
/// parameters live inside the object, so it can sit on the stack, in a static, or in an array.
/// forward computes what NN::forward computes for one sample (to rounding: the sums of layers of
/// few outputs are split into independent parts for speed), a vector of outputs at a time with
/// the vectors the program is compiled for, with the dense row and the softmax of NN::forward's
/// own kernels.
///     const nn::StaticNN<float, 8, 16, 16, 1> net(trained);   // or nn::load_static<...>(path)
///     std::array<float, 1> y = net.forward({...});
template <Real T, std::size_t... Widths>
class StaticNN {
    static_assert(sizeof...(Widths) >= 2, "a StaticNN needs at least two widths: its inputs and its outputs");
    static_assert(((Widths > 0) && ...), "every width of a StaticNN must be at least 1");
    static constexpr std::size_t width(std::size_t l) { return detail::static_width<Widths...>(l); }
    static constexpr std::size_t offset(std::size_t l) { return detail::static_offset<Widths...>(l); }

public:
    static constexpr std::size_t layers = sizeof...(Widths) - 1;
    static constexpr std::size_t inputs = detail::static_width<Widths...>(0);
    static constexpr std::size_t outputs = detail::static_width<Widths...>(layers);
    static constexpr std::size_t parameter_count = detail::static_offset<Widths...>(layers);
    using Input = std::array<T, inputs>;
    using Output = std::array<T, outputs>;

    /// Every parameter 0 and every layer linear: a placeholder to assign a real network to.
    constexpr StaticNN() noexcept { acts_.fill(Activation::Linear); }

    /// The parameters and activations of `net`, whose arch must be Widths...; nn::Error otherwise.
    explicit StaticNN(const NN<T>& net) {
        check_arch(net.arch());
        for (std::size_t l = 0; l < layers; ++l) acts_[l] = net.activation(l);
        const std::span<const T> p = net.parameters(); // the same flat order
        for (std::size_t k = 0; k < parameter_count; ++k) params_[k] = p[k];
    }

    /// Every parameter in the flat order of parameters() (as NN::parameters() gives them, or an
    /// exported network's arrays) and each layer's activation; nn::Error for an activation that is
    /// not one of nn::Activation's, or Softmax before the output layer.
    StaticNN(std::span<const T, parameter_count> parameters, std::span<const Activation, layers> activations) {
        detail::check_activations(activations);
        for (std::size_t l = 0; l < layers; ++l) acts_[l] = activations[l];
        for (std::size_t k = 0; k < parameter_count; ++k) params_[k] = parameters[k];
    }

    /// The network's output for one sample; input holds `inputs` values, output room for `outputs`.
    void forward(const T* input, T* output) const noexcept {
        T even[detail::static_widest<Widths...>()],
            odd[detail::static_widest<Widths...>()]; // layer l writes even[] for l even, odd[] for l odd
        [&]<std::size_t... L>(std::index_sequence<L...>) NN_DETAIL_ALWAYS_INLINE {
            (layer<L>(L == 0 ? input : L % 2 ? even : odd, L + 1 == layers ? output : L % 2 ? odd : even), ...);
        }
        (std::make_index_sequence<layers>{});
    }
    Output forward(const Input& input) const noexcept {
        Output output;
        forward(input.data(), output.data());
        return output;
    }
    void forward(std::span<const T, inputs> input, std::span<T, outputs> output) const noexcept {
        forward(input.data(), output.data());
    }

    Activation activation(std::size_t l) const {
        if (l >= layers) detail::fail("layer %zu is out of range: the network has %zu layers", l, layers);
        return acts_[l];
    }
    /// Every parameter, layer by layer: the weights (arch[l] x arch[l+1], row by row), then the biases.
    const std::array<T, parameter_count>& parameters() const noexcept { return params_; }

    /// nn::Error unless `given` is Widths... (what a network or a file that is to become one says).
    static void check_arch(std::span<const std::size_t> given) {
        constexpr std::size_t arch[] = {Widths...};
        bool same = given.size() == layers + 1;
        for (std::size_t k = 0; same && k <= layers; ++k) same = given[k] == arch[k];
        if (!same)
            detail::fail("a StaticNN of arch %s cannot take a network of arch %s", detail::arch_text(arch).text,
                         detail::arch_text(given).text);
    }

private:
    template <std::size_t L>
    NN_DETAIL_ALWAYS_INLINE void layer(const T* __restrict x, T* __restrict y) const noexcept {
        using A = Activation;
        switch (acts_[L]) {
        case A::Sigmoid: return dense<L, A::Sigmoid>(x, y);
        case A::Tanh: return dense<L, A::Tanh>(x, y);
        case A::ReLU: return dense<L, A::ReLU>(x, y);
        case A::LeakyReLU: return dense<L, A::LeakyReLU>(x, y);
        case A::Linear: return dense<L, A::Linear>(x, y);
        case A::Softmax: // the output layer's only (NN's constructor checks): no dead copy in the others
            dense<L, A::Linear>(x, y);
            if constexpr (L + 1 == layers) detail::baseline::softmax_row<T>(y, y, width(L + 1));
            return;
        }
    }

    /// y = act(x . W(L) + b(L)) for the outputs from `first` on: in vectors of `bytes` bytes, up to
    /// eight at once, each sum an independent chain (detail's dense_row, which NN::forward's small
    /// products share); fewer than a vector left, in the narrower vectors that fit (so that the
    /// last eight floats of a layer on AVX-512 take one 256-bit vector, not eight scalar chains),
    /// then one by one. A block of fewer than eight chains splits each sum over the inputs i mod
    /// `parts` and adds the parts pairwise at the end, so that no sum is one long chain of
    /// dependent adds (which costs a layer of few outputs its latency).
    template <std::size_t L, Activation act, std::size_t first = 0, std::size_t bytes = detail::baseline::vector_bytes>
    NN_DETAIL_ALWAYS_INLINE void dense(const T* __restrict x, T* __restrict y) const noexcept {
        namespace simd = detail::baseline;
        constexpr std::size_t in = width(L), out = width(L + 1), W = bytes / sizeof(T);
        constexpr std::size_t vectors = (out - first) / W < 8 ? (out - first) / W : 8;
        constexpr std::size_t left = out - first - vectors * W;     // after this block
        constexpr bool again = left >= W;                           // another block of these vectors
        constexpr bool narrower = !again && left >= 16 / sizeof(T); // a narrower vector fits
        constexpr std::size_t rest = again || narrower ? 0 : left;
        constexpr std::size_t chains = vectors + rest, parts = chains >= 8 || in < 8 ? 1
                                                               : chains >= 4         ? 2
                                                               : chains >= 2         ? 4
                                                                                     : 8;
        const T* w = params_.data() + offset(L);
        const T* b = w + in * out;
        if constexpr (chains > 0)
            simd::dense_row<vectors, rest, parts, bytes>(x, w + first, std::integral_constant<std::size_t, in>{}, out,
                                                         [&]<class U>(std::size_t j, U z) NN_DETAIL_ALWAYS_INLINE {
                                                             z = z + simd::load<U>(b + first + j);
                                                             detail::activate_lanes<T, U, simd::IntLanes<U, T>>(act, z);
                                                             simd::store(y + first + j, z);
                                                         });
        if constexpr (again) dense<L, act, first + vectors * W, bytes>(x, y);
        if constexpr (narrower) dense<L, act, first + vectors * W, bytes / 2>(x, y);
    }

    alignas(64) std::array<T, parameter_count> params_{}; // whole cache lines: rows of whole vectors load in one
    std::array<Activation, layers> acts_{};
};

} // namespace nn
