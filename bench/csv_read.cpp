// read_csv's time and memory on a large file: 5 million rows of four numbers and a class label
// (about 144 MB), written once to a file in the temporary folder and then read; the peak resident
// memory of the process against the bytes of the matrices read_csv returns.
//     build/bench/csv_read [rows]      (default 5000000)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <sys/resource.h>

#include <nn/nn.hpp>

namespace {
double peak_megabytes() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_maxrss) / 1024; // kilobytes on Linux
}
} // namespace

int main(int argc, char** argv) {
    const std::size_t rows = argc > 1 ? std::stoul(argv[1]) : 5'000'000;
    const std::string path =
        (std::filesystem::temp_directory_path() / ("nn_csv_" + std::to_string(rows) + ".csv")).string();
    if (!std::filesystem::exists(path)) { // written a block at a time: the writer's memory stays small
        std::FILE* f = std::fopen(path.c_str(), "wb");
        if (!f) return std::perror(path.c_str()), 1;
        nn::Rng rng(1);
        std::string block;
        std::fputs("sepal_length,sepal_width,petal_length,petal_width,species\n", f);
        for (std::size_t i = 0; i < rows; ++i) {
            for (int c = 0; c < 4; ++c) nn::detail::append(block, "%.3f,", rng.uniform(0.0, 10.0));
            nn::detail::append(block, "class_%d\n", int(rng.below(3)));
            if (block.size() > (1 << 20)) std::fputs(block.c_str(), f), block.clear();
        }
        std::fputs(block.c_str(), f);
        std::fclose(f);
    }
    const double before = peak_megabytes(), file_mb = double(std::filesystem::file_size(path)) / 1e6;
    const auto start = std::chrono::steady_clock::now();
    const auto data = nn::read_csv<float>(path);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double matrices = double((data.X.size() + data.Y.size()) * sizeof(float)) / (1024 * 1024);
    const double peak = peak_megabytes();
    std::printf("read_csv<float>: %zu rows x %zu inputs, %zu classes from a %.0f MB file in %.2f s (%.0f MB/s)\n",
                data.X.rows(), data.X.cols(), data.Y.cols(), file_mb, seconds, file_mb / seconds);
    std::printf("matrices returned %.0f MiB; peak resident memory %.0f MiB (%.0f MiB before reading): %.2fx the "
                "matrices\n",
                matrices, peak, before, peak / matrices);
    return 0;
}
