// nn/detail/json.hpp: a small, strict JSON reader for safetensors headers (RFC 8259).
//
// Why not a JSON library: the header is a few dozen bytes of objects, strings and integers, and
// <nn/nn.hpp> must stay quick to compile and free of dependencies. This reader accepts exactly
// RFC 8259 JSON (no comments, no trailing commas, no duplicate keys, no leading zeros, UTF-8
// checked, depth limited), keeps every number as its text, and throws nn::Error at the first
// problem with its byte offset. It is fuzzed (tests/fuzz) with the loader around it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nn/error.hpp>

namespace nn::detail::json {

/// One JSON value. Kept small, since a header is mostly small values: 48 bytes, the children of
/// an array or object in one block of their own, sized exactly. Movable, not copyable.
struct Value {
    enum class Kind { Null, Bool, Number, String, Array, Object } kind = Kind::Null;
    bool boolean = false;
    std::string text; // a string's value, or a number's digits

    struct Children {
        std::vector<Value> items;      // an array's elements, or an object's member values
        std::vector<std::string> keys; // an object's member names, in file order (items[k] is keys[k]'s)
    };
    Children* children = nullptr; // owned; arrays and objects that are not empty (not unique_ptr: <memory> alone
                                  // would cost every program that includes the library a fifth of its compile time)

    Value() = default;
    Value(Value&& other) noexcept
        : kind(other.kind), boolean(other.boolean), text(std::move(other.text)), children(other.children) {
        other.children = nullptr;
    }
    Value& operator=(Value&& other) noexcept {
        std::swap(kind, other.kind);
        std::swap(boolean, other.boolean);
        text.swap(other.text);
        std::swap(children, other.children);
        return *this;
    }
    ~Value() { delete children; }

    const std::vector<Value>& items() const { return children ? children->items : none<Value>(); }
    const std::vector<std::string>& keys() const { return children ? children->keys : none<std::string>(); }

    /// The member called `key`, or nullptr.
    const Value* find(std::string_view key) const {
        for (std::size_t k = 0; k < keys().size(); ++k)
            if (keys()[k] == key) return &items()[k];
        return nullptr;
    }

private:
    template <class U>
    static const std::vector<U>& none() {
        static const std::vector<U> empty;
        return empty;
    }
};

/// Parses `text` as one JSON value; errors name `what` (a file name) and the byte offset.
template <class = void>
Value parse(std::string_view text, const char* what);

#if NN_DETAIL_DEFINITIONS
class Parser {
public:
    Parser(std::string_view text, const char* what) : text_(text), what_(what) {}

    /// The one value the text holds (white space around it allowed), or nn::Error.
    Value parse() {
        Value v = value(0);
        skip_space();
        if (pos_ != text_.size()) error("unexpected data after the JSON value");
        return v;
    }

private:
    static constexpr int max_depth = 64;

    [[noreturn]] void error(const char* problem) const {
        fail("%s: malformed JSON at byte %zu: %s", what_, pos_, problem);
    }

    void skip_space() {
        while (pos_ < text_.size() &&
               (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
            ++pos_;
    }

    bool take(char c) {
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }

    void expect_word(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) error("expected a value");
        pos_ += word.size();
    }

    Value value(int depth) {
        if (depth > max_depth) error("nested too deeply");
        skip_space();
        if (pos_ >= text_.size()) error("the text ends where a value should be");
        Value v;
        switch (text_[pos_]) {
        case '{': v.kind = Value::Kind::Object, object(v, depth); break;
        case '[': v.kind = Value::Kind::Array, array(v, depth); break;
        case '"': v.kind = Value::Kind::String, v.text = string(); break;
        case 't': expect_word("true"), v.kind = Value::Kind::Bool, v.boolean = true; break;
        case 'f': expect_word("false"), v.kind = Value::Kind::Bool; break;
        case 'n': expect_word("null"); break;
        default: v.kind = Value::Kind::Number, v.text = number(); break;
        }
        return v;
    }

    void object(Value& v, int depth) {
        ++pos_; // {
        skip_space();
        if (take('}')) return;
        v.children = new Value::Children();
        auto& items = v.children->items;
        auto& keys = v.children->keys;
        for (;;) {
            skip_space();
            if (pos_ >= text_.size() || text_[pos_] != '"') error("expected a string key");
            std::string key = string();
            skip_space();
            if (!take(':')) error("expected ':' after a key");
            items.push_back(value(depth + 1));
            keys.push_back(std::move(key));
            skip_space();
            if (take('}')) break;
            if (!take(',')) error("expected ',' or '}' in an object");
        }
        items.shrink_to_fit();
        keys.shrink_to_fit();
        std::vector<std::string_view> sorted(keys.begin(), keys.end());
        std::sort(sorted.begin(), sorted.end());
        if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
            --pos_;
            error("duplicate key in the object that ends here");
        }
    }

    void array(Value& v, int depth) {
        ++pos_; // [
        skip_space();
        if (take(']')) return;
        v.children = new Value::Children();
        auto& items = v.children->items;
        for (;;) {
            items.push_back(value(depth + 1));
            skip_space();
            if (take(']')) break;
            if (!take(',')) error("expected ',' or ']' in an array");
        }
        items.shrink_to_fit();
    }

    std::string number() {
        const std::size_t start = pos_;
        auto digits = [&] {
            const std::size_t from = pos_;
            while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
            return pos_ - from;
        };
        take('-');
        if (pos_ < text_.size() && text_[pos_] == '0')
            ++pos_;
        else if (digits() == 0)
            error("expected a value");
        if (take('.') && digits() == 0) error("expected digits after '.'");
        if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
            ++pos_;
            if (!take('+')) take('-');
            if (digits() == 0) error("expected digits in an exponent");
        }
        return std::string(text_.substr(start, pos_ - start));
    }

    unsigned hex4() {
        if (text_.size() - pos_ < 4) error("a \\u escape needs four hex digits");
        unsigned code = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = text_[pos_++];
            code = code * 16 + unsigned(c >= '0' && c <= '9'   ? c - '0'
                                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                               : (error("a \\u escape needs four hex digits"), 0));
        }
        return code;
    }

    static void append_utf8(std::string& out, std::uint32_t code) {
        if (code < 0x80)
            out += char(code);
        else if (code < 0x800)
            out += char(0xC0 | (code >> 6)), out += char(0x80 | (code & 0x3F));
        else if (code < 0x10000)
            out += char(0xE0 | (code >> 12)), out += char(0x80 | ((code >> 6) & 0x3F)),
                out += char(0x80 | (code & 0x3F));
        else
            out += char(0xF0 | (code >> 18)), out += char(0x80 | ((code >> 12) & 0x3F)),
                out += char(0x80 | ((code >> 6) & 0x3F)), out += char(0x80 | (code & 0x3F));
    }

    // Checks one UTF-8 sequence starting at pos_ (RFC 3629: shortest form, no surrogates).
    void utf8(std::string& out) {
        const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text_[pos_ + k]); };
        const unsigned char lead = byte(0);
        std::size_t length = lead < 0x80           ? 1
                             : (lead >> 5) == 0x6  ? 2
                             : (lead >> 4) == 0xE  ? 3
                             : (lead >> 3) == 0x1E ? 4
                                                   : 0;
        if (length == 0 || text_.size() - pos_ < length) error("invalid UTF-8");
        std::uint32_t code = length == 1 ? lead : lead & (0xFF >> (length + 1));
        for (std::size_t k = 1; k < length; ++k) {
            if ((byte(k) & 0xC0) != 0x80) error("invalid UTF-8");
            code = (code << 6) | (byte(k) & 0x3F);
        }
        static constexpr std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
        if (code < smallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) error("invalid UTF-8");
        out.append(text_.substr(pos_, length));
        pos_ += length;
    }

    std::string string() {
        ++pos_; // "
        std::string out;
        for (;;) {
            if (pos_ >= text_.size()) error("a string is not closed");
            const char c = text_[pos_];
            if (c == '"') {
                ++pos_;
                return out;
            }
            if (static_cast<unsigned char>(c) < 0x20) error("a control character in a string");
            if (c != '\\') {
                utf8(out);
                continue;
            }
            if (++pos_ >= text_.size()) error("a string is not closed");
            switch (text_[pos_++]) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                std::uint32_t code = hex4();
                if (code >= 0xDC00 && code <= 0xDFFF) error("a lone low surrogate");
                if (code >= 0xD800 && code <= 0xDBFF) {
                    if (!(take('\\') && take('u'))) error("a high surrogate without its low one");
                    const std::uint32_t low = hex4();
                    if (low < 0xDC00 || low > 0xDFFF) error("a high surrogate without its low one");
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                }
                append_utf8(out, code);
                break;
            }
            default: --pos_, error("an unknown escape");
            }
        }
    }

    std::string_view text_;
    const char* what_;
    std::size_t pos_ = 0;
};

template <class>
Value parse(std::string_view text, const char* what) {
    return Parser(text, what).parse();
}
#endif // NN_DETAIL_DEFINITIONS

/// Writes s as a JSON string literal.
inline std::string quote(std::string_view s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\')
            out += '\\', out += c;
        else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(c));
            out += buf;
        } else
            out += c;
    }
    return out + "\"";
}

} // namespace nn::detail::json

NN_DETAIL_OUT_OF_LINE(nn::detail::json::Value nn::detail::json::parse<void>(std::string_view, const char*));
