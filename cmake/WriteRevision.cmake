# Writes OUT (a header defining QOPT_GIT_REVISION) from `git describe` in SRC,
# touching it only when the revision changed: run at every build, so that
# versions and bundles name the commit they were built from, and only a new
# revision recompiles its one user.
execute_process(COMMAND git describe --always --dirty
  WORKING_DIRECTORY ${SRC} OUTPUT_VARIABLE rev OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT rev)
  set(rev unknown)
endif()
set(content "#define QOPT_GIT_REVISION \"${rev}\"\n")
set(old "")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT old STREQUAL content)
  file(WRITE ${OUT} "${content}")
endif()
