// Plugin kernels: shared libraries implementing include/ttg/kernel.h, loaded
// with dlopen.

#include <dlfcn.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "kernels/builtin.h"
#include "ttg/kernel.h"
#include "util/strings.h"

namespace ttg::kernels {

struct DlCloser {
  void operator()(void* handle) const {
    if (handle != nullptr) ::dlclose(handle);
  }
};

struct Plugin {
  // Kept loaded while any kernel made from it lives (they hold the Plugin).
  std::unique_ptr<void, DlCloser> library;
  const ttg_kernel_info* api = nullptr;
  KernelInfo info;
};

namespace {

using std::chrono::milliseconds;

bool valid_name(const char* name) {
  if (name == nullptr) return false;
  size_t n = std::strlen(name);
  if (n == 0 || n > 64) return false;
  for (size_t i = 0; i < n; ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::vector<KernelField> fields(const char* const* names) {
  std::vector<KernelField> out;
  for (; names != nullptr && *names != nullptr; ++names) out.push_back({*names, ""});
  return out;
}

class PluginKernel final : public PointKernel {
 public:
  PluginKernel(std::shared_ptr<const Plugin> plugin, std::string args_json, nlohmann::json defaults,
               std::optional<milliseconds> timeout)
      : PointKernel(timeout, std::move(defaults)),
        plugin_(std::move(plugin)),
        args_json_(std::move(args_json)) {}

 protected:
  Result<nlohmann::json> compute(const nlohmann::json& point, uint64_t seed,
                                 const StopCondition& stop) override {
    struct Io {
      std::string output, error;
      const StopCondition* stop;
    } io{{}, {}, &stop};
    ttg_kernel_io callbacks{
        &io,
        [](void* c, const char* data, size_t size) {
          if (size > 0) static_cast<Io*>(c)->output.append(data, size);
        },
        [](void* c, const char* data, size_t size) {
          if (size > 0) static_cast<Io*>(c)->error.append(data, size);
        },
        [](void* c) -> int { return static_cast<Io*>(c)->stop->should_stop() ? 1 : 0; }};
    std::string point_json = point.dump();
    const std::string& name = plugin_->info.name;
    int rc = plugin_->api->compute(args_json_.c_str(), point_json.c_str(), seed, &callbacks);
    if (rc != TTG_KERNEL_OK) {
      TTG_TRY(stop.check());  // it stopped because it was asked to
      return make_error(
          ErrorCode::kKernelFailed,
          "plugin kernel '" + name + "': " +
              (io.error.empty() ? "failed without a message (code " + std::to_string(rc) + ")"
                                : io.error));
    }
    auto out = nlohmann::json::parse(io.output, nullptr, false);
    if (out.is_discarded() || !out.is_object()) {
      return make_error(ErrorCode::kKernelFailed,
                        "plugin kernel '" + name +
                            "' wrote output that is not a JSON object: " + util::clip(io.output));
    }
    for (const auto& f : plugin_->info.outputs) {
      if (!out.contains(f.name)) {
        return make_error(ErrorCode::kKernelFailed, "plugin kernel '" + name +
                                                        "' wrote no output '" + f.name +
                                                        "': " + util::clip(io.output));
      }
    }
    return out;
  }

 private:
  std::shared_ptr<const Plugin> plugin_;
  std::string args_json_;
};

}  // namespace

Registry::Registry() = default;
Registry::Registry(Registry&&) noexcept = default;
Registry& Registry::operator=(Registry&&) noexcept = default;
Registry::~Registry() = default;

Status Registry::load(const std::string& path) {
  auto fail = [&](ErrorCode code, const std::string& why) {
    return make_error(code, "kernel library " + path + ": " + why);
  };
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return fail(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo, std::strerror(errno));
  }
  // A bare file name would make dlopen search the library path instead.
  std::string open_path = path.find('/') == std::string::npos ? "./" + path : path;
  ::dlerror();
  std::unique_ptr<void, DlCloser> library(::dlopen(open_path.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (!library) {
    const char* why = ::dlerror();
    return fail(ErrorCode::kInvalidArgument,
                std::string("cannot load it: ") + (why != nullptr ? why : "dlopen failed"));
  }
  void* symbol = ::dlsym(library.get(), TTG_KERNEL_ENTRY_NAME);
  if (symbol == nullptr) {
    return fail(ErrorCode::kInvalidArgument,
                "no entry symbol " TTG_KERNEL_ENTRY_NAME
                ": not a TTG kernel plugin, or one built for another plugin ABI (this ttg "
                "reads ABI version " +
                    std::to_string(TTG_KERNEL_ABI_VERSION) + ")");
  }
  ttg_kernel_entry_fn entry = nullptr;
  static_assert(sizeof entry == sizeof symbol);
  std::memcpy(&entry, &symbol, sizeof entry);  // POSIX: a data pointer to a function
  const ttg_kernel_info* api = entry();
  if (api == nullptr) return fail(ErrorCode::kInvalidArgument, TTG_KERNEL_ENTRY_NAME "() is NULL");
  if (api->abi_version != TTG_KERNEL_ABI_VERSION) {
    return fail(ErrorCode::kInvalidArgument,
                "built for plugin ABI version " + std::to_string(api->abi_version) +
                    ", but this ttg reads version " + std::to_string(TTG_KERNEL_ABI_VERSION) +
                    " (rebuild it against this ttg's include/ttg/kernel.h)");
  }
  if (!valid_name(api->name)) {
    return fail(ErrorCode::kInvalidArgument,
                "the kernel's name must be 1-64 characters of [A-Za-z0-9_.-]");
  }
  std::string name = api->name;
  if (api->version == nullptr || *api->version == '\0') {
    return fail(ErrorCode::kInvalidArgument, "kernel '" + name + "' has no version");
  }
  if (api->compute == nullptr) {
    return fail(ErrorCode::kInvalidArgument, "kernel '" + name + "' has no compute function");
  }
  for (const auto& b : builtin_kernels()) {
    if (b.name == name) {
      return fail(ErrorCode::kInvalidArgument,
                  "kernel '" + name + "' has the name of a built-in kernel");
    }
  }
  if (auto other = find(name)) {
    return fail(ErrorCode::kInvalidArgument,
                "kernel '" + name + "' is loaded already, from " + other->info.library);
  }
  auto plugin = std::make_shared<Plugin>();
  plugin->library = std::move(library);
  plugin->api = api;
  plugin->info.name = name;
  plugin->info.version = api->version;
  plugin->info.library = path;
  plugin->info.description = api->description != nullptr ? api->description : "";
  plugin->info.parameters = fields(api->parameters);
  plugin->info.arguments = fields(api->arguments);
  plugin->info.arguments.push_back(timeout_field(std::nullopt));
  plugin->info.arguments.push_back(
      {"kernel_version", "the plugin version the job needs (recorded by ttg submit)"});
  plugin->info.outputs = fields(api->outputs);
  plugins_.push_back(std::move(plugin));
  return {};
}

Status Registry::load_all(const std::vector<std::string>& paths) {
  for (const auto& p : paths) TTG_TRY(load(p));
  return {};
}

std::shared_ptr<const Plugin> Registry::find(std::string_view name) const {
  for (const auto& p : plugins_) {
    if (p->info.name == name) return p;
  }
  return nullptr;
}

std::vector<KernelInfo> Registry::kernels() const {
  std::vector<KernelInfo> out;
  for (const auto& p : plugins_) out.push_back(p->info);
  return out;
}

Result<std::unique_ptr<Kernel>> make_plugin_kernel(const std::shared_ptr<const Plugin>& plugin,
                                                   const nlohmann::json& args) {
  const KernelInfo& info = plugin->info;
  std::vector<std::string> known;
  for (const auto& f : info.parameters) known.push_back(f.name);
  for (const auto& f : info.arguments) known.push_back(f.name);
  TTG_TRY(check_known(args, info.name, known));
  if (auto v = args.find("kernel_version"); v != args.end()) {
    if (!v->is_string()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "kernel argument 'kernel_version' must be a string");
    }
    if (v->get<std::string>() != info.version) {
      return make_error(ErrorCode::kInvalidArgument, "the job needs plugin kernel '" + info.name +
                                                         "' version " + v->get<std::string>() +
                                                         ", but " + info.library + " has version " +
                                                         info.version);
    }
  }
  TTG_TRY_ASSIGN(auto timeout, timeout_arg(args, std::nullopt));
  return std::make_unique<PluginKernel>(plugin, args.dump(),
                                        parameter_defaults(info.parameters, args), timeout);
}

Result<JobSpec> resolve(JobSpec spec, const Registry& plugins) {
  TTG_TRY(validate(spec, plugins));
  // A plugin never has a built-in kernel's name (load() refuses it).
  if (auto plugin = plugins.find(spec.kernel)) spec.args["kernel_version"] = plugin->info.version;
  return spec;
}

}  // namespace ttg::kernels
