#include "cli/cli.h"

#include <cstdio>

namespace ttg::cli {

int run(int argc, char** argv) {
  (void)argc;
  (void)argv;
  std::puts("ttg " TTG_VERSION);
  return 0;
}

}  // namespace ttg::cli
