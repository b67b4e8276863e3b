// nn/detail/protobuf.hpp: the protocol buffers wire format, written and read, with no idea of
// ONNX (onnx.hpp maps ONNX's messages on it).
//
// A message is a sequence of fields, each a key varint (field number << 3 | wire type) and a value:
// wire type 0 a varint, 1 eight little-endian bytes, 2 a varint length and that many bytes (a
// string, bytes, a nested message or a packed repeated field), 5 four little-endian bytes
// (protobuf.dev/programming-guides/encoding). The reader checks every length against the bytes
// that remain before it reads, allocates nothing, and refuses the deprecated groups (3, 4).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nn/error.hpp>

namespace nn::detail::protobuf {

/// The `size` (at most 8) little-endian bytes at p, as a number: a fixed-size field's value, or
/// one element of a packed or raw array of them.
inline std::uint64_t little_endian(const char* p, std::size_t size) {
    std::uint64_t v = 0;
    for (std::size_t k = size; k-- > 0;) v = v << 8 | static_cast<unsigned char>(p[k]);
    return v;
}

enum Wire : std::uint32_t { Varint = 0, Fixed64 = 1, Bytes = 2, Fixed32 = 5 };

/// A message being written: fields appended in the order they are given.
class Writer {
public:
    void varint(std::uint32_t field, std::uint64_t value) {
        key(field, Varint);
        raw_varint(value);
    }
    void bytes(std::uint32_t field, std::string_view value) {
        key(field, Bytes);
        raw_varint(value.size());
        out_ += value;
    }
    void fixed32(std::uint32_t field, float value) {
        key(field, Fixed32);
        put_little_endian(std::bit_cast<std::uint32_t>(value), 4);
    }
    void message(std::uint32_t field, const Writer& inner) { bytes(field, inner.out_); }
    /// A packed repeated int64 field.
    template <class Range>
    void packed_varints(std::uint32_t field, const Range& values) {
        Writer inner;
        for (const auto v : values) inner.raw_varint(static_cast<std::uint64_t>(v));
        message(field, inner);
    }

    const std::string& str() const { return out_; }

private:
    void key(std::uint32_t field, Wire wire) { raw_varint(std::uint64_t(field) << 3 | wire); }
    void raw_varint(std::uint64_t v) {
        for (; v >= 0x80; v >>= 7) out_ += char(v | 0x80);
        out_ += char(v);
    }
    void put_little_endian(std::uint64_t v, int size) {
        for (int k = 0; k < size; ++k, v >>= 8) out_ += char(v & 0xFF);
    }

    std::string out_;
};

/// One field read: its number, its wire type and its value (`number` for the varint and fixed
/// types, `bytes` for wire type 2).
struct Field {
    std::uint32_t field = 0;
    Wire wire = Varint;
    std::uint64_t number = 0;
    std::string_view bytes;
};

/// Reads the fields of one message's bytes, in order; nn::Error naming `file`, `what` (the
/// message being read) and the offset for bytes that are not the wire format.
class Reader {
public:
    Reader(std::string_view message, const char* file, const char* what) : in_(message), file_(file), what_(what) {}

    /// The next field into f; false at the end of the message.
    bool next(Field& f) {
        if (at_ == in_.size()) return false;
        const std::uint64_t key = varint();
        const std::uint64_t wire = key & 7;
        if (key >> 3 == 0 || key >> 3 > 0x1FFFFFFF) bad("a field number of 0 or above 2^29");
        f.field = std::uint32_t(key >> 3);
        f.wire = Wire(wire);
        f.bytes = {};
        switch (wire) {
        case Varint: f.number = varint(); break;
        case Fixed64: f.number = fixed(8); break;
        case Fixed32: f.number = fixed(4); break;
        case Bytes: {
            const std::uint64_t size = varint();
            if (size > in_.size() - at_) bad("a length past the end of the message");
            f.bytes = in_.substr(at_, std::size_t(size));
            at_ += std::size_t(size);
            break;
        }
        default: bad("a group or an unknown wire type");
        }
        return true;
    }

    /// The varints of a packed repeated field's bytes, one by one (also a Reader's job: same checks).
    bool next_varint(std::uint64_t& v) {
        if (at_ == in_.size()) return false;
        v = varint();
        return true;
    }

    [[noreturn]] void bad(const char* what) const {
        fail("%s: not a protobuf file (as ONNX files are): %s in %s at byte %zu of %zu", file_, what, what_, at_,
             in_.size());
    }

private:
    std::uint64_t varint() {
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (at_ == in_.size()) bad("a number cut off by the end of the message");
            const auto byte = static_cast<unsigned char>(in_[at_++]);
            v |= std::uint64_t(byte & 0x7F) << shift;
            if (!(byte & 0x80)) return v;
        }
        bad("a number of more than ten bytes");
    }
    std::uint64_t fixed(std::size_t size) {
        if (size > in_.size() - at_) bad("a number cut off by the end of the message");
        at_ += size;
        return protobuf::little_endian(in_.data() + at_ - size, size);
    }

    std::string_view in_;
    std::size_t at_ = 0;
    const char* file_;
    const char* what_;
};

} // namespace nn::detail::protobuf
