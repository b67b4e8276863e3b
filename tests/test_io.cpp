// nn::save and nn::load: exact round trips, the file layout, other writers' files, every kind of
// bad file, mutations of valid files, and atomic saving.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <csignal>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#if __has_include(<sys/resource.h>)
#include <csignal>
#include <sys/resource.h>
#define NN_TEST_HAVE_RLIMIT 1
#endif

#include "helpers.hpp"
#include <nn/io.hpp>

namespace fs = std::filesystem;

namespace {
using test::Folder, test::read_bytes, test::write_bytes;

// A safetensors file from a header and a data section.
std::string safetensors(const std::string& header, const std::string& data) {
    std::string out(8, '\0');
    const std::uint64_t n = header.size();
    for (int k = 0; k < 8; ++k) out[std::size_t(k)] = char((n >> (8 * k)) & 0xFF);
    return out + header + data;
}

template <class U>
std::string raw(std::initializer_list<U> values) {
    std::string out;
    for (U v : values) {
        char b[sizeof(U)];
        std::memcpy(b, &v, sizeof(U)); // the test machine is little-endian, as the format
        out.append(b, sizeof(U));
    }
    return out;
}

// A {2, 1} network written the way PyTorch tools write one: F32, no metadata.
const std::string torch_header = R"({"layers.0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},)"
                                 R"("layers.0.bias":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
const std::string torch_data = raw<float>({0.5f, -1.5f, 0.25f});

// Loads bytes as a file; returns "" when it loads, else the error without the file name.
std::string load_error(const Folder& folder, const std::string& bytes, bool with_activations = true) {
    const std::string path = folder.file("candidate.safetensors");
    write_bytes(path, bytes);
    try {
        if (with_activations)
            (void)nn::load<double>(path, nn::Activation::Tanh, nn::Activation::Linear);
        else
            (void)nn::load<double>(path);
        return "";
    } catch (const nn::Error& e) {
        const std::string m = e.what();
        return m.rfind(path + ": ", 0) == 0 ? m.substr(path.size() + 2) : "(no file name) " + m;
    }
}

template <class T>
nn::NN<T> random_net(nn::Activation hidden, nn::Activation output, nn::Loss loss, std::uint64_t seed) {
    nn::NN<T> net({5, 7, 3, 4}, hidden, output, loss);
    nn::Rng rng(seed);
    net.randomize(rng, T(-2), T(2));
    return net;
}

} // namespace

TEST_CASE_TEMPLATE("save then load gives back the same network, bit for bit", T, float, double) {
    const Folder folder;
    const auto net = random_net<T>(nn::Activation::LeakyReLU, nn::Activation::Softmax, nn::Loss::CrossEntropy, 3);
    nn::save(net, folder.file("net.safetensors"));
    const auto back = nn::load<T>(folder.file("net.safetensors"));
    CHECK(back.arch() == net.arch());
    CHECK(back.hidden() == net.hidden());
    CHECK(back.output() == net.output());
    CHECK(back.loss() == net.loss());
    CHECK(test::parameters(back) == test::parameters(net));
    nn::Rng rng(4);
    const auto X = test::random_matrix<T>(rng, 3, 5);
    CHECK(back.forward(X) == net.forward(X));
    // Saving again over the file replaces it, and leaves no temporary file behind.
    const auto other = random_net<T>(nn::Activation::Tanh, nn::Activation::Sigmoid, nn::Loss::BinaryCrossEntropy, 5);
    nn::save(other, folder.file("net.safetensors"));
    CHECK(test::parameters(nn::load<T>(folder.file("net.safetensors"))) == test::parameters(other));
    CHECK(std::distance(fs::directory_iterator(folder.path), fs::directory_iterator()) == 1);
}

TEST_CASE("the file's layout: PyTorch's [out, in] weights, metadata, aligned data") {
    const Folder folder;
    nn::NN<float> net({2, 3}, nn::Activation::Sigmoid, nn::Activation::Tanh);
    net.weights(0) = nn::Matrix<float>{{1, 2, 3}, {4, 5, 6}}; // in x out
    net.biases(0) = nn::Matrix<float>{{7, 8, 9}};
    nn::save(net, folder.file("a.safetensors"));
    const std::string bytes = read_bytes(folder.file("a.safetensors"));
    std::uint64_t n = 0;
    for (int k = 7; k >= 0; --k) n = (n << 8) | static_cast<unsigned char>(bytes[std::size_t(k)]);
    CHECK((8 + n) % 8 == 0);
    const auto header = nn::detail::json::parse(bytes.substr(8, n), "header");
    const auto* meta = header.find("__metadata__");
    REQUIRE(meta);
    CHECK(meta->find("arch")->text == "2,3");
    CHECK(meta->find("activations")->text == "tanh");
    CHECK(meta->find("hidden") == nullptr); // one layer: no hidden activation to name
    CHECK(meta->find("output") == nullptr);
    CHECK(meta->find("loss")->text == "mse");
    CHECK(meta->find("nn_version")->text == NN_CMAKE_VERSION);
    const auto* w = header.find("layers.0.weight");
    REQUIRE(w);
    CHECK(w->find("dtype")->text == "F32");
    CHECK(w->find("shape")->items()[0].text == "3"); // out
    CHECK(w->find("shape")->items()[1].text == "2"); // in
    // The data: W transposed (row o holds the weights into output o), then the bias.
    CHECK(bytes.substr(8 + n) == raw<float>({1, 4, 2, 5, 3, 6, 7, 8, 9}));
}

TEST_CASE("a file without metadata, as PyTorch tools write it, loads with the activations given") {
    const Folder folder;
    const std::string bytes = safetensors(torch_header, torch_data);
    CHECK(load_error(folder, bytes, false) == "the file does not name its activations (no __metadata__); pass them: "
                                              "nn::load<T>(path, hidden, output)");
    write_bytes(folder.file("t.safetensors"), bytes);
    const auto net = nn::load<double>(folder.file("t.safetensors"), nn::Activation::ReLU, nn::Activation::Linear);
    CHECK(net.arch() == std::vector<std::size_t>{2, 1});
    CHECK(net.output() == nn::Activation::Linear);
    CHECK(net.weights(0)(0, 0) == 0.5);
    CHECK(net.weights(0)(1, 0) == -1.5);
    CHECK(net.biases(0)(0, 0) == 0.25);
}

TEST_CASE("with metadata, activations given to load must agree with it") {
    const Folder folder;
    nn::save(random_net<double>(nn::Activation::Tanh, nn::Activation::Sigmoid, nn::Loss::MSE, 1), folder.file("m.st"));
    CHECK(nn::load<double>(folder.file("m.st"), nn::Activation::Tanh, nn::Activation::Sigmoid).hidden() ==
          nn::Activation::Tanh);
    CHECK_THROWS_WITH_AS(nn::load<double>(folder.file("m.st"), nn::Activation::ReLU, nn::Activation::Sigmoid),
                         (folder.file("m.st") + ": the file says activations tanh,tanh,sigmoid, loss mse; the "
                                                "caller asked for relu,relu,sigmoid, mse")
                             .c_str(),
                         nn::Error);
}

TEST_CASE("F16 and BF16 weights are converted exactly") {
    const Folder folder;
    // F16: 1, -2, 0.5 and the smallest subnormal 2^-24; BF16: 1.0 (0x3F80) and -0.5 (0xBF00).
    const std::string header = R"({"layers.0.weight":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},)"
                               R"("layers.0.bias":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]}})";
    const std::string data = raw<std::uint16_t>({0x3C00, 0xC000, 0x3800, 0x0001, 0x3F80, 0xBF00});
    write_bytes(folder.file("h.st"), safetensors(header, data));
    const auto net = nn::load<double>(folder.file("h.st"), nn::Activation::Tanh, nn::Activation::Linear);
    CHECK(net.weights(0)(0, 0) == 1.0);      // [out 0, in 0]
    CHECK(net.weights(1 - 1)(1, 0) == -2.0); // [out 0, in 1]
    CHECK(net.weights(0)(0, 1) == 0.5);      // [out 1, in 0]
    CHECK(net.weights(0)(1, 1) == std::ldexp(1.0, -24));
    CHECK(net.biases(0)(0, 0) == 1.0);
    CHECK(net.biases(0)(0, 1) == -0.5);
}

TEST_CASE("every kind of bad file throws nn::Error naming the problem") {
    const Folder folder;
    auto file = [&](const std::string& header, const std::string& data = torch_data) {
        return load_error(folder, safetensors(header, data));
    };
    const std::string w = R"("layers.0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]})";
    const std::string b = R"("layers.0.bias":{"dtype":"F32","shape":[1],"data_offsets":[8,12]})";
    CHECK(file("{" + w + "," + b + "}") == "");
    CHECK(file("{" + w + "}", raw<float>({1, 2})) == "1 tensors; a network needs a weight and a bias per layer");
    CHECK(
        file("{" + w + R"(,"layers.0.bais":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})") ==
        "tensor 'layers.0.bias' is missing (a file of 1 layers holds layers.0 to layers.0, a weight and a bias each)");
    CHECK(file("{" + w + "," + b + R"(,"extra":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}})",
               torch_data + raw<float>({1})) == "3 tensors; a network needs a weight and a bias per layer");
    CHECK(file(R"({"layers.0.weight":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]},)" + b + "}") ==
          "layers.0.bias must have the shape [2]");
    CHECK(file(R"({"layers.0.weight":{"dtype":"I32","shape":[1,2],"data_offsets":[0,8]},)" + b + "}") ==
          "tensor 'layers.0.weight' has dtype 'I32'; nn reads F32, F64, F16 and BF16");
    CHECK(file(R"({"layers.0.weight":{"dtype":"F32","shape":[1,3],"data_offsets":[0,8]},)" + b + "}") ==
          "tensor 'layers.0.weight': shape and dtype make 12 bytes, data_offsets 8");
    CHECK(file(R"({"layers.0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,80]},)" + b + "}") ==
          "tensor 'layers.0.weight' has data_offsets [0, 80] outside the 12 data bytes");
    CHECK(file(std::string(R"({"layers.0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[4,12]},)") +
               R"("layers.0.bias":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})") ==
          "the tensors' data has a gap at byte 0");
    CHECK(file(std::string(R"({"layers.0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},)") +
               R"("layers.0.bias":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})") ==
          "the tensors' data overlaps at byte 4");
    CHECK(file("{" + w + "," + b + "}", torch_data + "xxxx") == "the tensors cover 12 of the 16 data bytes");
    CHECK(file("{" + w + "," + b + ",") == "malformed JSON at byte 136: expected a string key");
    CHECK(file("{" + w + "," + w + "," + b + "}").rfind("malformed JSON at byte", 0) == 0);
    CHECK(file("{" + w + "," + w + "," + b + "}").find("duplicate key") != std::string::npos);
    CHECK(file(R"({"__metadata__":{"arch":"2,5"},)" + w + "," + b + "}") ==
          "the metadata's arch '2,5' disagrees with the tensors' shapes (2,1)");
    CHECK(file(R"({"__metadata__":{"hidden":"swish","output":"linear"},)" + w + "," + b + "}") ==
          "the metadata's hidden activation 'swish' is unknown");
    CHECK(file(R"({"__metadata__":{"arch":2},)" + w + "," + b + "}") == "__metadata__ value 'arch' is not a string");
    CHECK(file(R"({"layers.0.weight":{"dtype":"F32","shape":[1,-2],"data_offsets":[0,8]},)" + b + "}") ==
          "a shape entry of layers.0.weight must be a whole number from 0 to 2^64 - 1, found '-2'");
    CHECK(file("[1, 2]") == "not a safetensors file: its header does not start with '{'");
    // A header length beyond the file, and files too short to hold one.
    std::string lie = safetensors("{" + w + "," + b + "}", torch_data);
    lie[0] = char(0xFF);
    lie[1] = char(0xFF);
    CHECK(load_error(folder, lie)
              .find("not a safetensors file: its first 8 bytes give a header length of 65535, and "
                    "only ") == 0);
    CHECK(load_error(folder, "abc") == "not a safetensors file: it has 3 bytes, fewer than the 8 of a header length");
    CHECK_THROWS_WITH_AS(nn::load<float>(folder.file("absent.safetensors")),
                         ("cannot open '" + folder.file("absent.safetensors") + "': No such file or directory").c_str(),
                         nn::Error);
}

TEST_CASE("mutations of a valid file either load or throw nn::Error") {
    const Folder folder;
    nn::save(random_net<float>(nn::Activation::ReLU, nn::Activation::Linear, nn::Loss::MSE, 9), folder.file("v.st"));
    const std::string valid = read_bytes(folder.file("v.st"));
    std::uint64_t header = 0;
    for (int k = 7; k >= 0; --k) header = (header << 8) | static_cast<unsigned char>(valid[std::size_t(k)]);
    int loaded = 0, rejected = 0;
    auto attempt = [&](const std::string& bytes) {
        const std::string error = load_error(folder, bytes, false);
        (error.empty() ? loaded : rejected) += 1;
        REQUIRE(error.rfind("(no file name)", 0) != 0);
    };
    SUBCASE("truncated at every offset") {
        for (std::size_t n = 0; n < valid.size(); ++n) attempt(valid.substr(0, n));
        CHECK(loaded == 0);
    }
    SUBCASE("every bit of the header flipped") {
        for (std::size_t byte = 0; byte < 8 + header; ++byte)
            for (int bit = 0; bit < 8; ++bit) {
                std::string m = valid;
                m[byte] = char(m[byte] ^ (1 << bit));
                attempt(m);
            }
        CHECK(rejected > 0);
    }
    SUBCASE("absurd header lengths") {
        for (std::uint64_t n : {~std::uint64_t(0), std::uint64_t(1) << 63, std::uint64_t(valid.size()), header + 1,
                                header - 1, std::uint64_t(0)}) {
            std::string m = valid;
            for (int k = 0; k < 8; ++k) m[std::size_t(k)] = char((n >> (8 * k)) & 0xFF);
            attempt(m);
        }
        CHECK(loaded == 0);
    }
    SUBCASE("shape and dtype lies") {
        const std::string h = valid.substr(8, header), data = valid.substr(8 + header);
        for (const auto& [from, to] :
             std::vector<std::pair<std::string, std::string>>{{"[7,5]", "[7000000000,5000000000]"},
                                                              {"[7,5]", "[5,7]"},
                                                              {"[7,5]", "[35]"},
                                                              {"[4]", "[18446744073709551615]"},
                                                              {"F32", "F64"},
                                                              {"F32", "F16"},
                                                              {"F32", "U8"},
                                                              {"[7,5]", "[0,5]"},
                                                              {"[7,5]", "[7,5,1]"}}) {
            std::string lie = h;
            lie.replace(lie.find(from), from.size(), to);
            attempt(safetensors(lie, data));
        }
        CHECK(loaded == 0);
    }
}

#ifdef NN_TEST_HAVE_RLIMIT
TEST_CASE("a save over the file-size limit (ulimit -f) throws nn::Error, not SIGXFSZ, and keeps the earlier file") {
    const Folder folder;
    const std::string path = folder.file("kept.safetensors");
    const auto small = random_net<float>(nn::Activation::Tanh, nn::Activation::Linear, nn::Loss::MSE, 1);
    nn::save(small, path);
    const std::string before = read_bytes(path);

    nn::NN<double> big({200, 200, 200});
    // Files may grow to 4 KiB only: the big network's 640 KB cannot be written. SIGXFSZ keeps its
    // default action (end the process): save must not get as far as writing.
    rlimit old{};
    getrlimit(RLIMIT_FSIZE, &old);
    rlimit tight = old;
    tight.rlim_cur = 4096;
    setrlimit(RLIMIT_FSIZE, &tight);
    std::string message;
    try {
        nn::save(big, path);
    } catch (const nn::Error& e) {
        message = e.what();
    }
    setrlimit(RLIMIT_FSIZE, &old);
    CHECK(message == "cannot save '" + path + "': it would be " +
                         std::to_string(nn::detail::to_safetensors(big).size()) +
                         " bytes, over the file-size limit (ulimit -f) of 4096 bytes; the file there is unchanged");
    CHECK(read_bytes(path) == before);
    CHECK(std::distance(fs::directory_iterator(folder.path), fs::directory_iterator()) == 1); // no temporary left
}
#endif

TEST_CASE("save: the umask for a new file, the mode of a replaced one, symbolic links followed") {
    const Folder folder;
    const auto net = random_net<float>(nn::Activation::Tanh, nn::Activation::Linear, nn::Loss::MSE, 2);
    const ::mode_t old_mask = ::umask(077);
    nn::save(net, folder.file("private.safetensors"));
    ::umask(022);
    nn::save(net, folder.file("shared.safetensors"));
    ::umask(old_mask);
    auto mode = [](const std::string& p) { return fs::status(p).permissions() & fs::perms::all; };
    CHECK(mode(folder.file("private.safetensors")) == (fs::perms::owner_read | fs::perms::owner_write));
    CHECK(mode(folder.file("shared.safetensors")) ==
          (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read));
    fs::permissions(folder.file("shared.safetensors"), fs::perms::owner_all | fs::perms::group_read);
    nn::save(net, folder.file("shared.safetensors"));
    CHECK(mode(folder.file("shared.safetensors")) == (fs::perms::owner_all | fs::perms::group_read));

    // Through a link: the target is replaced, the link stays a link (a relative one, and a chain).
    fs::create_directories(folder.path / "models");
    fs::create_symlink("models/real.safetensors", folder.path / "link.safetensors");
    fs::create_symlink("link.safetensors", folder.path / "link2.safetensors");
    nn::save(net, folder.file("link2.safetensors"));
    CHECK(fs::is_symlink(folder.path / "link.safetensors"));
    CHECK(fs::is_symlink(folder.path / "link2.safetensors"));
    CHECK(fs::is_regular_file(folder.path / "models" / "real.safetensors"));
    CHECK(test::parameters(nn::load<float>(folder.file("models/real.safetensors"))) == test::parameters(net));
    CHECK(std::distance(fs::directory_iterator(folder.path / "models"), fs::directory_iterator()) == 1);
}

TEST_CASE("save: a temporary file left by a killed save is reused, never piled up") {
    const Folder folder;
    const auto net = random_net<float>(nn::Activation::Tanh, nn::Activation::Linear, nn::Loss::MSE, 3);
    const std::string path = folder.file("net.safetensors");
    for (int kill = 0; kill < 5; ++kill) {
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) { // a save killed half way: it stops itself between write and rename
            for (;;) nn::save(net, path);
        }
        ::usleep(::useconds_t(2000 + 1000 * kill));
        ::kill(child, SIGKILL);
        int status = 0;
        ::waitpid(child, &status, 0);
    }
    std::size_t files = 0;
    for (const auto& entry : fs::directory_iterator(folder.path)) {
        ++files;
        CHECK((entry.path().filename() == "net.safetensors" || entry.path().filename() == "net.safetensors.tmp"));
    }
    CHECK(files <= 2);
    nn::save(net, path);
    CHECK(std::distance(fs::directory_iterator(folder.path), fs::directory_iterator()) == 1);
    CHECK(test::parameters(nn::load<float>(path)) == test::parameters(net));
}

TEST_CASE("per-layer activations round-trip, and files of the version before them still load") {
    const Folder folder;
    using nn::Activation;
    const nn::NN<float> mixed({3, 5, 4, 2}, {Activation::ReLU, Activation::Tanh, Activation::Softmax},
                              nn::Loss::CrossEntropy, {.seed = 9});
    nn::save(mixed, folder.file("mixed.st"));
    const auto back = nn::load<float>(folder.file("mixed.st"));
    CHECK(back.activations() == mixed.activations());
    CHECK(back.loss() == nn::Loss::CrossEntropy);
    CHECK(test::parameters(back) == test::parameters(mixed));
    CHECK(nn::load<float>(folder.file("mixed.st"), mixed.activations(), nn::Loss::CrossEntropy).activations() ==
          mixed.activations());
    // Mixed hidden layers: no "hidden" to name, so a reader that knows only hidden/output refuses it.
    const std::string bytes = read_bytes(folder.file("mixed.st"));
    CHECK(bytes.find("\"hidden\"") == std::string::npos);
    CHECK(bytes.find("\"activations\":\"relu,tanh,softmax\"") != std::string::npos);

    // A file as version 0.1.0 wrote it: hidden and output, no activations.
    const std::string w = R"("layers.0.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]})";
    const std::string b0 = R"("layers.0.bias":{"dtype":"F32","shape":[2],"data_offsets":[16,24]})";
    const std::string w1 = R"("layers.1.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[24,32]})";
    const std::string b1 = R"("layers.1.bias":{"dtype":"F32","shape":[1],"data_offsets":[32,36]})";
    const std::string old_meta =
        R"({"__metadata__":{"arch":"2,2,1","hidden":"tanh","output":"sigmoid","loss":"mse","nn_version":"0.1.0"},)";
    const std::string data = raw<float>({1, 2, 3, 4, 5, 6, 7, 8, 9});
    write_bytes(folder.file("old.st"), safetensors(old_meta + w + "," + b0 + "," + w1 + "," + b1 + "}", data));
    const auto old = nn::load<float>(folder.file("old.st"));
    CHECK(old.activations() == std::vector<Activation>{Activation::Tanh, Activation::Sigmoid});
    CHECK(old.weights(0)(1, 0) == 2.0f); // [out, in] -> in x out
    // Only one of hidden and output is an error, not a silent default.
    const std::string half = R"({"__metadata__":{"hidden":"tanh"},)";
    CHECK(load_error(folder, safetensors(half + w + "," + b0 + "," + w1 + "," + b1 + "}", data), false) ==
          "the metadata names the hidden activation but not the output one; a file names both, or neither");
    const std::string disagree =
        R"({"__metadata__":{"activations":"relu,sigmoid","hidden":"tanh","output":"sigmoid"},)";
    CHECK(load_error(folder, safetensors(disagree + w + "," + b0 + "," + w1 + "," + b1 + "}", data), false) ==
          "the metadata's activations 'relu,sigmoid' and its hidden activation 'tanh' disagree");
    const std::string wrong_count = R"({"__metadata__":{"activations":"tanh"},)";
    CHECK(load_error(folder, safetensors(wrong_count + w + "," + b0 + "," + w1 + "," + b1 + "}", data), false) ==
          "the metadata's activations 'tanh' name 1, the tensors make 2 layers");
}

TEST_CASE("a file that is not a safetensors file says so") {
    const Folder folder;
    const std::string csv = "sepal_length,sepal_width,petal_length,species\n5.1,3.5,1.4,setosa\n";
    CHECK(load_error(folder, csv, false).find("not a safetensors file: its first 8 bytes give a header length of ") ==
          0);
    std::string not_json(8, '\0');
    not_json[0] = 4;
    CHECK(load_error(folder, not_json + "abcd", false) == "not a safetensors file: its header does not start with '{'");
}

TEST_CASE("saving into a folder that does not exist throws") {
    const Folder folder;
    const std::string path = folder.file("no/such/folder/net.safetensors");
    CHECK_THROWS_WITH_AS(
        nn::save(nn::NN<float>({1, 1}), path),
        ("cannot save '" + path + "': cannot create the temporary file '" + path + ".tmp': No such file or directory")
            .c_str(),
        nn::Error);
}
