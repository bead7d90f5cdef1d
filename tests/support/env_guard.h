#pragma once
// Sets or unsets one environment variable for a scope and restores its old
// value (or absence) on destruction. Not thread-safe: use it only while no
// other thread reads the environment.

#include <cstdlib>
#include <optional>
#include <string>

namespace ttg::testing {

class EnvGuard {
 public:
  // Sets `name` to `value`, or unsets it when `value` is nullopt.
  EnvGuard(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;
  ~EnvGuard() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }

 private:
  std::string name_;
  std::optional<std::string> old_;
};

}  // namespace ttg::testing
