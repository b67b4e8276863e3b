// nn/detail/network_file.hpp: reading a network from a safetensors file's bytes (the layout:
// io.hpp), without building an nn::NN: the arch from the tensors layers.{l}.weight and .bias, the
// activations and loss from the metadata or the caller, every check, and the parameters converted
// to T straight into the flat order (arch.hpp) of whatever holds them, a network (io.hpp's
// nn::load) or a nn::StaticNN. The steps that are not templates on the caller's types are compiled
// once in the compiled mode, whose other files read their declarations alone (config.hpp).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nn/activation.hpp>
#include <nn/detail/arch.hpp>
#include <nn/detail/format.hpp>
#include <nn/detail/json.hpp>
#include <nn/detail/safetensors.hpp>
#include <nn/error.hpp>
#include <nn/loss.hpp>

namespace nn::detail {

/// The optional settings a caller passes to load, checked against the file's metadata: the
/// activations either per layer or as (hidden, output).
struct LoadSettings {
    bool given = false;
    std::vector<Activation> activations; // per layer; empty: (hidden, output)
    Activation hidden = Activation::Sigmoid, output = Activation::Sigmoid;
    Loss loss = Loss::MSE;

    std::vector<Activation> per_layer(std::size_t layers) const {
        if (!activations.empty()) return activations;
        std::vector<Activation> out(layers, hidden);
        out.back() = output;
        return out;
    }
};

/// The tensors of a checkpoint's training state (checkpoint.hpp), which a network's loader passes over.
inline bool is_state_tensor(std::string_view name) { return name.substr(0, 6) == "state."; }

/// The layers layers.0 ... layers.(L-1), each a weight [out, in] and a bias [out], whose shapes
/// chain: the arch, and the two tensors of each layer.
template <Real T>
std::vector<std::size_t> read_layers(const SafetensorsFile& st, const char* file,
                                     std::vector<std::pair<const Tensor*, const Tensor*>>& layer_tensors);

/// "relu,tanh,softmax": the metadata's activations, and how messages name them.
template <class = void>
std::string join_activations(const std::vector<Activation>& activations);

/// The activations and loss, from the metadata (per layer in "activations", or as
/// "hidden" and "output", which files before per-layer activations hold), from the caller, or
/// from both, which must then agree.
template <Real T>
LoadSettings read_settings(const json::Value* metadata, const std::vector<std::size_t>& arch,
                           const LoadSettings& settings, const char* file);

/// What parse_safetensors does with the metadata besides the network's own keys, and what
/// to_safetensors adds: nothing.
struct IgnoreMetadata {
    void operator()(const json::Value*, const std::vector<std::size_t>&) const {}
    void operator()(SafetensorsWriter&) const {}
};

/// Reads a network from the bytes of a safetensors file (`file` names it in errors): checks its
/// layers and settings, gives `more` the metadata (or nullptr) and the arch, and then fills
/// place(arch, activations, loss), the span where the parameters go (layer_offset(arch, L) of
/// them, in the flat order), converting each to T.
template <Real T, class Place, class More = IgnoreMetadata>
void read_network(std::string_view bytes, const char* file, const LoadSettings& settings, const Place& place,
                  const More& more = {}) {
    const SafetensorsFile st = read_safetensors(bytes, file);
    std::vector<std::pair<const Tensor*, const Tensor*>> layer_tensors;
    const std::vector<std::size_t> arch = read_layers<T>(st, file, layer_tensors);
    const LoadSettings chosen = read_settings<T>(st.metadata, arch, settings, file);
    more(st.metadata, arch);
    const std::span<T> params = place(arch, chosen.per_layer(arch.size() - 1), chosen.loss);
    for (std::size_t l = 0; l + 1 < arch.size(); ++l) {
        const std::size_t in = arch[l], out = arch[l + 1];
        T* w = params.data() + layer_offset(arch, l);
        T* b = w + in * out;
        const Tensor& tw = *layer_tensors[l].first;
        const Tensor& tb = *layer_tensors[l].second;
        for (std::size_t o = 0; o < out; ++o)
            for (std::size_t i = 0; i < in; ++i) w[i * out + o] = st.element<T>(tw, o * in + i); // [out, in]
        for (std::size_t o = 0; o < out; ++o) b[o] = st.element<T>(tb, o);
    }
}

} // namespace nn::detail

#if NN_DETAIL_DEFINITIONS // compiled once in the compiled mode (see config.hpp)
#include <algorithm>

namespace nn::detail {

inline bool parse_activation(std::string_view s, Activation& out) {
    for (Activation a : {Activation::Sigmoid, Activation::Tanh, Activation::ReLU, Activation::LeakyReLU,
                         Activation::Linear, Activation::Softmax})
        if (s == name(a)) return out = a, true;
    return false;
}

inline bool parse_loss(std::string_view s, Loss& out) {
    for (Loss l : {Loss::MSE, Loss::CrossEntropy, Loss::BinaryCrossEntropy})
        if (s == name(l)) return out = l, true;
    return false;
}

template <Real T>
std::vector<std::size_t> read_layers(const SafetensorsFile& st, const char* file,
                                     std::vector<std::pair<const Tensor*, const Tensor*>>& layer_tensors) {
    const std::size_t count = std::size_t(
        std::count_if(st.tensors.begin(), st.tensors.end(), [](const auto& t) { return !is_state_tensor(t.first); }));
    if (count % 2 != 0 || count == 0)
        fail("%s: %zu tensors; a network needs a weight and a bias per layer", file, count);
    const std::size_t layers = count / 2;
    const auto find = [&](const std::string& key) { return st.find(key); };
    std::vector<std::size_t> arch;
    for (std::size_t l = 0; l < layers; ++l) {
        const std::string w_key = "layers." + std::to_string(l) + ".weight",
                          b_key = "layers." + std::to_string(l) + ".bias";
        const Tensor* w = find(w_key);
        const Tensor* b = find(b_key);
        if (!w || !b)
            fail("%s: tensor '%s' is missing (a file of %zu layers holds layers.0 to layers.%zu, a weight and a bias "
                 "each)",
                 file, (!w ? w_key : b_key).c_str(), layers, layers - 1);
        if (w->shape.size() != 2 || w->shape[0] == 0 || w->shape[1] == 0)
            fail("%s: %s must have the shape [out, in] with neither 0", file, w_key.c_str());
        if (l == 0)
            arch.push_back(std::size_t(w->shape[1]));
        else if (w->shape[1] != arch.back())
            fail("%s: %s is [%llu, %llu], but the layer before gives %zu outputs", file, w_key.c_str(),
                 static_cast<unsigned long long>(w->shape[0]), static_cast<unsigned long long>(w->shape[1]),
                 arch.back());
        arch.push_back(std::size_t(w->shape[0]));
        if (b->shape.size() != 1 || b->shape[0] != w->shape[0])
            fail("%s: %s must have the shape [%llu]", file, b_key.c_str(),
                 static_cast<unsigned long long>(w->shape[0]));
        layer_tensors.emplace_back(w, b);
    }
    return arch;
}

template <class>
std::string join_activations(const std::vector<Activation>& activations) {
    std::string text;
    for (std::size_t l = 0; l < activations.size(); ++l) {
        if (l) text += ',';
        text += name(activations[l]);
    }
    return text;
}

template <Real T>
LoadSettings read_settings(const json::Value* metadata, const std::vector<std::size_t>& arch,
                           const LoadSettings& settings, const char* file) {
    const std::size_t layers = arch.size() - 1;
    if (!metadata) {
        if (!settings.given)
            fail("%s: the file does not name its activations (no __metadata__); pass them: "
                 "nn::load<T>(path, hidden, output)",
                 file);
        return settings;
    }
    auto text = [&](const char* key) -> const std::string* {
        const json::Value* v = metadata->find(key);
        return v ? &v->text : nullptr;
    };
    if (const std::string* a = text("arch"); a && *a != join_arch(arch))
        fail("%s: the metadata's arch '%.60s' disagrees with the tensors' shapes (%s)", file, a->c_str(),
             join_arch(arch).c_str());
    const std::string* per_layer = text("activations");
    const std::string* hidden = text("hidden");
    const std::string* output = text("output");
    const std::string* loss = text("loss");
    LoadSettings meta;
    if (loss && !parse_loss(*loss, meta.loss)) fail("%s: the metadata's loss '%.40s' is unknown", file, loss->c_str());
    if (per_layer) {
        std::string_view rest = *per_layer;
        for (;;) {
            const std::size_t comma = rest.find(',');
            const std::string_view item = rest.substr(0, comma);
            Activation a;
            if (!parse_activation(item, a))
                fail("%s: the metadata's activations '%.60s' hold '%.20s', which is not an activation", file,
                     per_layer->c_str(), std::string(item).c_str());
            meta.activations.push_back(a);
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
        if (meta.activations.size() != layers)
            fail("%s: the metadata's activations '%.60s' name %zu, the tensors make %zu layers", file,
                 per_layer->c_str(), meta.activations.size(), layers);
    }
    if (hidden && !parse_activation(*hidden, meta.hidden))
        fail("%s: the metadata's hidden activation '%.40s' is unknown", file, hidden->c_str());
    if (output && !parse_activation(*output, meta.output))
        fail("%s: the metadata's output activation '%.40s' is unknown", file, output->c_str());
    if (!per_layer && (hidden != nullptr) != (output != nullptr))
        fail("%s: the metadata names the %s activation but not the %s one; a file names both, or neither", file,
             hidden ? "hidden" : "output", hidden ? "output" : "hidden");
    for (std::size_t l = 0; per_layer && hidden && l + 1 < layers; ++l)
        if (meta.activations[l] != meta.hidden)
            fail("%s: the metadata's activations '%.60s' and its hidden activation '%s' disagree", file,
                 per_layer->c_str(), name(meta.hidden));
    if (per_layer && output && meta.output != meta.activations.back())
        fail("%s: the metadata's activations '%.60s' and its output activation '%s' disagree", file, per_layer->c_str(),
             name(meta.output));
    if (!per_layer && !hidden) {
        if (!settings.given)
            fail("%s: the file does not name its activations (no __metadata__ activations, or hidden and output); "
                 "pass them: nn::load<T>(path, hidden, output)",
                 file);
        if (loss && settings.loss != meta.loss)
            fail("%s: the file says loss %s; the caller asked for %s", file, name(meta.loss), name(settings.loss));
        return settings;
    }
    meta.activations = meta.per_layer(layers);
    meta.given = true;
    if (!loss) meta.loss = settings.given ? settings.loss : Loss::MSE;
    if (settings.given && (settings.per_layer(layers) != meta.activations || (loss && settings.loss != meta.loss)))
        fail("%s: the file says activations %s, loss %s; the caller asked for %s, %s", file,
             join_activations(meta.activations).c_str(), name(meta.loss),
             join_activations(settings.per_layer(layers)).c_str(), name(settings.loss));
    return meta;
}

} // namespace nn::detail
#endif // NN_DETAIL_DEFINITIONS

#define NN_DETAIL_NETWORK_FILE_INSTANCES(T)                                                                            \
    NN_DETAIL_OUT_OF_LINE(std::vector<std::size_t> nn::detail::read_layers<T>(                                         \
        const nn::detail::SafetensorsFile&, const char*,                                                               \
        std::vector<std::pair<const nn::detail::Tensor*, const nn::detail::Tensor*>>&));                               \
    NN_DETAIL_OUT_OF_LINE(nn::detail::LoadSettings nn::detail::read_settings<T>(                                       \
        const nn::detail::json::Value*, const std::vector<std::size_t>&, const nn::detail::LoadSettings&,              \
        const char*))
NN_DETAIL_NETWORK_FILE_INSTANCES(float);
NN_DETAIL_NETWORK_FILE_INSTANCES(double);
#undef NN_DETAIL_NETWORK_FILE_INSTANCES
NN_DETAIL_OUT_OF_LINE(std::string nn::detail::join_activations<void>(const std::vector<nn::Activation>&));
