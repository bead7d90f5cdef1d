# Writes the man page of ttg from its help: cmake -DTTG=path/to/ttg
# -DOUT=ttg.1 -DVERSION=x.y.z -P ManPage.cmake. The commands are the ones
# `ttg --help` lists; each gets its `ttg COMMAND --help` verbatim.

foreach(var TTG OUT VERSION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "ManPage.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run_help out_var)
  execute_process(COMMAND ${TTG} ${ARGN} --help
    OUTPUT_VARIABLE text ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "ManPage.cmake: ttg ${ARGN} --help failed (${rc}): ${err}")
  endif()
  set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

# Help text as roff: backslashes escaped, hyphens made minus signs (so that
# flags can be searched and copied), lines that start with a dot or a quote
# protected, all in no-fill mode.
function(to_roff out_var text)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  string(REGEX REPLACE "\n+$" "" text "${text}")
  set(${out_var} ".nf\n${text}\n.fi\n" PARENT_SCOPE)
endfunction()

run_help(main)
# The command names: the first word of each line of the Subcommands section.
string(REGEX MATCH "Subcommands:\n(.*)" section "${main}")
string(REGEX REPLACE "\n\n.*" "" section "${CMAKE_MATCH_1}")
string(REPLACE "\n" ";" lines "${section}")
set(commands "")
foreach(line IN LISTS lines)
  if(line MATCHES "^  ([a-z][a-z-]*) ")
    list(APPEND commands "${CMAKE_MATCH_1}")
  endif()
endforeach()
if(NOT commands)
  message(FATAL_ERROR "ManPage.cmake: no commands found in ttg --help:\n${main}")
endif()

to_roff(main_roff "${main}")
set(page ".TH TTG 1 \"\" \"ttg ${VERSION}\" \"User Commands\"
.SH NAME
ttg \\- distributed parameter sweeps over Redis Streams
.SH SYNOPSIS
.B ttg
[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]...
.SH DESCRIPTION
\\fBttg\\fR runs one computation over a large space of parameters on many
workers at once. A job's chunks live on a Redis Stream; \\fBttg worker\\fR
processes claim them, compute, and commit each result in one atomic step,
so that no result is lost or duplicated when workers, machines, the network
or Redis fail.
.PP
${main_roff}.SH COMMANDS
")
foreach(command IN LISTS commands)
  run_help(text ${command})
  to_roff(text_roff "${text}")
  string(APPEND page ".SS \"ttg ${command}\"\n${text_roff}")
endforeach()
string(APPEND page ".SH EXIT STATUS
.TP
.B 0
success
.TP
.B 1
failure: the command ran and something went wrong
.TP
.B 2
bad usage, configuration or spec (unknown command or flag, bad value, bad spec file)
.TP
.B 3
Redis cannot be reached, is not Redis, or refused the password or the command
.SH FILES
.TP
.I share/ttg/examples/
spec files, parameter tables, an exec program and a plugin's source, beside
\\fIshare/man/\\fR under the installation prefix
.TP
.I include/ttg/kernel.h
the C interface of kernel plugins (\\fB\\-\\-kernel\\-lib\\fR)
.SH SEE ALSO
.BR redis-server (1)
")
file(WRITE "${OUT}" "${page}")
