# The version: PYLON_IDV_VERSION_STRING in core/include/pylon_idv.h, the one source of truth
# which must agree with MAJOR/MINOR/PATCH there. (Python metadata: pyproject.toml's regex.)
# Sets PYLON_IDV_VERSION.
file(STRINGS "${CMAKE_CURRENT_LIST_DIR}/../core/include/pylon_idv.h" _pi_lines
     REGEX "^#define PYLON_IDV_VERSION_")
set(_pi_num "")
foreach(_pi_part MAJOR MINOR PATCH)
  foreach(_pi_line IN LISTS _pi_lines)
    if(_pi_line MATCHES "^#define PYLON_IDV_VERSION_${_pi_part} +([0-9]+)")
      list(APPEND _pi_num "${CMAKE_MATCH_1}")
    endif()
  endforeach()
endforeach()
list(JOIN _pi_num "." _pi_num)
foreach(_pi_line IN LISTS _pi_lines)
  if(_pi_line MATCHES "^#define PYLON_IDV_VERSION_STRING +\"([^\"]*)\"")
    set(PYLON_IDV_VERSION "${CMAKE_MATCH_1}")
  endif()
endforeach()
if(NOT PYLON_IDV_VERSION OR NOT PYLON_IDV_VERSION STREQUAL _pi_num)
  message(FATAL_ERROR "PYLON_IDV_VERSION_STRING \"${PYLON_IDV_VERSION}\" and MAJOR.MINOR.PATCH "
                      "${_pi_num} in core/include/pylon_idv.h disagree")
endif()
# `cmake -P cmake/pylon_idv_version.cmake` prints it (for the scripts).
if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  execute_process(COMMAND ${CMAKE_COMMAND} -E echo "${PYLON_IDV_VERSION}")
endif()
