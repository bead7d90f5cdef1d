// `ttg kernels`: every kernel with its arguments and outputs.

#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>

#include "cli/common.h"
#include "cli/exit_codes.h"
#include "kernels/kernel.h"

namespace ttg::cli {

Handler setup_kernels(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "Print JSON");
  return [json](const Context& ctx) -> int {
    if (*json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& k : kernels::builtin_kernels()) {
        out.push_back({{"name", k.name},
                       {"description", k.description},
                       {"arguments", k.arguments},
                       {"outputs", k.outputs}});
      }
      ctx.out << out.dump(2) << "\n";
      return kExitOk;
    }
    for (const auto& k : kernels::builtin_kernels()) {
      ctx.out << k.name << "\n  " << k.description << "\n";
      for (const auto& arg : k.arguments) ctx.out << "  arg    " << arg << "\n";
      for (const auto& o : k.outputs) ctx.out << "  output " << o << "\n";
    }
    return kExitOk;
  };
}

}  // namespace ttg::cli
