#pragma once
// Key names of one job (docs/PROTOCOL.md, "Keys"). All share the hash tag.

#include <string>

namespace ttg::queue {

inline constexpr const char* kGroup = "ttg-workers";
inline constexpr const char* kRegistryKey = "ttg:jobs";
inline constexpr const char* kKeyPrefix = "ttg:";

struct JobKeys {
  explicit JobKeys(const std::string& job)
      : base("ttg:{" + job + "}:"),
        meta(base + "meta"),
        tasks(base + "tasks"),
        results(base + "results"),
        dead(base + "dead"),
        done(base + "done"),
        attempts(base + "attempts"),
        errors(base + "errors"),
        released(base + "released"),
        events(base + "events") {}

  std::string base;
  std::string meta, tasks, results, dead, done, attempts, errors, released, events;

  std::vector<std::string> all() const {
    return {meta, tasks, results, dead, done, attempts, errors, released, events};
  }
};

}  // namespace ttg::queue
