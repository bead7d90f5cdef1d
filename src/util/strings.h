#pragma once
// Small string helpers.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ttg::util {

std::vector<std::string> split(std::string_view text, char sep);
std::string_view trim(std::string_view text);
bool starts_with(std::string_view text, std::string_view prefix);
// Parses a whole decimal integer (optional sign); nullopt on any junk or overflow.
std::optional<int64_t> parse_int(std::string_view text);
// Parses a whole floating-point number; nullopt on junk.
std::optional<double> parse_double(std::string_view text);
// As parse_double, except that a number beyond the range of double is not
// nullopt but, as strtod gives it, +-infinity (too large) or 0 or a denormal
// (too small): callers can tell "1e999" from a word.
std::optional<double> parse_number(std::string_view text);
// `text` cut to its first `max` bytes, with "..." when cut, for messages.
// A duration such as "7d", "12h", "30m", "45s", "500ms" or "0", in ms;
// nothing when malformed, negative or beyond 100 years.
std::optional<int64_t> parse_duration_ms(std::string_view text);
std::string clip(std::string_view text, size_t max = 200);
// Lower-cases ASCII letters.
std::string to_lower(std::string_view text);
// The offset of the first byte of `text` that is not part of well-formed
// UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past
// U+10FFFF), or nullopt when there is none. JSON text must be UTF-8, and
// nlohmann::json::dump() throws on a string that is not.
std::optional<size_t> find_invalid_utf8(std::string_view text);
// Percent-decodes `text` ("%40" -> "@"); nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace ttg::util
