# ttg_settings: flags shared by every TTG target (sanitizers, definitions).
add_library(ttg_settings INTERFACE)
target_compile_definitions(ttg_settings INTERFACE
  TTG_VERSION="${PROJECT_VERSION}")
if(TTG_SANITIZE)
  set(ttg_san_flags -fsanitize=address,undefined -fno-omit-frame-pointer
      -fno-sanitize-recover=undefined)
  target_compile_options(ttg_settings INTERFACE ${ttg_san_flags})
  target_link_options(ttg_settings INTERFACE ${ttg_san_flags})
endif()
# TTG_FUZZ: every TTG target gets libFuzzer's coverage instrumentation and the
# sanitizers; only the fuzz targets link libFuzzer itself (tests/fuzz/).
if(TTG_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "TTG_FUZZ needs clang (cmake --preset fuzz)")
  endif()
  target_compile_options(ttg_settings INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  target_link_options(ttg_settings INTERFACE -fsanitize=address,undefined)
endif()
