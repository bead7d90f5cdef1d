// `ttg config [--json]`: the effective settings, each with its source.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "util/strings.h"

namespace ttg::cli {

namespace {

struct ConfigArgs {
  bool json = false;
};

nlohmann::ordered_json json_value(const KeyInfo& info, const std::string& shown) {
  if (info.kind == ValueKind::kInteger) {
    if (auto n = util::parse_int(shown)) return *n;
  }
  return shown;
}

void print_text(const Context& ctx, const Result<redis::Options>& redis) {
  const auto& table = settings_table();
  size_t key_width = 0;
  size_t value_width = 0;
  std::vector<std::string> values;
  for (const auto& info : table) {
    std::string shown = show_value(ctx.settings, info);
    values.push_back(shown.empty() ? "(none)" : shown);
    key_width = std::max(key_width, info.key.size());
    value_width = std::max(value_width, values.back().size());
  }
  for (size_t i = 0; i < table.size(); ++i) {
    std::string key(table[i].key);
    key.resize(key_width, ' ');
    std::string value = values[i];
    value.resize(value_width, ' ');
    ctx.out << key << "  " << value << "  " << ctx.settings.source(table[i].key).describe() << "\n";
  }
  if (redis) {
    ctx.out << "\nredis: " << redis::describe(*redis)
            << (redis->password.empty() ? "" : " (password set)") << "\n";
  }
}

void print_json(const Context& ctx, const Result<redis::Options>& redis) {
  nlohmann::ordered_json settings = nlohmann::ordered_json::object();
  for (const auto& info : settings_table()) {
    settings[std::string(info.key)] = {
        {"value", json_value(info, show_value(ctx.settings, info))},
        {"source", ctx.settings.source(info.key).describe()},
    };
  }
  nlohmann::ordered_json doc = {{"settings", settings}};
  if (redis) {
    doc["redis"] = {{"target", redis::describe(*redis)}, {"password", !redis->password.empty()}};
  } else {
    doc["redis"] = nullptr;
  }
  ctx.out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

int run_config(const Context& ctx, const ConfigArgs& args) {
  // Reading the password file here checks it; only whether a password is set
  // is shown.
  Result<redis::Options> redis = redis_options(ctx.settings);
  if (args.json) {
    print_json(ctx, redis);
  } else {
    print_text(ctx, redis);
  }
  if (!redis) {
    ctx.err << "ttg: " << redis.error().message << "\n";
    return exit_code_for(redis.error());
  }
  return kExitOk;
}

}  // namespace

Handler setup_config(CLI::App& app) {
  auto args = std::make_shared<ConfigArgs>();
  app.add_flag("--json", args->json, "Print JSON instead of a table");
  return [args](const Context& ctx) { return run_config(ctx, *args); };
}

}  // namespace ttg::cli
