// nn/io.hpp: saving and loading networks as safetensors files (the format: detail/safetensors.hpp;
// the reading: detail/network_file.hpp).
//
// nn writes, for each layer l,
//   layers.{l}.weight  [out, in]  (PyTorch nn.Linear's layout: the transpose of weights(l))
//   layers.{l}.bias    [out]
// as F32 or F64, and __metadata__ {"arch": "10,20,6", "activations": "sigmoid,sigmoid", "hidden":
// "sigmoid", "output": "sigmoid", "loss": "mse", "nn_version": "0.1.0"} ("hidden" and "output"
// only where all hidden layers share one activation: what files before "activations" hold). A
// checkpoint (checkpoint.hpp) is such a file with tensors named state.* besides, which a network's
// loader passes over.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nn/activation.hpp>
#include <nn/detail/file.hpp>
#include <nn/detail/network_file.hpp>
#include <nn/detail/safetensors.hpp>
#include <nn/loss.hpp>
#include <nn/network.hpp>

namespace nn {

namespace detail {

/// Builds a network from the bytes of a safetensors file (`file` names it in errors); `more` is
/// given the metadata (or nullptr) and the arch once they are checked, to read keys of its own.
template <Real T, class More = IgnoreMetadata>
NN<T> parse_safetensors(std::string_view bytes, const char* file, const LoadSettings& settings, const More& more = {}) {
    std::optional<NN<T>> net;
    read_network<T>(
        bytes, file, settings,
        [&](const std::vector<std::size_t>& arch, std::vector<Activation> activations, Loss loss) {
            return net.emplace(arch, std::move(activations), loss, InitOptions{.scheme = Init::Zero}).parameters();
        },
        more);
    return std::move(*net);
}

/// A network's tensors and metadata, added to a file being written.
template <Real T>
void write_network(SafetensorsWriter& out, const NN<T>& net) {
    out.metadata("arch", join_arch(net.arch()));
    out.metadata("activations", join_activations(net.activations()));
    // Files before per-layer activations name "hidden" and "output": write them too where they say
    // it all, so that those versions load what this one saves (and refuse what they cannot hold).
    bool uniform = net.layers() > 1;
    for (std::size_t l = 1; uniform && l + 1 < net.layers(); ++l) uniform = net.activation(l) == net.activation(0);
    if (uniform) {
        out.metadata("hidden", name(net.activation(0)));
        out.metadata("output", name(net.output()));
    }
    out.metadata("loss", name(net.loss()));
    out.metadata("nn_version", format("%d.%d.%d", NN_VERSION_MAJOR, NN_VERSION_MINOR, NN_VERSION_PATCH));
}
/// The layers' tensors of a network of these parameters (the network's own, or others of its arch).
template <Real T>
void write_layers(SafetensorsWriter& out, const Parameters<T>& params) {
    for (std::size_t l = 0; l < params.layers(); ++l) {
        const ParameterMatrix<T>& W = params.weights(l);
        const std::size_t in = W.rows(), out_width = W.cols();
        out.tensor<T>(format("layers.%zu.weight", l), {out_width, in},
                      [&](std::size_t k) { return W(k % in, k / in); }); // [out, in]: the transpose
        out.tensor<T>(format("layers.%zu.bias", l), std::span<const T>(params.biases(l).data(), out_width));
    }
}

/// The bytes of a safetensors file holding `net`; `more` adds metadata of its own.
template <Real T, class More = IgnoreMetadata>
std::string to_safetensors(const NN<T>& net, const More& more = {}) {
    SafetensorsWriter out;
    write_network(out, net);
    more(out);
    write_layers(out, net.parameter_store());
    return out.bytes();
}

} // namespace detail

/// Saves `net` as a safetensors file, atomically: an earlier file at `path` is replaced only once
/// the new one is complete on disk, and left as it was if saving fails (nn::Error says why). The
/// bytes are read back before they are written, so a file that save wrote always loads. A new
/// file gets the mode the umask allows (0666 less the umask), a replaced one keeps its mode; a
/// symbolic link is followed, and the file it points to replaced. Saving writes `path.tmp` (or
/// beside the link's target) and renames it; a save that is killed leaves at most that one file,
/// which the next save replaces.
///     nn::save(net, "adder.safetensors");
template <Real T>
void save(const NN<T>& net, const std::string& path) {
    const std::string bytes = detail::to_safetensors(net);
    (void)detail::parse_safetensors<T>(bytes, path.c_str(), {}); // what is written, loads
    detail::write_file_atomically(path, bytes);
}

/// Loads a network saved by nn::save, converting the weights to T (F32, F64, F16 and BF16 files
/// are all read). A file that is not a valid safetensors network throws nn::Error naming the problem.
///     auto net = nn::load<float>("adder.safetensors");
template <Real T>
NN<T> load(const std::string& path) {
    return detail::parse_safetensors<T>(detail::read_file(path), path.c_str(), {});
}

/// As above, for a file that may not say which activations and loss it was trained with (one
/// written by PyTorch tools has no __metadata__); if it does say, they must agree with these.
template <Real T>
NN<T> load(const std::string& path, Activation hidden, Activation output, Loss loss = Loss::MSE) {
    return detail::parse_safetensors<T>(detail::read_file(path), path.c_str(), {true, {}, hidden, output, loss});
}

/// As above, with one activation per layer.
template <Real T>
NN<T> load(const std::string& path, std::vector<Activation> activations, Loss loss = Loss::MSE) {
    return detail::parse_safetensors<T>(detail::read_file(path), path.c_str(),
                                        {true, std::move(activations), Activation::Sigmoid, Activation::Sigmoid, loss});
}

} // namespace nn
