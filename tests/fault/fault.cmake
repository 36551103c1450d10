# SVD_FAULT=ON: included by the top-level CMakeLists.txt around
# add_subdirectory(archive-format). Every object of libsamvydav.a gets its
# calls to malloc, write, fsync, rename... renamed to svd_fault_malloc,
# svd_fault_write... (wrap.syms) when the archive is made; tests/fault/fault.c
# defines those and decides which call fails. Only the library's own objects
# are rewritten: the CLI, the daemon, libgit2 and the other shared libraries
# keep the real calls.
find_program(SVD_OBJCOPY NAMES objcopy llvm-objcopy REQUIRED)
set(SVD_FAULT_DIR ${CMAKE_CURRENT_LIST_DIR})
set(SVD_FAULT_SAVED_FINISH "${CMAKE_C_ARCHIVE_FINISH}")
# read per directory when the build files are generated: set while
# archive-format/ is configured, restored right after (svd_fault_finish)
set(CMAKE_C_ARCHIVE_FINISH
  "${SVD_OBJCOPY} --redefine-syms=${SVD_FAULT_DIR}/wrap.syms <TARGET>"
  "<CMAKE_RANLIB> <TARGET>")

macro(svd_fault_finish)
  set(CMAKE_C_ARCHIVE_FINISH "${SVD_FAULT_SAVED_FINISH}")
  add_subdirectory(${SVD_FAULT_DIR} ${PROJECT_BINARY_DIR}/tests/fault-lib)
  target_link_libraries(samvydav PUBLIC svd_fault)
  # a changed symbol list must rewrite the archive again
  set_property(SOURCE ${PROJECT_SOURCE_DIR}/archive-format/src/util.c
    DIRECTORY ${PROJECT_SOURCE_DIR}/archive-format APPEND PROPERTY
    OBJECT_DEPENDS ${SVD_FAULT_DIR}/wrap.syms)
endmacro()
