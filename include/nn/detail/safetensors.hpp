// nn/detail/safetensors.hpp: the safetensors format, read and written, with no idea of networks.
//
// The format (github.com/huggingface/safetensors): an 8-byte little-endian header length N, N
// bytes of JSON naming each tensor's dtype, shape and [begin, end) byte offsets into the data that
// follows, and an optional "__metadata__" object of strings; then the raw little-endian data.
// read_safetensors checks all of it (the offsets, the shapes against the bytes, that the tensors
// cover the data exactly) before anything is read from the data; io.hpp builds a network on it,
// checkpoint.hpp a training run.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nn/detail/json.hpp>
#include <nn/error.hpp>

namespace nn::detail {

static_assert(std::endian::native == std::endian::little || std::endian::native == std::endian::big);

inline void put_le(std::string& out, const void* value, std::size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(value);
    if constexpr (std::endian::native == std::endian::little)
        out.append(reinterpret_cast<const char*>(bytes), size);
    else
        for (std::size_t k = size; k-- > 0;) out += char(bytes[k]);
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

/// One tensor's entry in the header: checked against the data by read_safetensors.
struct Tensor {
    std::string dtype;
    std::vector<std::uint64_t> shape;
    std::uint64_t begin = 0, end = 0;

    std::uint64_t elements() const {
        std::uint64_t n = 1;
        for (const std::uint64_t d : shape) n *= d;
        return n;
    }
};

inline std::size_t dtype_size(std::string_view dtype) {
    if (dtype == "F64") return 8;
    if (dtype == "F32") return 4;
    if (dtype == "F16" || dtype == "BF16") return 2;
    return 0;
}

/// The largest header the safetensors format allows (its reference implementation's limit).
inline constexpr std::uint64_t max_header_bytes = 100'000'000;

/// A safetensors file, checked whole: its header, its metadata strings and its tensors, sorted by
/// name, each within the data. The data is a view of the bytes it was read from.
struct SafetensorsFile {
    json::Value root;
    const json::Value* metadata = nullptr;               // the __metadata__ object, or nullptr
    std::vector<std::pair<std::string, Tensor>> tensors; // sorted by name
    std::string_view data;

    /// The tensor called `name`, or nullptr.
    template <class = void>
    const Tensor* find(std::string_view name) const;

    /// The metadata string called `key`, or nullptr.
    const std::string* meta(std::string_view key) const {
        const json::Value* v = metadata ? metadata->find(key) : nullptr;
        return v ? &v->text : nullptr;
    }

    /// Element i of t (a tensor of this file), converted to T: F64, F32, F16 and BF16 are read.
    template <Real T>
    T element(const Tensor& t, std::size_t i) const {
        const std::size_t size = dtype_size(t.dtype);
        const auto* p = reinterpret_cast<const unsigned char*>(data.data() + t.begin) + i * size;
        std::uint64_t v = 0;
        for (std::size_t k = size; k-- > 0;) v = (v << 8) | p[k];
        if (t.dtype == "F64") return static_cast<T>(std::bit_cast<double>(v));
        if (t.dtype == "F32") return static_cast<T>(std::bit_cast<float>(std::uint32_t(v)));
        if (t.dtype == "F16") return static_cast<T>(half_to_float(std::uint16_t(v)));
        return static_cast<T>(std::bit_cast<float>(std::uint32_t(v) << 16)); // BF16
    }
};

// The reading and the writer's header are templates (on nothing) only so that a program that never
// reads or writes a file does not compile them (as inline functions, every includer would), and
// so that the compiled mode compiles them once, its other files reading these declarations alone
// (NN_DETAIL_DEFINITIONS, NN_DETAIL_OUT_OF_LINE: config.hpp).

/// Parses and checks a safetensors file's bytes; `file` names it in errors. Every tensor's dtype,
/// shape and offsets are checked on their own, and then that the tensors cover the data exactly
/// (sorted by begin, each starting where the last ended).
template <class = void>
SafetensorsFile read_safetensors(std::string_view bytes, const char* file);

/// Builds a safetensors file: metadata strings and tensors in the order they are added, the data
/// 8-byte aligned as the format's reference implementation writes it. The data is kept once:
/// parts() gives the file as the header and that data, for writing without a copy.
class SafetensorsWriter {
public:
    /// A __metadata__ string.
    void metadata(std::string_view key, std::string_view value) { metadata_.emplace_back(key, value); }

    /// Room for this many bytes of data in all, so that adding tensors does not copy the data.
    void reserve(std::size_t bytes) { data_.reserve(bytes); }

    /// A tensor of this shape, whose elements (as many as the shape holds) `at(i)` gives in order.
    template <Real T, class At>
    void tensor(std::string_view name, const std::vector<std::uint64_t>& shape, const At& at) {
        std::uint64_t count = 1;
        for (const std::uint64_t d : shape) count *= d;
        Tensor t{sizeof(T) == 8 ? "F64" : "F32", shape, data_.size(), 0};
        for (std::uint64_t i = 0; i < count; ++i) {
            const T x = at(std::size_t(i));
            put_le(data_, &x, sizeof(T));
        }
        t.end = data_.size();
        tensors_.emplace_back(std::string(name), std::move(t));
    }
    /// A tensor of `values` as they are, of shape [values.size()].
    template <Real T>
    void tensor(std::string_view name, std::span<const T> values) {
        tensor<T>(name, {values.size()}, [&](std::size_t i) { return values[i]; });
    }

    const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }
    const std::vector<std::pair<std::string, Tensor>>& tensors() const { return tensors_; }
    std::string_view data() const { return data_; }

    /// The 8-byte header length and the header; the data, which follows it in the file, is data().
    template <class = void>
    std::string header() const;

    /// The whole file in one string (a copy of the data).
    std::string bytes() const { return header() + data_; }

private:
    std::vector<std::pair<std::string, std::string>> metadata_;
    std::vector<std::pair<std::string, Tensor>> tensors_; // in the order added
    std::string data_;
};

} // namespace nn::detail

#if NN_DETAIL_DEFINITIONS
#include <algorithm>
#include <charconv>

namespace nn::detail {

template <class = void>
std::uint64_t parse_u64(const json::Value& v, const char* file, const std::string& where) {
    std::uint64_t n = 0;
    const std::string& t = v.text;
    const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (v.kind != json::Value::Kind::Number || ec != std::errc() || ptr != t.data() + t.size())
        fail("%s: %s must be a whole number from 0 to 2^64 - 1, found '%.40s'", file, where.c_str(), t.c_str());
    return n;
}

template <class>
const Tensor* SafetensorsFile::find(std::string_view name) const {
    const auto it = std::lower_bound(tensors.begin(), tensors.end(), name,
                                     [](const auto& entry, std::string_view k) { return entry.first < k; });
    return it != tensors.end() && it->first == name ? &it->second : nullptr;
}

template <class>
SafetensorsFile read_safetensors(std::string_view bytes, const char* file) {
    SafetensorsFile out;
    // The 8-byte header length, the JSON header (an object) and the data bytes.
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
    out.root = json::parse(header, file); // '{': an object, or an error
    out.data = bytes.substr(8 + std::size_t(header_size));

    // Every tensor's entry, checked on its own (dtype, shape, offsets within the data), and the
    // __metadata__ object, if any.
    const json::Value& root = out.root;
    const std::size_t data_size = out.data.size();
    for (std::size_t m = 0; m < root.keys().size(); ++m) {
        const std::string& key = root.keys()[m];
        const json::Value& value = root.items()[m];
        if (key == "__metadata__") {
            if (value.kind != json::Value::Kind::Object) fail("%s: __metadata__ is not an object", file);
            for (std::size_t k = 0; k < value.keys().size(); ++k)
                if (value.items()[k].kind != json::Value::Kind::String)
                    fail("%s: __metadata__ value '%.40s' is not a string", file, value.keys()[k].c_str());
            out.metadata = &value;
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
        out.tensors.emplace_back(key, std::move(t));
    }

    // The tensors cover the data exactly: sorted by begin, each starts where the last ended.
    std::vector<const Tensor*> by_offset;
    for (const auto& [k, t] : out.tensors) by_offset.push_back(&t);
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
    std::sort(out.tensors.begin(), out.tensors.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
}

template <class>
std::string SafetensorsWriter::header() const {
    // (Each piece appended on its own: GCC 12 warns falsely on "," + std::string, bug 105651.)
    std::string json = "{";
    if (!metadata_.empty()) {
        json += "\"__metadata__\":{";
        for (std::size_t k = 0; k < metadata_.size(); ++k) {
            if (k) json += ',';
            json += json::quote(metadata_[k].first);
            json += ':';
            json += json::quote(metadata_[k].second);
        }
        json += '}';
    }
    for (std::size_t k = 0; k < tensors_.size(); ++k) {
        const Tensor& t = tensors_[k].second;
        if (k || !metadata_.empty()) json += ',';
        json += json::quote(tensors_[k].first);
        json += ":{\"dtype\":\"";
        json += t.dtype;
        json += "\",\"shape\":[";
        for (std::size_t d = 0; d < t.shape.size(); ++d) {
            if (d) json += ',';
            json += std::to_string(t.shape[d]);
        }
        json += "],\"data_offsets\":[";
        json += std::to_string(t.begin);
        json += ',';
        json += std::to_string(t.end);
        json += "]}";
    }
    json += '}';
    json.append((8 - json.size() % 8) % 8, ' '); // the data starts 8-byte aligned
    std::string out;
    const std::uint64_t size = json.size();
    put_le(out, &size, 8);
    out += json;
    return out;
}

} // namespace nn::detail
#endif // NN_DETAIL_DEFINITIONS

NN_DETAIL_OUT_OF_LINE(nn::detail::SafetensorsFile nn::detail::read_safetensors<void>(std::string_view, const char*));
NN_DETAIL_OUT_OF_LINE(const nn::detail::Tensor* nn::detail::SafetensorsFile::find<void>(std::string_view) const);
NN_DETAIL_OUT_OF_LINE(std::string nn::detail::SafetensorsWriter::header<void>() const);
