// Training that survives SIGKILL: for each trainer, a child process trains with
// TrainOptions{.checkpoint = ..., .resume = true} and is killed with SIGKILL at a random moment
// (during a batch, a validation, a checkpoint's write), again and again, each time restarted with
// the same command, until it finishes; its final network and history must be the bits of the
// same run never interrupted. (A program of its own: it forks and execs itself.)
//     nn_resume                                  the test: every trainer, at least 20 kills in all
//     nn_resume child TRAINER CHECKPOINT OUT     one run, resumed from CHECKPOINT if it is there
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <nn/nn.hpp>

namespace {

struct Data {
    nn::Matrix<float> X, Y;
};

// Three blobs in 4-D, one-hot labels (and, for the sigmoid networks, the same targets).
Data blobs(std::uint64_t seed, std::size_t n) {
    Data d{nn::Matrix<float>(n, 4), nn::Matrix<float>(n, 3)};
    nn::Rng rng(seed);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t c = rng.below(3);
        for (std::size_t j = 0; j < 4; ++j) d.X(i, j) = (j % 3 == c ? 1.0f : -0.5f) + rng.uniform(-1.5f, 1.5f);
        d.Y(i, c) = 1;
    }
    return d;
}

// The training set's rows: a third under an emulator (a cross build's run under qemu, where the
// same runs took 337 s and were CI's longest test), with as many epochs, so that every schedule,
// early stop and checkpoint is still crossed.
constexpr std::size_t samples = sizeof(NN_TEST_RUN) > 2 ? 1000 : 3000;

/// The run a trainer's child makes: the network and history as bytes, to compare.
template <class Optimizer>
std::string train(Optimizer optimizer, const nn::TrainOptions& options, nn::NN<float> net, bool validate) {
    const Data data = blobs(1, samples), val = blobs(2, samples / 5);
    const nn::History h = validate ? nn::train(net, data.X, data.Y, optimizer, options, val.X, val.Y)
                                   : nn::train(net, data.X, data.Y, optimizer, options);
    std::string out = nn::detail::to_safetensors(net);
    for (const auto& e : h.epochs)
        for (const double x : {e.train_cost, e.val_cost, e.val_accuracy})
            out.append(reinterpret_cast<const char*>(&x), 8);
    out += nn::detail::format("best %zu stopped %d", h.best_epoch, int(h.stopped_early));
    return out;
}

const char* const trainers[] = {"sgd", "adam", "adam-unshuffled", "irprop", "lbfgs", "lm"};

std::string run_trainer(const std::string& trainer, const std::string& checkpoint) {
    nn::TrainOptions o{.progress = nn::Progress::Quiet, .checkpoint = checkpoint, .resume = true};
    const auto classifier = [] {
        return nn::NN<float>({4, 64, 64, 3}, nn::Activation::Tanh, nn::Activation::Softmax, nn::Loss::CrossEntropy,
                             {.seed = 3});
    };
    const auto regression = [](std::size_t hidden) {
        return nn::NN<float>({4, hidden, 3}, nn::Activation::Tanh, nn::Activation::Sigmoid, nn::Loss::MSE, {.seed = 3});
    };
    if (trainer == "sgd") { // momentum, shuffled, a step schedule
        o.epochs = 60, o.batch_size = 16, o.seed = 7, o.schedule = nn::Schedule::step(20, 0.5);
        return train(nn::SGD<float>(0.02f, 0.9f), o, classifier(), false);
    }
    if (trainer == "adam") { // cosine with warm-up, early stopping on validation
        o.epochs = 60, o.batch_size = 16, o.seed = 8, o.patience = 10, o.min_delta = 1e-5;
        o.schedule = nn::Schedule::cosine(0, 0.05).warm_up(2);
        return train(nn::Adam<float>(0.0005f), o, classifier(), true);
    }
    if (trainer == "adam-unshuffled") { // an exponential schedule, no shuffling
        o.epochs = 80, o.batch_size = 32, o.shuffle = false, o.schedule = nn::Schedule::exponential(0.97);
        return train(nn::Adam<float>(0.005f), o, classifier(), true);
    }
    o.batch_size = samples, o.shuffle = false; // the full-batch trainers
    if (trainer == "irprop") return o.epochs = 600, train(nn::IRprop<float>(), o, regression(24), true);
    if (trainer == "lbfgs") return o.epochs = 200, train(nn::LBFGS<float>(), o, classifier(), false);
    if (trainer == "lm") return o.epochs = 80, train(nn::LevenbergMarquardt<float>(), o, regression(8), true);
    std::fprintf(stderr, "unknown trainer %s\n", trainer.c_str());
    std::exit(2);
}

int child(const std::string& trainer, const std::string& checkpoint, const std::string& out) {
    try {
        nn::detail::write_file_atomically(out, run_trainer(trainer, checkpoint));
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "child %s: %s\n", trainer.c_str(), e.what());
        return 1;
    }
}

/// Starts this program as a child; returns its pid.
pid_t spawn(const std::string& self, const std::string& trainer, const std::string& checkpoint,
            const std::string& out) {
    const pid_t pid = fork();
    if (pid == 0) {
        if constexpr (sizeof(NN_TEST_RUN) > 2) // a cross build: through the emulator, which the shell's exec becomes
            execl("/bin/sh", "sh", "-c", "exec " NN_TEST_RUN "\"$0\" child \"$1\" \"$2\" \"$3\"", self.c_str(),
                  trainer.c_str(), checkpoint.c_str(), out.c_str(), nullptr);
        else
            execl(self.c_str(), self.c_str(), "child", trainer.c_str(), checkpoint.c_str(), out.c_str(), nullptr);
        _exit(127);
    }
    return pid;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

} // namespace

int main(int argc, char** argv) {
    if (argc == 5 && std::strcmp(argv[1], "child") == 0) return child(argv[2], argv[3], argv[4]);
    const std::string self = std::filesystem::canonical("/proc/self/exe").string();
    const std::filesystem::path folder =
        std::filesystem::temp_directory_path() / ("nn_resume_" + std::to_string(getpid()));
    std::filesystem::create_directories(folder);
    nn::Rng rng(2026);
    int kills = 0, failures = 0;
    for (const std::string trainer : trainers) {
        const std::string reference = (folder / (trainer + ".reference")).string(),
                          out = (folder / (trainer + ".out")).string(), ckpt = (folder / (trainer + ".ckpt")).string();
        // The run never interrupted (no checkpoint file there: it starts, and ends, in one go).
        const auto start = std::chrono::steady_clock::now();
        int status = 0;
        waitpid(spawn(self, trainer, (folder / (trainer + ".whole")).string(), reference), &status, 0);
        const double whole = seconds_since(start);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            std::printf("%s: the uninterrupted run failed\n", trainer.c_str());
            ++failures;
            continue;
        }
        // The same command, killed at a random moment, again and again, until it finishes.
        int trainer_kills = 0, runs = 0;
        for (;; ++runs) {
            const pid_t pid = spawn(self, trainer, ckpt, out);
            // Somewhere in the first third of what the whole run takes (never, after 200 runs: a
            // run must end however unlucky the draws).
            const double delay = runs < 200 ? std::max(0.02, whole * rng.uniform(0.03, 0.33)) : 1e9;
            const auto begun = std::chrono::steady_clock::now();
            bool done = false;
            while (seconds_since(begun) < delay)
                if (waitpid(pid, &status, WNOHANG) == pid) {
                    done = true;
                    break;
                } else {
                    std::this_thread::sleep_for(std::chrono::microseconds(200));
                }
            if (!done) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
                    ++trainer_kills;
                    continue;
                }
            }
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                std::printf("%s: a resumed run failed (status %d)\n", trainer.c_str(), status);
                ++failures;
            }
            break;
        }
        kills += trainer_kills;
        const bool same = nn::detail::read_file(out) == nn::detail::read_file(reference);
        const bool stray = std::filesystem::exists(ckpt + ".tmp");
        std::printf("%-16s %5.2f s uninterrupted; killed %d times, then finished: %s%s\n", trainer.c_str(), whole,
                    trainer_kills, same ? "the same bits" : "DIFFERENT RESULTS",
                    stray ? ", and a stray .tmp is left" : "");
        failures += !same || stray;
    }
    std::filesystem::remove_all(folder);
    std::printf("%d kills in all (at least 20 needed)\n", kills);
    return failures == 0 && kills >= 20 ? 0 : 1;
}
