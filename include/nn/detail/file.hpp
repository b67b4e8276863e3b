// nn/detail/file.hpp: reading a whole file, and replacing one atomically.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#if __has_include(<unistd.h>) && __has_include(<fcntl.h>) && __has_include(<sys/stat.h>)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#define NN_DETAIL_POSIX_FILES 1
#endif

#include <nn/error.hpp>

namespace nn::detail {

/// The whole file, or nn::Error naming it and the reason.
inline std::string read_file(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) fail("cannot open '%s': %s", path.c_str(), std::strerror(errno));
    std::string text;
    char buffer[1 << 16];
    std::size_t got;
    while ((got = std::fread(buffer, 1, sizeof buffer, f)) > 0) text.append(buffer, got);
    const bool failed = std::ferror(f) != 0;
    const int error = errno;
    std::fclose(f);
    if (failed) fail("cannot read '%s': %s", path.c_str(), std::strerror(error));
    return text;
}

/// Replaces the file at `path` with `bytes`, or leaves it as it was: the bytes go to a new
/// temporary file in the same folder, which is flushed, synced to disk and then renamed over
/// the target (rename is atomic within a file system). On any failure the temporary file is
/// removed and nn::Error names the step that failed.
inline void write_file_atomically(const std::string& path, std::string_view bytes) {
#ifdef NN_DETAIL_POSIX_FILES
    std::string temp = path + ".tmp.XXXXXX";
    const int fd = ::mkstemp(temp.data());
    if (fd < 0)
        fail("cannot save '%s': cannot create a temporary file beside it: %s", path.c_str(), std::strerror(errno));
    // mkstemp makes the file private (0600); give it the mode of the file it replaces, or 0644.
    struct ::stat existing {};
    ::fchmod(fd, ::stat(path.c_str(), &existing) == 0 ? existing.st_mode & 07777 : 0644);
    const char* step = nullptr;
    int error = 0;
    for (std::size_t done = 0; done < bytes.size() && !step;) {
        const ::ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            step = "write", error = n < 0 ? errno : ENOSPC;
        else
            done += std::size_t(n);
    }
    if (!step && ::fsync(fd) != 0) step = "sync", error = errno;
    if (::close(fd) != 0 && !step) step = "close", error = errno;
    if (!step && std::rename(temp.c_str(), path.c_str()) != 0) step = "rename", error = errno;
    if (step) {
        std::remove(temp.c_str());
        fail("cannot save '%s': %s failed: %s; the file there is unchanged", path.c_str(), step, std::strerror(error));
    }
    // Make the rename itself durable: sync the folder that holds the file.
    const std::size_t slash = path.rfind('/');
    const std::string folder = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    if (const int dir = ::open(folder.c_str(), O_RDONLY); dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
#else
    const std::string temp = path + ".tmp";
    std::FILE* f = std::fopen(temp.c_str(), "wb");
    if (!f) fail("cannot save '%s': cannot create '%s': %s", path.c_str(), temp.c_str(), std::strerror(errno));
    const bool written = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() && std::fflush(f) == 0;
    const bool closed = std::fclose(f) == 0;
    if (!written || !closed || std::rename(temp.c_str(), path.c_str()) != 0) {
        std::remove(temp.c_str());
        fail("cannot save '%s': writing it failed; the file there is unchanged", path.c_str());
    }
#endif
}

} // namespace nn::detail
