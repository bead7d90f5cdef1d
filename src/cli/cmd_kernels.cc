// `ttg kernels`: every kernel with its parameters, arguments and outputs;
// plugin kernels too with --kernel-lib.

#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>

#include "cli/common.h"
#include "cli/exit_codes.h"
#include "kernels/kernel.h"

namespace ttg::cli {

namespace {

struct KernelsArgs {
  bool json = false;
  std::vector<std::string> kernel_libs;
};

nlohmann::json fields_json(const std::vector<kernels::KernelField>& fields) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : fields) {
    nlohmann::json j = {{"name", f.name}, {"help", f.help}};
    if (!f.default_value.is_null()) j["default"] = f.default_value;
    out.push_back(std::move(j));
  }
  return out;
}

void print_fields(std::ostream& out, const char* label,
                  const std::vector<kernels::KernelField>& fields) {
  for (const auto& f : fields) {
    out << "  " << label << f.name;
    if (!f.help.empty()) out << ": " << f.help;
    if (!f.default_value.is_null()) {
      out << " ("
          << (f.default_value.is_string() ? f.default_value.get<std::string>()
                                          : f.default_value.dump())
          << ")";
    }
    out << "\n";
  }
}

}  // namespace

Handler setup_kernels(CLI::App& app) {
  auto a = std::make_shared<KernelsArgs>();
  app.add_flag("--json", a->json, "Print JSON");
  app.add_option("--kernel-lib", a->kernel_libs,
                 "Also list the plugin kernels of this shared library (repeatable)");
  return [a](const Context& ctx) -> int {
    kernels::Registry plugins;
    if (auto st = plugins.load_all(a->kernel_libs); !st) return report(ctx, "kernels", st.error());
    std::vector<kernels::KernelInfo> all = kernels::builtin_kernels();
    for (auto& k : plugins.kernels()) all.push_back(std::move(k));
    if (a->json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& k : all) {
        nlohmann::json j = {{"name", k.name},
                            {"description", k.description},
                            {"parameters", fields_json(k.parameters)},
                            {"arguments", fields_json(k.arguments)},
                            {"outputs", fields_json(k.outputs)}};
        if (!k.version.empty()) j["version"] = k.version;
        if (!k.library.empty()) j["library"] = k.library;
        out.push_back(std::move(j));
      }
      ctx.out << out.dump(2) << "\n";
      return kExitOk;
    }
    for (const auto& k : all) {
      ctx.out << k.name;
      if (!k.library.empty()) ctx.out << " " << k.version << " (plugin " << k.library << ")";
      ctx.out << "\n  " << k.description << "\n";
      print_fields(ctx.out, "param  ", k.parameters);
      print_fields(ctx.out, "arg    ", k.arguments);
      print_fields(ctx.out, "output ", k.outputs);
    }
    if (!all.empty()) {
      ctx.out << "(a parameter may also be given as an argument: its value for every set)\n";
    }
    return kExitOk;
  };
}

}  // namespace ttg::cli
