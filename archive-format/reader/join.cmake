# join.cmake: the reader.js a library holds, at build time: reader/reader.js,
# a line break, then reader/lex.js (SPEC.md 11.1), so that every outlet
# (unpack, export, the daemon) serves the one embedded asset.
#
#     cmake -DOUTPUT=out.js "-DINPUTS=reader.js;lex.js" -P join.cmake
#
# The output is written only when it changes.
if(NOT OUTPUT OR NOT INPUTS)
  message(FATAL_ERROR "join.cmake: give -DOUTPUT=FILE and -DINPUTS=FILE;FILE")
endif()
set(body "")
set(sep "")
foreach(input IN LISTS INPUTS)
  file(READ "${input}" text)
  string(APPEND body "${sep}${text}")
  set(sep "\n")
endforeach()
include(${CMAKE_CURRENT_LIST_DIR}/../write_if_changed.cmake)
write_if_changed("${OUTPUT}" "${body}")
