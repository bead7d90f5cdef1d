# ttg_warnings: the warning flags every TTG target builds with.
add_library(ttg_warnings INTERFACE)
target_compile_options(ttg_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Woverloaded-virtual -Wnull-dereference -Wformat=2
  -Wimplicit-fallthrough)
if(TTG_WERROR)
  target_compile_options(ttg_warnings INTERFACE -Werror)
endif()
