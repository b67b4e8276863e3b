// nn/predictor.hpp: Predictor<T>, a trained network of any arch, known when the program runs,
// that computes one sample's outputs: NN::predict for a program that only runs networks.
//
// Like <nn/static_network.hpp>, it includes the activations and the baseline's one-sample rows
// alone: not the network, the training, the other kernels or the file reader (tests/lean_header.sh
// counts the lines). Reading one from a file is nn::load_predictor in <nn/static_file.hpp>;
// building one from an NN, Predictor(net.arch(), activations, net.parameters()).
#pragma once

#include <cstddef>
#include <initializer_list>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include <nn/activation.hpp>
#include <nn/detail/arch.hpp>
#include <nn/detail/baseline.hpp>
#include <nn/error.hpp>

namespace nn {

/// A network's arch, activations and parameters (in the flat order of NN::parameters), and its
/// outputs for one sample at a time: each layer's sums over its inputs in order, then the bias,
/// then the activation, as NN::forward computes them, so that predict gives the bits of
/// NN::predict when NN runs the kernels built with the program's flags (NN_NO_DISPATCH,
/// NN_SIMD=baseline, a CPU other than x86-64's with AVX2); else they agree to rounding (NN's AVX2
/// and AVX-512 kernels fuse multiply-adds). predict is const and safe to call from many threads.
///     const auto net = nn::load_predictor<float>("net.safetensors");   // <nn/static_file.hpp>
///     std::vector<float> y = net.predict({5.1f, 3.5f, 1.4f, 0.2f});
template <Real T>
class Predictor {
public:
    /// nn::Error for an arch of fewer than two widths or a width of 0, one activation a layer
    /// (Softmax in the output layer only), and arch's number of parameters.
    Predictor(std::vector<std::size_t> arch, std::vector<Activation> activations, std::vector<T> parameters)
        : arch_(std::move(arch)), acts_(std::move(activations)), params_(std::move(parameters)) {
        if (arch_.size() < 2)
            detail::fail("a Predictor needs an arch of at least 2 widths, was given %zu", arch_.size());
        for (std::size_t l = 0; l < arch_.size(); ++l) {
            if (arch_[l] == 0) detail::fail("arch[%zu] is 0; every layer needs at least one neuron", l);
            widest_ = arch_[l] > widest_ ? arch_[l] : widest_;
        }
        if (acts_.size() != layers())
            detail::fail("a Predictor of %zu layers needs %zu activations, was given %zu", layers(), layers(),
                         acts_.size());
        detail::check_activations(acts_);
        const std::size_t count = detail::layer_offset(arch_, layers());
        if (params_.size() != count)
            detail::fail("a network of arch %s has %zu parameters, the Predictor was given %zu",
                         detail::arch_text(arch_).text, count, params_.size());
    }

    std::size_t layers() const { return arch_.size() - 1; }
    std::size_t inputs() const { return arch_.front(); }
    std::size_t outputs() const { return arch_.back(); }
    const std::vector<std::size_t>& arch() const { return arch_; }
    Activation activation(std::size_t l) const {
        if (l >= layers()) detail::fail("layer %zu is out of range: the network has %zu layers", l, layers());
        return acts_[l];
    }
    std::span<const T> parameters() const { return params_; }

    /// The outputs for one sample: input holds inputs() values, output room for outputs();
    /// nn::Error otherwise, or for an input that is not finite.
    void predict(std::span<const T> input, std::span<T> output) const {
        if (input.size() != inputs())
            detail::fail("the input has %zu values, the network takes %zu", input.size(), inputs());
        if (output.size() != outputs())
            detail::fail("the output has room for %zu values, the network gives %zu", output.size(), outputs());
        for (std::size_t i = 0; i < input.size(); ++i)
            if (!(input[i] - input[i] == T(0)))
                detail::fail("input(0, %zu) is %.9g; the input must be finite", i, double(input[i]));
        constexpr std::size_t on_stack = 256; // widths up to this need no allocation
        T stack[2][on_stack];
        std::vector<T> heap(widest_ > on_stack ? 2 * widest_ : 0);
        T* scratch[2] = {widest_ > on_stack ? heap.data() : stack[0],
                         widest_ > on_stack ? heap.data() + widest_ : stack[1]};
        const T* x = input.data();
        for (std::size_t l = 0; l < layers(); ++l) {
            T* y = l + 1 == layers() ? output.data() : scratch[l % 2];
            layer(l, x, y);
            x = y;
        }
        for (const T y : output)
            if (!(y - y == T(0))) { // not finite
                double largest = 0;
                for (const T v : input) largest = v > largest ? v : -v > largest ? -v : largest;
                detail::fail("predict: an output is %.9g for finite inputs as large as %.3g: too large for %s "
                             "arithmetic in this network; scale the inputs (nn::Standardizer)",
                             double(y), largest, sizeof(T) == 4 ? "float" : "double");
            }
    }
    std::vector<T> predict(std::span<const T> input) const {
        std::vector<T> output(outputs());
        predict(input, output);
        return output;
    }
    std::vector<T> predict(std::initializer_list<T> input) const {
        return predict(std::span<const T>(input.begin(), input.size()));
    }

private:
    /// y = act(x . W(l) + b(l)) for one sample: a vector of outputs at a time, eight at once while
    /// they last (dense_row, NN::forward's small products' row), then one by one; each sum over the
    /// inputs in order, then plus the bias.
    void layer(std::size_t l, const T* __restrict x, T* __restrict y) const {
        namespace simd = detail::baseline;
        using Mask = typename simd::Lanes<T>::Mask;
        constexpr std::size_t W = simd::Lanes<T>::count;
        const std::size_t in = arch_[l], out = arch_[l + 1];
        const T* w = params_.data() + detail::layer_offset(arch_, l);
        const T* b = w + in * out;
        const Activation act = acts_[l] == Activation::Softmax ? Activation::Linear : acts_[l];
        const auto done = [&](std::size_t at) {
            return [=]<class U>(std::size_t j, U z) NN_DETAIL_ALWAYS_INLINE {
                z = z + simd::load<U>(b + at + j);
                if constexpr (std::is_same_v<U, T>)
                    detail::activate_lanes<T, T, detail::SameSizeInt<T>>(act, z);
                else
                    detail::activate_lanes<T, U, Mask>(act, z);
                simd::store(y + at + j, z);
            };
        };
        std::size_t j = 0;
        for (; j + 8 * W <= out; j += 8 * W) simd::dense_row<8, 0, 1>(x, w + j, in, out, done(j));
        for (; j + W <= out; j += W) simd::dense_row<1, 0, 1>(x, w + j, in, out, done(j));
        for (; j < out; ++j) simd::dense_row<0, 1, 1>(x, w + j, in, out, done(j));
        if (acts_[l] == Activation::Softmax) simd::softmax_row<T>(y, y, out);
    }

    std::vector<std::size_t> arch_;
    std::vector<Activation> acts_;
    std::vector<T> params_;
    std::size_t widest_ = 0;
};

} // namespace nn
