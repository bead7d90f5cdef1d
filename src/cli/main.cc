#include "cli/cli.h"

int main(int argc, char** argv) { return ttg::cli::run(argc, argv); }
