#include "cli/spec_check.h"

#include <cassert>

namespace ttg::cli {

namespace {

Error located(const std::string& where, const Error& error) {
  if (where.empty()) return error;
  return Error{error.code, where + ": " + error.message};
}

// "FILE:LINE" of `name` in `lines`, or "" when the file does not name it.
std::string line_in(const SpecFile& file, const std::map<std::string, int, std::less<>>& lines,
                    std::string_view name) {
  auto it = lines.find(name);
  if (it == lines.end()) return "";
  return file.source + ":" + std::to_string(it->second);
}

}  // namespace

Status check_spec_names(const JobSpec& spec, const SpecOrigin& origin,
                        const kernels::Registry& plugins) {
  if (auto st = kernels::check_kernel_name(spec.kernel, plugins); !st) {
    return tl::unexpected(located(origin.kernel, st.error()));
  }
  auto info = kernels::find_kernel_info(spec.kernel, plugins);
  assert(info.has_value());
  if (spec.args.is_object()) {
    for (auto it = spec.args.begin(); it != spec.args.end(); ++it) {
      const std::string& name = it.key();
      std::string where;
      if (origin.flag_args.count(name) != 0) {
        where = "--arg " + name;
      } else if (origin.file != nullptr) {
        where = line_in(*origin.file, origin.file->lines.args, name);
        if (!where.empty()) where += ": args";
      }
      if (where.empty()) continue;
      if (auto st = kernels::check_argument_name(*info, name); !st) {
        return tl::unexpected(located(where, st.error()));
      }
    }
  }
  auto space = spec.param_space();
  if (!space) return {};
  // The numbered sets of --params N suit every kernel.
  if (!space->is_table() && space->names() == std::vector<std::string>{"param"}) return {};
  for (const auto& name : space->names()) {
    auto st = kernels::check_parameter_name(*info, name);
    if (st) continue;
    std::string where;
    if (!origin.table.empty()) {
      where = origin.table + ":" + std::to_string(origin.table_header_line);
    } else if (origin.file != nullptr) {
      where = line_in(*origin.file, origin.file->lines.params, name);
    }
    return tl::unexpected(located(where, st.error()));
  }
  return {};
}

}  // namespace ttg::cli
