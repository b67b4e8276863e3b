// What the library writes is the same bytes under any locale: the exported C, the SVG pictures, a
// model's metadata, the messages of nn::Error and the progress lines, first in the "C" locale and
// then under de_DE.UTF-8, whose decimal comma printf would write (0,5 and 0x1,8p+0). The exported
// C written under de_DE.UTF-8 is compiled as C99. CTest generates the locale into a folder of the
// build (localedef, from Debian's locales) and points LOCPATH at it.
//     nn_locale LOCALE C_COMPILER FOLDER
#include <cerrno>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <locale>
#include <string>
#include <vector>

#include <unistd.h>

#include <nn/nn.hpp>

// glibc's setlocale keeps 48 bytes of a composite locale's name for good (__argz_add_sep): not
// the library's, so LeakSanitizer, in the sanitizer builds, is told to pass over it.
extern "C" const char* __lsan_default_suppressions() { return "leak:__argz_add_sep\n"; }

namespace {

/// Everything that prints a number, as text.
std::vector<std::string> outputs(const std::string& folder) {
    std::vector<std::string> out;
    nn::NN<float> net({3, 5, 2}, nn::Activation::Tanh, nn::Activation::Softmax, nn::Loss::CrossEntropy, {.seed = 1});
    nn::NN<double> reg({2, 4, 1}, nn::Activation::LeakyReLU, nn::Activation::Sigmoid, nn::Loss::MSE, {.seed = 2});
    out.push_back(nn::to_c(net, "classify"));
    out.push_back(nn::to_c(reg, "regress"));
    out.push_back(nn::network_svg(net));
    nn::History h;
    for (std::size_t e = 1; e <= 5; ++e)
        h.epochs.push_back({.epoch = e, .train_cost = 1.5 / double(e), .val_cost = 2.25 / double(e)});
    out.push_back(nn::history_svg({{"a run", h}}, {.log_scale = true}));
    out.push_back(nn::history_svg({{"a run", h}}, {.log_scale = false}));
    const nn::Matrix<float> X{{1.5f, -2.25f, 0.125f}, {3.5f, 0.5f, -1.0f}};
    nn::Model<float> model{net, nn::Standardizer<float>::fit(X), {"yes", "no"}};
    const std::string path = folder + "/model.safetensors";
    nn::save(model, path);
    out.push_back(nn::detail::read_file(path));
    try {
        net.finite_diff(X, nn::Matrix<float>{{1, 0}, {0, 1}}, -0.5f);
    } catch (const nn::Error& e) {
        out.push_back(e.what()); // "finite_diff needs a finite eps > 0, was given -0.5"
    }
    // The progress lines, written to stderr: to a file for the run, then stderr is put back.
    const std::string log = folder + "/progress.txt";
    std::fflush(stderr);
    const int saved = dup(2);
    if (saved < 0 || !std::freopen(log.c_str(), "w", stderr)) {
        std::printf("cannot send stderr to %s: %s\n", log.c_str(), std::strerror(errno));
        std::exit(3);
    }
    nn::Adam<float> adam(0.01f);
    nn::train(net, X, nn::Matrix<float>{{1, 0}, {0, 1}}, adam, {.epochs = 3, .progress = nn::Progress::Lines}, X,
              nn::Matrix<float>{{1, 0}, {0, 1}});
    std::fflush(stderr);
    dup2(saved, 2);
    close(saved);
    const std::string lines = nn::detail::read_file(log);
    std::string kept; // each line up to the epoch's seconds, which differ run by run
    for (std::size_t begin = 0, end; (end = lines.find('\n', begin)) != std::string::npos; begin = end + 1) {
        const std::string line = lines.substr(begin, end - begin);
        kept += line.substr(0, line.rfind("  ")) + "\n";
    }
    out.push_back(kept);
    return out;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 4) return std::fprintf(stderr, "usage: %s LOCALE C_COMPILER FOLDER\n", argv[0]), 2;
    std::setvbuf(stdout, nullptr, _IONBF, 0); // every line seen, however this program ends
    const std::string folder = argv[3];
    const std::vector<std::string> c_locale = outputs(folder);
    try {
        std::locale::global(std::locale(argv[1])); // and setlocale(LC_ALL, ...): what printf reads
    } catch (const std::exception& e) {
        std::printf("the locale %s is not there (%s): generate it with localedef\n", argv[1], e.what());
        return 1;
    }
    char probe[32];
    std::snprintf(probe, sizeof probe, "%g", 0.5);
    std::printf("printf under %s writes 0.5 as %s\n", argv[1], probe);
    if (std::string(probe) != "0,5") return std::puts("the locale has no decimal comma: the test proves nothing"), 1;
    const std::vector<std::string> other = outputs(folder);
    int failures = 0;
    const char* names[] = {"to_c (float)", "to_c (double)", "network_svg",   "history_svg (log)",
                           "history_svg",  "model file",    "error message", "progress lines"};
    for (std::size_t k = 0; k < c_locale.size(); ++k) {
        const bool same = k < other.size() && other[k] == c_locale[k];
        std::printf("%-18s %s\n", names[k], same ? "the same bytes" : "DIFFERENT");
        if (!same && k < other.size()) {
            const std::string& a = c_locale[k];
            const std::string& b = other[k];
            std::size_t at = 0;
            while (at < a.size() && at < b.size() && a[at] == b[at]) ++at;
            const std::size_t from = at < 40 ? 0 : at - 40;
            std::printf("  from byte %zu, in C: \"%s\"\n  under %s: \"%s\"\n", at, a.substr(from, 80).c_str(), argv[1],
                        b.substr(from, 80).c_str());
        }
        failures += !same;
    }
    if (c_locale.size() != 8) return std::puts("not every output was made"), 1;
    // The exported C, written under the decimal comma, compiles.
    const std::string header = folder + "/classify.h", source = folder + "/use.c";
    nn::detail::write_file_atomically(header, other[0]);
    nn::detail::write_file_atomically(
        source, "#include \"classify.h\"\nint main(void) {\n    float in[3] = {1, 2, 3}, out[2];\n"
                "    classify_predict(in, out);\n    return out[0] + out[1] > 0.99f ? 0 : 1;\n}\n");
    const std::string compile = std::string(argv[2]) + " -std=c99 -Wall -Wextra -Werror -pedantic -o " + folder +
                                "/use " + source + " -lm && " NN_TEST_RUN + folder + "/use";
    const int rc = std::system(compile.c_str());
    std::printf("the exported C %s\n", rc == 0 ? "compiles and runs" : ("DOES NOT COMPILE OR RUN: " + compile).c_str());
    return failures == 0 && rc == 0 ? 0 : 1;
}
