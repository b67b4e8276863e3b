// nn/detail/digest.hpp: a 64-bit digest of bytes, to compare what must be the same: processes'
// parameters and options, a checkpoint's contents with its checksum, the data a run resumes on.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace nn::detail {

/// A 64-bit digest of a run of bytes (FNV-1a over 8-byte words, the last one padded with zeros,
/// so digest the length too where it may vary). A change of one word always changes it: each step
/// is a bijection of the digest so far.
inline std::uint64_t digest(const void* data, std::size_t bytes, std::uint64_t h = 0xcbf29ce484222325u) {
    const unsigned char* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < bytes; i += 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, p + i, std::min<std::size_t>(8, bytes - i));
        h = (h ^ word) * 0x100000001b3u;
    }
    return h;
}

} // namespace nn::detail
