// nn/picture.hpp: pictures as SVG text, written with the standard library alone: the cost curves
// of training runs (nn::history_svg) and a network's neurons and weights (nn::network_svg).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nn/detail/file.hpp>
#include <nn/detail/format.hpp>
#include <nn/error.hpp>
#include <nn/history.hpp>
#include <nn/network.hpp>

namespace nn {

/// One training run to plot: a name for the legend and the History nn::train returned.
struct NamedHistory {
    std::string name;
    History history;
};

/// How nn::history_svg draws.
struct HistoryPlotOptions {
    std::string title = "cost per epoch";
    bool log_scale = false; ///< the cost axis in powers of ten (every cost must then be > 0)
    bool validation = true; ///< also the validation cost, dashed, for runs that have one
    std::size_t width = 720, height = 420;
};

/// How nn::network_svg draws.
struct NetworkPictureOptions {
    std::string title = {};       ///< empty: the architecture, as "2-4-1"
    std::size_t max_neurons = 32; ///< per layer; the rest of a wider layer is left out and counted
    std::size_t width = 640, height = 400;
};

namespace detail {

/// s with &, <, >, " and ' as XML entities.
inline std::string xml_escape(std::string_view s) {
    std::string out;
    for (const char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        default: out += c;
        }
    }
    return out;
}

inline std::string svg_open(std::size_t width, std::size_t height) {
    return format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%zu\" height=\"%zu\" viewBox=\"0 0 %zu %zu\" "
                  "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" "
                  "fill=\"white\"/>\n",
                  width, height, width, height);
}

/// Ticks for [low, high]: about five round numbers (1, 2 or 5 times a power of ten apart).
inline std::vector<double> linear_ticks(double low, double high) {
    const double raw = (high - low) / 5, power = std::pow(10.0, std::floor(std::log10(raw)));
    const double step = raw / power < 1.5   ? power
                        : raw / power < 3.5 ? 2 * power
                        : raw / power < 7.5 ? 5 * power
                                            : 10 * power;
    std::vector<double> ticks;
    for (double t = std::ceil(low / step) * step; t <= high + step * 1e-9; t += step) ticks.push_back(t);
    return ticks;
}

// Ten colours that stay apart (the Tableau 10 palette's values).
inline const char* curve_colour(std::size_t k) {
    static const char* const colours[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                          "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
    return colours[k % 10];
}

} // namespace detail

/// An SVG plot of the cost per epoch of one or more training runs, for comparing trainers: each
/// run's training cost as a solid line and, when options.validation is set and the run had
/// validation data, its validation cost dashed in the same colour; epochs along x from 1 to the
/// longest run, the cost along y (linear, or in powers of ten with options.log_scale), a legend
/// with the runs' names. One <polyline> per curve, one point per epoch. nn::Error for no runs, a
/// run with no epochs, a cost that is not finite, or with log_scale a cost that is not > 0.
///     auto svg = nn::history_svg({{"iRPROP-", h1}, {"L-BFGS", h2}}, {.log_scale = true});
///     nn::save_svg("cost.svg", svg);
inline std::string history_svg(const std::vector<NamedHistory>& runs, const HistoryPlotOptions& options = {}) {
    if (runs.empty()) detail::fail("history_svg was given no runs to plot");
    if (options.width < 200 || options.height < 150)
        detail::fail("history_svg needs a picture of at least 200 x 150, was given %zu x %zu", options.width,
                     options.height);
    std::size_t epochs = 0;
    double low = INFINITY, high = -INFINITY;
    const auto take = [&](double cost, const std::string& run, std::size_t epoch, const char* which) {
        if (!std::isfinite(cost) || (options.log_scale && !(cost > 0)))
            detail::fail("history_svg: the %s cost of run '%s' at epoch %zu is %.9g; %s", which, run.c_str(), epoch,
                         cost, options.log_scale ? "a log scale needs costs > 0" : "costs must be finite");
        low = std::min(low, cost);
        high = std::max(high, cost);
    };
    for (const NamedHistory& run : runs) {
        if (run.history.epochs.empty()) detail::fail("history_svg: run '%s' has no epochs", run.name.c_str());
        epochs = std::max(epochs, run.history.epochs.size());
        for (const EpochStats& e : run.history.epochs) {
            take(e.train_cost, run.name, e.epoch, "training");
            if (options.validation && !std::isnan(e.val_cost)) take(e.val_cost, run.name, e.epoch, "validation");
        }
    }
    // The cost axis: whole decades on a log scale, else round numbers around the costs.
    const auto y_of = [&](double v) { return options.log_scale ? std::log10(v) : v; };
    double y_low = y_of(low), y_high = y_of(high);
    if (options.log_scale) {
        y_low = std::floor(y_low), y_high = std::ceil(y_high);
        if (y_high == y_low) y_high += 1;
    } else {
        if (y_high == y_low)
            y_low -= 0.5 * std::max(1.0, std::abs(y_low)), y_high += 0.5 * std::max(1.0, std::abs(y_high));
        const std::vector<double> t = detail::linear_ticks(y_low, y_high);
        const double step = t.size() > 1 ? t[1] - t[0] : (y_high - y_low);
        y_low = std::floor(y_low / step) * step, y_high = std::ceil(y_high / step) * step;
    }
    std::size_t longest = 0; // the legend's width follows its longest line (about 7 px a character)
    for (const NamedHistory& run : runs) longest = std::max(longest, run.name.size() + (options.validation ? 13 : 0));
    const double left = 70, right = std::max(170.0, 60 + 7.0 * double(longest)), top = 40, bottom = 50;
    const double plot_w = double(options.width) - left - right, plot_h = double(options.height) - top - bottom;
    const auto px = [&](double epoch) { return left + (epochs > 1 ? (epoch - 1) / double(epochs - 1) : 0.5) * plot_w; };
    const auto py = [&](double v) { return top + (y_high - y_of(v)) / (y_high - y_low) * plot_h; };

    std::string svg = detail::svg_open(options.width, options.height);
    svg += detail::format("<text x=\"%.1f\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">", left + plot_w / 2) +
           detail::xml_escape(options.title) + "</text>\n";
    // Axes, grid and ticks.
    svg += "<g stroke=\"#dddddd\" stroke-width=\"1\">\n";
    std::vector<double> y_ticks;
    if (options.log_scale) { // every decade, or every k-th so that there are at most 10 labels
        const double every = std::ceil((y_high - y_low) / 10);
        for (double d = y_high; d >= y_low; d -= every) y_ticks.push_back(std::pow(10.0, d));
    } else
        y_ticks = detail::linear_ticks(y_low, y_high);
    for (const double t : y_ticks)
        svg += detail::format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", left, py(t), left + plot_w,
                              py(t));
    svg += "</g>\n<g text-anchor=\"end\">\n";
    for (const double t : y_ticks)
        svg += detail::format("<text x=\"%.1f\" y=\"%.1f\">%g</text>\n", left - 6, py(t) + 4, t);
    svg += "</g>\n<g text-anchor=\"middle\">\n";
    for (const double t : detail::linear_ticks(1, double(std::max<std::size_t>(epochs, 2))))
        if (t >= 1 && t <= double(epochs))
            svg += detail::format("<text x=\"%.1f\" y=\"%.1f\">%g</text>\n", px(t), top + plot_h + 18, t);
    svg += detail::format("<text x=\"%.1f\" y=\"%.1f\">epoch</text>\n</g>\n", left + plot_w / 2, top + plot_h + 38);
    svg += detail::format("<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 16 %.1f)\">cost%s"
                          "</text>\n",
                          top + plot_h / 2, top + plot_h / 2, options.log_scale ? " (log scale)" : "");
    svg += detail::format("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                          "stroke=\"#333333\"/>\n",
                          left, top, plot_w, plot_h);
    // The curves, then the legend.
    std::string legend;
    double legend_y = top + 10;
    for (std::size_t k = 0; k < runs.size(); ++k) {
        const auto& epochs_of_run = runs[k].history.epochs;
        const auto curve = [&](bool validation) {
            std::string points;
            for (const EpochStats& e : epochs_of_run)
                points += detail::format("%.2f,%.2f ", px(double(e.epoch)), py(validation ? e.val_cost : e.train_cost));
            points.pop_back();
            svg += detail::format("<polyline class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"",
                                  validation ? "validation" : "training", detail::curve_colour(k),
                                  validation ? " stroke-dasharray=\"6 4\"" : "") +
                   points + "\"/>\n";
            legend += detail::format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                                     "stroke-width=\"2\"%s/>\n",
                                     left + plot_w + 12, legend_y, left + plot_w + 40, legend_y,
                                     detail::curve_colour(k), validation ? " stroke-dasharray=\"6 4\"" : "");
            legend += detail::format("<text x=\"%.1f\" y=\"%.1f\">", left + plot_w + 46, legend_y + 4) +
                      detail::xml_escape(runs[k].name) + (validation ? " (validation)" : "") + "</text>\n";
            legend_y += 18;
        };
        curve(false);
        if (options.validation && !std::isnan(epochs_of_run.front().val_cost)) curve(true);
    }
    return svg + legend + "</svg>\n";
}

/// An SVG picture of a network, in the spirit of nn.h's: one column of circles per layer, from
/// the inputs on the left to the outputs on the right, and a line for every weight, blue when it
/// is positive and red when negative, the more opaque the larger it is (against the largest of
/// its layer); a neuron's circle is shaded the same way by its bias, inputs grey. Under each
/// column, its width and activation. Layers wider than options.max_neurons show their first
/// max_neurons neurons and say how many more there are.
///     nn::save_svg("xor.svg", nn::network_svg(net));
template <Real T>
std::string network_svg(const NN<T>& net, const NetworkPictureOptions& options = {}) {
    if (options.max_neurons == 0) detail::fail("network_svg needs max_neurons >= 1, was given 0");
    if (options.width < 200 || options.height < 150)
        detail::fail("network_svg needs a picture of at least 200 x 150, was given %zu x %zu", options.width,
                     options.height);
    const std::vector<std::size_t>& arch = net.arch();
    std::string title = options.title;
    if (title.empty())
        for (std::size_t l = 0; l < arch.size(); ++l) {
            if (l > 0) title += '-';
            title += std::to_string(arch[l]);
        }
    const double top = 44, bottom = 44, margin = 50;
    const double plot_h = double(options.height) - top - bottom;
    const auto shown = [&](std::size_t l) { return std::min(arch[l], options.max_neurons); };
    const auto x_of = [&](std::size_t l) {
        return margin + double(l) / double(arch.size() - 1) * (double(options.width) - 2 * margin);
    };
    const auto y_of = [&](std::size_t l, std::size_t i) { return top + (double(i) + 0.5) / double(shown(l)) * plot_h; };
    std::size_t widest = 1;
    for (std::size_t l = 0; l < arch.size(); ++l) widest = std::max(widest, shown(l));
    const double radius = std::clamp(plot_h / double(widest) / 3, 2.0, 14.0);
    const auto colour = [](double v) { return v >= 0 ? "#2166ac" : "#b2182b"; };

    std::string svg = detail::svg_open(options.width, options.height);
    svg += detail::format("<text x=\"%.1f\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">",
                          double(options.width) / 2) +
           detail::xml_escape(title) + "</text>\n<g class=\"weights\" stroke-width=\"1.5\">\n";
    for (std::size_t l = 0; l < net.layers(); ++l) {
        const auto& W = net.weights(l);
        double largest = 0;
        for (const T w : W) largest = std::max(largest, std::abs(double(w)));
        for (std::size_t i = 0; i < shown(l); ++i)
            for (std::size_t j = 0; j < shown(l + 1); ++j) {
                const double w = double(W(i, j)), opacity = largest > 0 ? 0.08 + 0.92 * std::abs(w) / largest : 0.08;
                svg += detail::format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                                      "stroke-opacity=\"%.3f\"/>\n",
                                      x_of(l), y_of(l, i), x_of(l + 1), y_of(l + 1, j), colour(w), opacity);
            }
    }
    svg += "</g>\n<g class=\"neurons\" stroke=\"#333333\">\n";
    for (std::size_t l = 0; l < arch.size(); ++l) {
        double largest = 0;
        if (l > 0)
            for (const T b : net.biases(l - 1)) largest = std::max(largest, std::abs(double(b)));
        for (std::size_t i = 0; i < shown(l); ++i) {
            std::string fill = "fill=\"#bbbbbb\"";
            if (l > 0) {
                const double b = double(net.biases(l - 1)(0, i));
                fill = detail::format("fill=\"%s\" fill-opacity=\"%.3f\"", colour(b),
                                      largest > 0 ? 0.15 + 0.85 * std::abs(b) / largest : 0.15);
            }
            svg += detail::format("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" ", x_of(l), y_of(l, i), radius) + fill +
                   "/>\n";
        }
    }
    svg += "</g>\n<g text-anchor=\"middle\">\n";
    for (std::size_t l = 0; l < arch.size(); ++l) {
        std::string label = std::to_string(arch[l]);
        label += ' ';
        label += l == 0 ? "inputs" : name(net.activation(l - 1));
        if (arch[l] > shown(l)) label += detail::format(" (%zu not drawn)", arch[l] - shown(l));
        svg += detail::format("<text x=\"%.1f\" y=\"%.1f\">", x_of(l), double(options.height) - 16) +
               detail::xml_escape(label) + "</text>\n";
    }
    return svg + "</g>\n</svg>\n";
}

/// Writes an SVG (or any text) to `path` atomically: the file is replaced whole or left as it was.
inline void save_svg(const std::string& path, std::string_view svg) { detail::write_file_atomically(path, svg); }

} // namespace nn
