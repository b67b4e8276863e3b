// Reads a CSV file as a newcomer would: with no options first, then following each nn::Error's
// advice (the first option it names that was not tried yet), and prints the options it needed and
// the numbers it read, for sklearn_csv.py to compare with scikit-learn's own loaders.
// Usage: sklearn_csv <file.csv>
#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nn/csv.hpp>

// "name rows cols", then a line of numbers per row (empty without columns).
static void print(const char* name, const nn::Matrix<double>& M) {
    std::printf("%s %zu %zu\n", name, M.rows(), M.cols());
    for (std::size_t i = 0; i < M.rows(); ++i) {
        for (std::size_t j = 0; j < M.cols(); ++j) std::printf(j ? " %.17g" : "%.17g", M(i, j));
        std::printf("\n");
    }
}

int main(int argc, char** argv) {
    if (argc != 2) return std::fprintf(stderr, "usage: %s file.csv\n", argv[0]), 2;
    // Each option an error may name, and what it sets.
    using Set = void (*)(nn::CsvOptions&);
    const std::vector<std::pair<std::string_view, Set>> advice = {
        {".skip_rows = 1", [](nn::CsvOptions& o) { o.skip_rows = 1; }},
        {".targets = nn::CsvTargets::Values", [](nn::CsvOptions& o) { o.targets = nn::CsvTargets::Values; }},
        {".targets = nn::CsvTargets::None", [](nn::CsvOptions& o) { o.targets = nn::CsvTargets::None; }},
    };
    nn::CsvOptions options;
    std::vector<std::string_view> taken;
    for (;;) {
        try {
            const auto d = nn::read_csv<double>(argv[1], options);
            std::printf("options");
            for (std::string_view t : taken) std::printf(" %.*s", int(t.size()), t.data());
            std::printf("\n");
            print("X", d.X);
            print("Y", d.Y);
            std::printf("classes %zu\n", d.classes.size());
            for (const auto& c : d.classes) std::printf("%s\n", c.c_str());
            return 0;
        } catch (const nn::Error& e) {
            const std::string_view message = e.what();
            std::fprintf(stderr, "error: %s\n", e.what());
            std::size_t first = std::string_view::npos;
            const std::pair<std::string_view, Set>* pick = nullptr;
            for (const auto& a : advice)
                if (const std::size_t at = message.find(a.first); at < first && std::find(taken.begin(), taken.end(), a.first) == taken.end())
                    first = at, pick = &a;
            if (!pick) return std::fprintf(stderr, "the message names no option left to try\n"), 1;
            pick->second(options);
            taken.push_back(pick->first);
        }
    }
}
