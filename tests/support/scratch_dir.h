#pragma once
// A test's own directory for the input files it writes (specs, tables,
// config and password files), removed with it.

#include <optional>
#include <string>

#include "util/temp_dir.h"

namespace ttg::testing {

class ScratchDir {
 public:
  // Makes a new directory named after `prefix`; fails the current test
  // (ADD_FAILURE) when it cannot.
  explicit ScratchDir(const std::string& prefix);

  // The directory's path ("" when it could not be made).
  const std::string& path() const;
  // Writes `text` (bytes as given) to the file `name` of the directory and
  // returns its path; writes nothing and returns "" when there is no
  // directory.
  std::string write(const std::string& name, const std::string& text) const;

 private:
  std::optional<util::TempDir> dir_;
};

}  // namespace ttg::testing
