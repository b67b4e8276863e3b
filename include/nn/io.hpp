// nn/io.hpp: saving and loading networks as safetensors files.
//
// The format (github.com/huggingface/safetensors): an 8-byte little-endian header length N, N
// bytes of JSON naming each tensor's dtype, shape and [begin, end) byte offsets into the data
// that follows, then the raw little-endian data. nn writes, for each layer l,
//   layers.{l}.weight  [out, in]  (PyTorch nn.Linear's layout: the transpose of weights(l))
//   layers.{l}.bias    [out]
// as F32 or F64, and __metadata__ {"arch": "10,20,6", "hidden": "sigmoid", "output": "sigmoid",
// "loss": "mse", "nn_version": "0.1.0"}.
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

/// The optional settings a caller passes to load, checked against the file's metadata.
struct LoadSettings {
    bool given = false;
    Activation hidden = Activation::Sigmoid, output = Activation::Sigmoid;
    Loss loss = Loss::MSE;
};

/// Builds a network from the bytes of a safetensors file (`file` names it in errors).
template <Real T>
NN<T> parse_safetensors(std::string_view bytes, const char* file, const LoadSettings& settings) {
    if (bytes.size() < 8)
        fail("%s: %zu bytes is too short for a safetensors file (8-byte header length)", file, bytes.size());
    const std::uint64_t header_size = get_le64(reinterpret_cast<const unsigned char*>(bytes.data()));
    if (header_size > bytes.size() - 8)
        fail("%s: the header length %llu runs past the end of the file (%zu bytes)", file,
             static_cast<unsigned long long>(header_size), bytes.size());
    const std::string_view header = bytes.substr(8, std::size_t(header_size));
    const std::string_view data = bytes.substr(8 + std::size_t(header_size));
    const json::Value root = json::parse(header, file);
    if (root.kind != json::Value::Kind::Object) fail("%s: the header is not a JSON object", file);

    // Tensors and metadata.
    std::vector<std::pair<std::string, Tensor>> tensors;
    const json::Value* metadata = nullptr;
    for (std::size_t m = 0; m < root.keys.size(); ++m) {
        const std::string& key = root.keys[m];
        const json::Value& value = root.items[m];
        if (key == "__metadata__") {
            if (value.kind != json::Value::Kind::Object) fail("%s: __metadata__ is not an object", file);
            for (std::size_t k = 0; k < value.keys.size(); ++k)
                if (value.items[k].kind != json::Value::Kind::String)
                    fail("%s: __metadata__ value '%.40s' is not a string", file, value.keys[k].c_str());
            metadata = &value;
            continue;
        }
        if (value.kind != json::Value::Kind::Object) fail("%s: tensor '%.60s' is not an object", file, key.c_str());
        const json::Value* dtype = value.find("dtype");
        const json::Value* shape = value.find("shape");
        const json::Value* offsets = value.find("data_offsets");
        if (!dtype || !shape || !offsets || value.keys.size() != 3)
            fail("%s: tensor '%.60s' needs exactly dtype, shape and data_offsets", file, key.c_str());
        if (dtype->kind != json::Value::Kind::String)
            fail("%s: tensor '%.60s': dtype is not a string", file, key.c_str());
        if (shape->kind != json::Value::Kind::Array)
            fail("%s: tensor '%.60s': shape is not an array", file, key.c_str());
        if (offsets->kind != json::Value::Kind::Array || offsets->items.size() != 2)
            fail("%s: tensor '%.60s': data_offsets is not [begin, end]", file, key.c_str());
        Tensor t;
        t.dtype = dtype->text;
        for (const auto& d : shape->items) t.shape.push_back(parse_u64(d, file, "a shape entry of " + key));
        t.begin = parse_u64(offsets->items[0], file, "data_offsets of " + key);
        t.end = parse_u64(offsets->items[1], file, "data_offsets of " + key);
        const std::size_t size = dtype_size(t.dtype);
        if (size == 0)
            fail("%s: tensor '%.60s' has dtype '%.20s'; nn reads F32, F64, F16 and BF16", file, key.c_str(),
                 t.dtype.c_str());
        if (t.begin > t.end || t.end > data.size())
            fail("%s: tensor '%.60s' has data_offsets [%llu, %llu] outside the %zu data bytes", file, key.c_str(),
                 static_cast<unsigned long long>(t.begin), static_cast<unsigned long long>(t.end), data.size());
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

    // The data must be covered exactly: sorted by begin, each tensor starts where the last ended.
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
    if (covered != data.size())
        fail("%s: the tensors cover %llu of the %zu data bytes", file, static_cast<unsigned long long>(covered),
             data.size());

    // The layers: layers.0 ... layers.(L-1), each a weight [out, in] and a bias [out].
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
    }

    // Activations and loss: from the metadata, from the caller, or both (then they must agree).
    LoadSettings chosen = settings;
    if (metadata) {
        auto text = [&](const char* key) -> const std::string* {
            const json::Value* v = metadata->find(key);
            return v ? &v->text : nullptr;
        };
        if (const std::string* a = text("arch")) {
            std::string expected;
            for (std::size_t k = 0; k < arch.size(); ++k) {
                if (k) expected += ',';
                expected += std::to_string(arch[k]);
            }
            if (*a != expected)
                fail("%s: the metadata's arch '%.60s' disagrees with the tensors' shapes (%s)", file, a->c_str(),
                     expected.c_str());
        }
        LoadSettings meta;
        const std::string* hidden = text("hidden");
        const std::string* output = text("output");
        const std::string* loss = text("loss");
        if (hidden && !parse_activation(*hidden, meta.hidden))
            fail("%s: the metadata's hidden activation '%.40s' is unknown", file, hidden->c_str());
        if (output && !parse_activation(*output, meta.output))
            fail("%s: the metadata's output activation '%.40s' is unknown", file, output->c_str());
        if (loss && !parse_loss(*loss, meta.loss))
            fail("%s: the metadata's loss '%.40s' is unknown", file, loss->c_str());
        if (hidden && output) {
            if (settings.given && (settings.hidden != meta.hidden || settings.output != meta.output ||
                                   (loss && settings.loss != meta.loss)))
                fail("%s: the file says hidden %s, output %s, loss %s; the caller asked for %s, %s, %s", file,
                     name(meta.hidden), name(meta.output), name(meta.loss), name(settings.hidden),
                     name(settings.output), name(settings.loss));
            chosen = meta;
            chosen.given = true;
            if (!loss) chosen.loss = settings.given ? settings.loss : Loss::MSE;
        }
    }
    if (!chosen.given)
        fail("%s: the file does not name its activations (no __metadata__ hidden and output); pass them: "
             "nn::load<T>(path, hidden, output)",
             file);

    NN<T> net(arch, chosen.hidden, chosen.output, chosen.loss);
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
    for (std::size_t l = 0; l < layers; ++l) {
        const Tensor& w = *find("layers." + std::to_string(l) + ".weight");
        const Tensor& b = *find("layers." + std::to_string(l) + ".bias");
        Matrix<T>& W = net.weights(l);
        for (std::size_t o = 0; o < W.cols(); ++o)
            for (std::size_t i = 0; i < W.rows(); ++i) W(i, o) = read(w, o * W.rows() + i); // [out, in] -> in x out
        for (std::size_t o = 0; o < W.cols(); ++o) net.biases(l)(0, o) = read(b, o);
    }
    return net;
}

/// The bytes of a safetensors file holding `net`.
template <Real T>
std::string to_safetensors(const NN<T>& net) {
    const char* dtype = sizeof(T) == 8 ? "F64" : "F32";
    std::string arch;
    for (std::size_t k = 0; k < net.arch().size(); ++k) {
        if (k) arch += ','; // (not "," + to_string: GCC 12 warns falsely on that, bug 105651)
        arch += std::to_string(net.arch()[k]);
    }
    std::string header =
        "{\"__metadata__\":{\"arch\":" + json::quote(arch) + ",\"hidden\":" + json::quote(name(net.hidden())) +
        ",\"output\":" + json::quote(name(net.output())) + ",\"loss\":" + json::quote(name(net.loss())) +
        ",\"nn_version\":\"" + std::to_string(NN_VERSION_MAJOR) + "." + std::to_string(NN_VERSION_MINOR) + "." +
        std::to_string(NN_VERSION_PATCH) + "\"}";
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
        const Matrix<T>& W = net.weights(l);
        for (std::size_t o = 0; o < W.cols(); ++o)
            for (std::size_t i = 0; i < W.rows(); ++i) put_le(bytes, &W(i, o), sizeof(T));
        for (const T& b : net.biases(l)) put_le(bytes, &b, sizeof(T));
    }
    return bytes;
}

} // namespace detail

/// Saves `net` as a safetensors file, atomically: an earlier file at `path` is replaced only once
/// the new one is complete on disk, and left as it was if saving fails (nn::Error says why).
///     nn::save(net, "adder.safetensors");
template <Real T>
void save(const NN<T>& net, const std::string& path) {
    detail::write_file_atomically(path, detail::to_safetensors(net));
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
    return detail::parse_safetensors<T>(detail::read_file(path), path.c_str(), {true, hidden, output, loss});
}

} // namespace nn
