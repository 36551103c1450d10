# write_if_changed.cmake: write_if_changed(FILE TEXT) writes TEXT to FILE
# only when FILE does not hold it already, so that a generated source that
# did not change rebuilds nothing. Included by embed.cmake and join.cmake.
function(write_if_changed file text)
  if(EXISTS "${file}")
    file(READ "${file}" old)
    if(old STREQUAL text)
      return()
    endif()
  endif()
  file(WRITE "${file}" "${text}")
endfunction()
