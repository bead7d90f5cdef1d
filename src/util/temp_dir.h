#pragma once
// A private temporary directory removed with everything in it by its owner.

#include <string>

#include <tl/expected.hpp>

namespace ttg::util {

class TempDir {
 public:
  // Creates a fresh directory (mode 0700) under $TMPDIR or /tmp whose name
  // starts with `prefix`.
  static tl::expected<TempDir, std::string> create(const std::string& prefix);

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  // Keeps the directory on destruction (for --keep).
  void release() { path_.clear(); }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace ttg::util
