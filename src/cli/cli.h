#pragma once

namespace ttg::cli {

// Runs the `ttg` command line; returns the process exit code.
int run(int argc, char** argv);

}  // namespace ttg::cli
