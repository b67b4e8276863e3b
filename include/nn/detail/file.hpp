// nn/detail/file.hpp: reading a whole file, and replacing one atomically.
//
// The functions are templates (on nothing) so that a program compiles them only where it calls
// them, and the compiled mode once (NN_DETAIL_DEFINITIONS, NN_DETAIL_OUT_OF_LINE: config.hpp);
// its other files read these declarations alone, without the system's file headers.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include <nn/config.hpp>
#include <nn/error.hpp>

namespace nn::detail {

/// True when a file (or anything) is at `path`.
template <class = void>
bool file_exists(const std::string& path);

/// The whole file, or nn::Error naming it and the reason.
template <class = void>
std::string read_file(const std::string& path);

/// Replaces the file at `path` with `bytes`, or leaves it as it was: the bytes go to the
/// temporary file `<file>.tmp` in the same folder (a stale one, left by a save that was killed,
/// is removed first), which is flushed, synced to disk and then renamed over the target (rename
/// is atomic within a file system). A symbolic link at `path` is followed: the file it points to
/// is replaced, the link kept. A new file's mode is 0666 less the umask; a replaced file keeps its
/// mode. A file larger than the file-size limit (ulimit -f) is refused before anything is written.
/// On any failure the temporary file is removed and nn::Error names the step that failed. Two
/// saves to the same file at once are not supported: the one whose temporary file was replaced
/// fails, except in the short window between its check and its rename. The bytes may come in
/// parts, written one after the other (a file's header and its data, without joining them).
template <class = void>
void write_file_atomically(const std::string& path, std::initializer_list<std::string_view> parts);

/// As above, with the bytes in one piece.
template <class = void>
void write_file_atomically(const std::string& path, std::string_view bytes);

} // namespace nn::detail

#if NN_DETAIL_DEFINITIONS
#include <cerrno>
#include <cstdio>
#include <cstring>

#if __has_include(<unistd.h>) && __has_include(<fcntl.h>) && __has_include(<sys/stat.h>) && __has_include(<sys/resource.h>)
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#define NN_DETAIL_POSIX_FILES 1
#endif

namespace nn::detail {

template <class>
bool file_exists(const std::string& path) {
#ifdef NN_DETAIL_POSIX_FILES
    struct ::stat st {};
    return ::stat(path.c_str(), &st) == 0;
#else
    if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
        std::fclose(f);
        return true;
    }
    return false;
#endif
}

template <class>
std::string read_file(const std::string& path) {
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

#ifdef NN_DETAIL_POSIX_FILES
/// The file a path names once symbolic links are followed (the path itself when it is not a link,
/// or when a link points nowhere yet, the path that link names).
template <class = void>
std::string follow_links(std::string path) {
    for (int hops = 0; hops < 40; ++hops) {
        struct ::stat st {};
        if (::lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return path;
        std::string target(std::size_t(st.st_size > 0 ? st.st_size : 255) + 1, '\0');
        const ::ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
        if (n < 0) return path;
        target.resize(std::size_t(n));
        const std::size_t slash = path.rfind('/');
        path = target.front() == '/' || slash == std::string::npos ? target : path.substr(0, slash + 1) + target;
    }
    fail("cannot save '%s': too many levels of symbolic links", path.c_str());
}
#endif

template <class>
void write_file_atomically(const std::string& path, std::initializer_list<std::string_view> parts) {
    std::size_t size = 0;
    for (const std::string_view part : parts) size += part.size();
#ifdef NN_DETAIL_POSIX_FILES
    const std::string target = follow_links(path);
    struct ::rlimit limit {};
    if (::getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY && size > limit.rlim_cur)
        fail("cannot save '%s': it would be %zu bytes, over the file-size limit (ulimit -f) of %llu bytes; the file "
             "there is unchanged",
             path.c_str(), size, static_cast<unsigned long long>(limit.rlim_cur));
    const std::string temp = target + ".tmp";
    ::unlink(temp.c_str()); // a stale one from a killed save (or nothing)
    // O_EXCL: the new file is ours, made with mode 0666 and the umask applied by the system.
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0)
        fail("cannot save '%s': cannot create the temporary file '%s': %s", path.c_str(), temp.c_str(),
             std::strerror(errno));
    struct ::stat existing {};
    if (::stat(target.c_str(), &existing) == 0) ::fchmod(fd, existing.st_mode & 07777);
    const char* step = nullptr;
    int error = 0;
    for (const std::string_view bytes : parts)
        for (std::size_t done = 0; done < bytes.size() && !step;) {
            const ::ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0)
                step = "write", error = n < 0 ? errno : ENOSPC;
            else
                done += std::size_t(n);
        }
    if (!step && ::fsync(fd) != 0) step = "sync", error = errno;
    // The temporary file must still be the one written (not replaced by a save running beside this one).
    struct ::stat written {
    }, named{};
    if (!step && (::fstat(fd, &written) != 0 || ::stat(temp.c_str(), &named) != 0 || written.st_ino != named.st_ino ||
                  written.st_dev != named.st_dev))
        step = "check", error = EBUSY;
    if (::close(fd) != 0 && !step) step = "close", error = errno;
    if (!step && std::rename(temp.c_str(), target.c_str()) != 0) step = "rename", error = errno;
    if (step) {
        if (std::strcmp(step, "check") != 0) std::remove(temp.c_str());
        fail("cannot save '%s': %s failed: %s; the file there is unchanged", path.c_str(), step,
             std::strcmp(step, "check") == 0 ? "another save to the same file ran at the same time"
                                             : std::strerror(error));
    }
    // Make the rename itself durable: sync the folder that holds the file.
    const std::size_t slash = target.rfind('/');
    const std::string folder = slash == std::string::npos ? "." : slash == 0 ? "/" : target.substr(0, slash);
    if (const int dir = ::open(folder.c_str(), O_RDONLY); dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
#else
    (void)size;
    const std::string temp = path + ".tmp";
    std::FILE* f = std::fopen(temp.c_str(), "wb");
    if (!f) fail("cannot save '%s': cannot create '%s': %s", path.c_str(), temp.c_str(), std::strerror(errno));
    bool written = true;
    for (const std::string_view bytes : parts)
        written = written && std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    written = written && std::fflush(f) == 0;
    const bool closed = std::fclose(f) == 0;
    if (!written || !closed || std::rename(temp.c_str(), path.c_str()) != 0) {
        std::remove(temp.c_str());
        fail("cannot save '%s': writing it failed; the file there is unchanged", path.c_str());
    }
#endif
}

template <class>
void write_file_atomically(const std::string& path, std::string_view bytes) {
    write_file_atomically(path, {bytes});
}

} // namespace nn::detail
#endif // NN_DETAIL_DEFINITIONS

NN_DETAIL_OUT_OF_LINE(bool nn::detail::file_exists<void>(const std::string&));
NN_DETAIL_OUT_OF_LINE(std::string nn::detail::read_file<void>(const std::string&));
NN_DETAIL_OUT_OF_LINE(void nn::detail::write_file_atomically<void>(const std::string&,
                                                                   std::initializer_list<std::string_view>));
NN_DETAIL_OUT_OF_LINE(void nn::detail::write_file_atomically<void>(const std::string&, std::string_view));
