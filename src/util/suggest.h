#pragma once
// "Did you mean ...?": the known name closest to a mistyped one.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ttg::util {

// The number of single-character insertions, deletions, substitutions and
// swaps of two neighbours that turn `a` into `b` (optimal string alignment
// distance), ignoring ASCII case: "sumbit" -> "submit" is 1.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate that `word` most likely misspells, or nullopt when none is
// close: the nearest by edit_distance(), if it is at most 1 for words of up
// to 5 characters, 2 up to 10 and 3 beyond, and smaller than the length of
// both; else the one candidate `word` begins (at least 3 characters). Ties go
// to the earlier candidate. A candidate equal to `word` is returned as is.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

// " (did you mean 'NAME'?)" with closest_match()'s answer, or "" when there
// is none: for the end of an error message.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace ttg::util
