// The replay driver of the ordinary build: runs every file named on the
// command line, or found in a directory named there, through the fuzz
// target's LLVMFuzzerTestOneInput, as libFuzzer would run a corpus once.
// A path that does not exist is skipped (regressions/<target>/ is optional);
// no input at all is a failure, so a misnamed corpus cannot pass unseen.
// A crash or a broken invariant aborts, which fails the test.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

bool run_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  std::vector<uint8_t> data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::fprintf(stderr, "replay: %s (%zu bytes)\n", path.c_str(), data.size());
  // An empty vector's data() may be null; libFuzzer passes a valid pointer.
  static const uint8_t kEmpty = 0;
  LLVMFuzzerTestOneInput(data.empty() ? &kEmpty : data.data(), data.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  size_t inputs = 0;
  for (int i = 1; i < argc; ++i) {
    fs::path arg(argv[i]);
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(arg)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        if (!run_file(f)) return 1;
        ++inputs;
      }
    } else if (fs::is_regular_file(arg, ec)) {
      if (!run_file(arg)) return 1;
      ++inputs;
    } else {
      std::fprintf(stderr, "replay: %s does not exist; skipped\n", arg.c_str());
    }
  }
  if (inputs == 0) {
    std::fprintf(stderr, "replay: no inputs\n");
    return 1;
  }
  std::printf("replay: %zu inputs, no crash\n", inputs);
  return 0;
}
