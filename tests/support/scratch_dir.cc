#include "support/scratch_dir.h"

#include <gtest/gtest.h>

#include <fstream>

namespace ttg::testing {

ScratchDir::ScratchDir(const std::string& prefix) {
  auto dir = util::TempDir::create(prefix);
  if (!dir) {
    ADD_FAILURE() << "cannot make a scratch directory: " << dir.error();
    return;
  }
  dir_.emplace(std::move(*dir));
}

const std::string& ScratchDir::path() const {
  static const std::string kNone;
  return dir_ ? dir_->path() : kNone;
}

std::string ScratchDir::write(const std::string& name, const std::string& text) const {
  if (!dir_) return "";
  std::string file = dir_->path() + "/" + name;
  std::ofstream(file, std::ios::binary) << text;
  return file;
}

}  // namespace ttg::testing
