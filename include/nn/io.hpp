// nn/io.hpp: saving and loading networks as safetensors files.
//
// The format (github.com/huggingface/safetensors): an 8-byte little-endian header length N, N
// bytes of JSON naming each tensor's dtype, shape and [begin, end) byte offsets into the data
// that follows, then the raw little-endian data. nn writes, for each layer l,
//   layers.{l}.weight  [out, in]  (PyTorch nn.Linear's layout: the transpose of weights(l))
//   layers.{l}.bias    [out]
// as F32 or F64, and __metadata__ {"arch": "10,20,6", "activations": "sigmoid,sigmoid", "hidden":
// "sigmoid", "output": "sigmoid", "loss": "mse", "nn_version": "0.1.0"} ("hidden" and "output"
// only where all hidden layers share one activation: what files before "activations" hold).
#pragma once

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <nn/activation.hpp>
#include <nn/detail/file.hpp>
#include <nn/detail/json.hpp>
#include <nn/loss.hpp>
#include <nn/network.hpp>

namespace nn {

namespace detail {

static_assert(std::endian::native == std::endian::little || std::endian::native == std::endian::big);

inline void put_le(std::string& out, const void* value, std::size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(value);
    for (std::size_t k = 0; k < size; ++k)
        out += char(bytes[std::endian::native == std::endian::little ? k : size - 1 - k]);
}

inline std::uint64_t get_le64(const unsigned char* p) {
    std::uint64_t v = 0;
    for (int k = 7; k >= 0; --k) v = (v << 8) | p[k];
    return v;
}

/// IEEE 754 half precision to float, exactly (every half is a float).
inline float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = std::uint32_t(h & 0x8000) << 16;
    std::uint32_t exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF, bits;
    if (exponent == 0x1F)
        bits = sign | 0x7F800000 | (mantissa << 13); // inf, nan
    else if (exponent != 0)
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    else if (mantissa == 0)
        bits = sign;
    else { // subnormal: normalise
        exponent = 113;
        while (!(mantissa & 0x400)) mantissa <<= 1, --exponent;
        bits = sign | (exponent << 23) | ((mantissa & 0x3FF) << 13);
    }
    return std::bit_cast<float>(bits);
}

struct Tensor {
    std::string dtype;
    std::vector<std::uint64_t> shape;
    std::uint64_t begin = 0, end = 0;
};

inline std::size_t dtype_size(std::string_view dtype) {
    if (dtype == "F64") return 8;
    if (dtype == "F32") return 4;
    if (dtype == "F16" || dtype == "BF16") return 2;
    return 0;
}

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

inline std::uint64_t parse_u64(const json::Value& v, const char* file, const std::string& where) {
    std::uint64_t n = 0;
    const std::string& t = v.text;
    const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (v.kind != json::Value::Kind::Number || ec != std::errc() || ptr != t.data() + t.size())
        fail("%s: %s must be a whole number from 0 to 2^64 - 1, found '%.40s'", file, where.c_str(), t.c_str());
    return n;
}

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

/// The JSON header of a safetensors file and the data after it.
struct SafetensorsParts {
    json::Value root;
    std::string_view data;
};

// The steps of parse_safetensors below are templates on the network's T only so that a program
// that never loads a network does not compile them (as inline functions, every includer would).

/// The largest header the safetensors format allows (its reference implementation's limit).
inline constexpr std::uint64_t max_header_bytes = 100'000'000;

/// Step 1: the 8-byte header length, the JSON header (an object) and the data bytes.
template <Real T>
SafetensorsParts split_safetensors(std::string_view bytes, const char* file) {
    if (bytes.size() < 8)
        fail("%s: not a safetensors file: it has %zu bytes, fewer than the 8 of a header length", file, bytes.size());
    const std::uint64_t header_size = get_le64(reinterpret_cast<const unsigned char*>(bytes.data()));
    if (header_size > bytes.size() - 8)
        fail("%s: not a safetensors file: its first 8 bytes give a header length of %llu, and only %zu bytes follow",
             file, static_cast<unsigned long long>(header_size), bytes.size() - 8);
    if (header_size > max_header_bytes)
        fail("%s: the header length is %llu bytes, over the %llu that safetensors allows", file,
             static_cast<unsigned long long>(header_size), static_cast<unsigned long long>(max_header_bytes));
    const std::string_view header = bytes.substr(8, std::size_t(header_size));
    if (header.empty() || header[0] != '{')
        fail("%s: not a safetensors file: its header does not start with '{'", file);
    return {json::parse(header, file), bytes.substr(8 + std::size_t(header_size))}; // '{': an object, or an error
}

/// Step 2: every tensor's entry, checked on its own (dtype, shape, offsets within the data), and
/// the __metadata__ object, if any.
template <Real T>
std::vector<std::pair<std::string, Tensor>> read_tensor_table(const json::Value& root, std::size_t data_size,
                                                              const char* file, const json::Value*& metadata) {
    std::vector<std::pair<std::string, Tensor>> tensors;
    metadata = nullptr;
    for (std::size_t m = 0; m < root.keys().size(); ++m) {
        const std::string& key = root.keys()[m];
        const json::Value& value = root.items()[m];
        if (key == "__metadata__") {
            if (value.kind != json::Value::Kind::Object) fail("%s: __metadata__ is not an object", file);
            for (std::size_t k = 0; k < value.keys().size(); ++k)
                if (value.items()[k].kind != json::Value::Kind::String)
                    fail("%s: __metadata__ value '%.40s' is not a string", file, value.keys()[k].c_str());
            metadata = &value;
            continue;
        }
        if (value.kind != json::Value::Kind::Object) fail("%s: tensor '%.60s' is not an object", file, key.c_str());
        const json::Value* dtype = value.find("dtype");
        const json::Value* shape = value.find("shape");
        const json::Value* offsets = value.find("data_offsets");
        if (!dtype || !shape || !offsets || value.keys().size() != 3)
            fail("%s: tensor '%.60s' needs exactly dtype, shape and data_offsets", file, key.c_str());
        if (dtype->kind != json::Value::Kind::String)
            fail("%s: tensor '%.60s': dtype is not a string", file, key.c_str());
        if (shape->kind != json::Value::Kind::Array)
            fail("%s: tensor '%.60s': shape is not an array", file, key.c_str());
        if (offsets->kind != json::Value::Kind::Array || offsets->items().size() != 2)
            fail("%s: tensor '%.60s': data_offsets is not [begin, end]", file, key.c_str());
        Tensor t;
        t.dtype = dtype->text;
        for (const auto& d : shape->items()) t.shape.push_back(parse_u64(d, file, "a shape entry of " + key));
        t.begin = parse_u64(offsets->items()[0], file, "data_offsets of " + key);
        t.end = parse_u64(offsets->items()[1], file, "data_offsets of " + key);
        const std::size_t size = dtype_size(t.dtype);
        if (size == 0)
            fail("%s: tensor '%.60s' has dtype '%.20s'; nn reads F32, F64, F16 and BF16", file, key.c_str(),
                 t.dtype.c_str());
        if (t.begin > t.end || t.end > data_size)
            fail("%s: tensor '%.60s' has data_offsets [%llu, %llu] outside the %zu data bytes", file, key.c_str(),
                 static_cast<unsigned long long>(t.begin), static_cast<unsigned long long>(t.end), data_size);
        std::uint64_t elements = 1;
        for (std::uint64_t d : t.shape) {
            if (d != 0 && elements > (t.end - t.begin) / d)
                fail("%s: tensor '%.60s': its shape holds more elements than its %llu bytes", file, key.c_str(),
                     static_cast<unsigned long long>(t.end - t.begin));
            elements *= d;
        }
        if (elements * size != t.end - t.begin)
            fail("%s: tensor '%.60s': shape and dtype make %llu bytes, data_offsets %llu", file, key.c_str(),
                 static_cast<unsigned long long>(elements * size), static_cast<unsigned long long>(t.end - t.begin));
        tensors.emplace_back(key, std::move(t));
    }
    return tensors;
}

/// Step 3: the tensors cover the data exactly: sorted by begin, each starts where the last ended.
template <Real T>
void check_coverage(const std::vector<std::pair<std::string, Tensor>>& tensors, std::size_t data_size,
                    const char* file) {
    std::vector<const Tensor*> by_offset;
    for (const auto& [k, t] : tensors) by_offset.push_back(&t);
    std::sort(by_offset.begin(), by_offset.end(), [](const Tensor* a, const Tensor* b) { return a->begin < b->begin; });
    std::uint64_t covered = 0;
    for (const Tensor* t : by_offset) {
        if (t->begin != covered)
            fail("%s: the tensors' data %s at byte %llu", file, t->begin < covered ? "overlaps" : "has a gap",
                 static_cast<unsigned long long>(t->begin < covered ? t->begin : covered));
        covered = t->end;
    }
    if (covered != data_size)
        fail("%s: the tensors cover %llu of the %zu data bytes", file, static_cast<unsigned long long>(covered),
             data_size);
}

/// Step 4: the layers layers.0 ... layers.(L-1), each a weight [out, in] and a bias [out], whose
/// shapes chain: the arch, and the two tensors of each layer.
template <Real T>
std::vector<std::size_t> read_layers(std::vector<std::pair<std::string, Tensor>>& tensors, const char* file,
                                     std::vector<std::pair<const Tensor*, const Tensor*>>& layer_tensors) {
    std::sort(tensors.begin(), tensors.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    auto find = [&](const std::string& key) -> const Tensor* {
        const auto it = std::lower_bound(tensors.begin(), tensors.end(), key,
                                         [](const auto& entry, const std::string& k) { return entry.first < k; });
        return it != tensors.end() && it->first == key ? &it->second : nullptr;
    };
    if (tensors.size() % 2 != 0 || tensors.empty())
        fail("%s: %zu tensors; a network needs a weight and a bias per layer", file, tensors.size());
    const std::size_t layers = tensors.size() / 2;
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

inline std::string join_arch(const std::vector<std::size_t>& arch) {
    std::string text;
    for (std::size_t k = 0; k < arch.size(); ++k) {
        if (k) text += ','; // (not "," + to_string: GCC 12 warns falsely on that, bug 105651)
        text += std::to_string(arch[k]);
    }
    return text;
}

/// "relu,tanh,softmax": the metadata's activations, and how messages name them.
inline std::string join_activations(const std::vector<Activation>& activations) {
    std::string text;
    for (std::size_t l = 0; l < activations.size(); ++l) {
        if (l) text += ',';
        text += name(activations[l]);
    }
    return text;
}

/// Step 5: the activations and loss, from the metadata (per layer in "activations", or as
/// "hidden" and "output", which files before per-layer activations hold), from the caller, or
/// from both, which must then agree.
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

/// What parse_safetensors does with the metadata besides the network's own keys: nothing.
struct IgnoreMetadata {
    void operator()(const json::Value*, const std::vector<std::size_t>&) const {}
};

/// Builds a network from the bytes of a safetensors file (`file` names it in errors); `more` is
/// given the metadata (or nullptr) and the arch once they are checked, to read keys of its own.
template <Real T, class More = IgnoreMetadata>
NN<T> parse_safetensors(std::string_view bytes, const char* file, const LoadSettings& settings, const More& more = {}) {
    const SafetensorsParts parts = split_safetensors<T>(bytes, file);
    const json::Value* metadata = nullptr;
    auto tensors = read_tensor_table<T>(parts.root, parts.data.size(), file, metadata);
    check_coverage<T>(tensors, parts.data.size(), file);
    std::vector<std::pair<const Tensor*, const Tensor*>> layer_tensors;
    const std::vector<std::size_t> arch = read_layers<T>(tensors, file, layer_tensors);
    const LoadSettings chosen = read_settings<T>(metadata, arch, settings, file);
    more(metadata, arch);

    // Step 6: the parameters, converted to T.
    NN<T> net(arch, chosen.per_layer(arch.size() - 1), chosen.loss, {.scheme = Init::Zero});
    const std::string_view data = parts.data;
    auto read = [&](const Tensor& t, std::size_t index) -> T {
        const auto* p = reinterpret_cast<const unsigned char*>(data.data() + t.begin) + index * dtype_size(t.dtype);
        auto bits = [&](std::size_t n) {
            std::uint64_t v = 0;
            for (std::size_t k = n; k-- > 0;) v = (v << 8) | p[k];
            return v;
        };
        if (t.dtype == "F64") return static_cast<T>(std::bit_cast<double>(bits(8)));
        if (t.dtype == "F32") return static_cast<T>(std::bit_cast<float>(std::uint32_t(bits(4))));
        if (t.dtype == "F16") return static_cast<T>(half_to_float(std::uint16_t(bits(2))));
        return static_cast<T>(std::bit_cast<float>(std::uint32_t(bits(2)) << 16)); // BF16
    };
    for (std::size_t l = 0; l < net.layers(); ++l) {
        const Tensor& w = *layer_tensors[l].first;
        const Tensor& b = *layer_tensors[l].second;
        ParameterMatrix<T>& W = net.weights(l);
        for (std::size_t o = 0; o < W.cols(); ++o)
            for (std::size_t i = 0; i < W.rows(); ++i) W(i, o) = read(w, o * W.rows() + i); // [out, in] -> in x out
        for (std::size_t o = 0; o < W.cols(); ++o) net.biases(l)(0, o) = read(b, o);
    }
    return net;
}

/// The bytes of a safetensors file holding `net`; `more` holds metadata members of its own,
/// each written as ,"key":"value" (quoted already).
template <Real T>
std::string to_safetensors(const NN<T>& net, std::string_view more = {}) {
    const char* dtype = sizeof(T) == 8 ? "F64" : "F32";
    std::string header = "{\"__metadata__\":{\"arch\":" + json::quote(join_arch(net.arch())) +
                         ",\"activations\":" + json::quote(join_activations(net.activations()));
    // Files before per-layer activations name "hidden" and "output": write them too where they say
    // it all, so that those versions load what this one saves (and refuse what they cannot hold).
    bool uniform = net.layers() > 1;
    for (std::size_t l = 1; uniform && l + 1 < net.layers(); ++l) uniform = net.activation(l) == net.activation(0);
    if (uniform)
        header +=
            ",\"hidden\":" + json::quote(name(net.activation(0))) + ",\"output\":" + json::quote(name(net.output()));
    header += ",\"loss\":" + json::quote(name(net.loss())) + ",\"nn_version\":\"" + std::to_string(NN_VERSION_MAJOR) +
              "." + std::to_string(NN_VERSION_MINOR) + "." + std::to_string(NN_VERSION_PATCH) + "\"";
    header += more;
    header += "}";
    std::uint64_t offset = 0;
    for (std::size_t l = 0; l < net.layers(); ++l) {
        const std::size_t in = net.arch()[l], out = net.arch()[l + 1];
        const std::string layer = "layers." + std::to_string(l);
        header += ",\"" + layer + ".weight\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + std::to_string(out) + "," +
                  std::to_string(in) + "],\"data_offsets\":[" + std::to_string(offset) + "," +
                  std::to_string(offset + out * in * sizeof(T)) + "]}";
        offset += out * in * sizeof(T);
        header += ",\"" + layer + ".bias\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + std::to_string(out) +
                  "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + out * sizeof(T)) +
                  "]}";
        offset += out * sizeof(T);
    }
    header += "}";
    header.append((8 - header.size() % 8) % 8, ' '); // the data starts 8-byte aligned, as safetensors writes it
    std::string bytes;
    bytes.reserve(8 + header.size() + std::size_t(offset));
    const std::uint64_t size = header.size();
    put_le(bytes, &size, 8);
    bytes += header;
    for (std::size_t l = 0; l < net.layers(); ++l) {
        const ParameterMatrix<T>& W = net.weights(l);
        for (std::size_t o = 0; o < W.cols(); ++o)
            for (std::size_t i = 0; i < W.rows(); ++i) put_le(bytes, &W(i, o), sizeof(T));
        for (const T& b : net.biases(l)) put_le(bytes, &b, sizeof(T));
    }
    return bytes;
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
