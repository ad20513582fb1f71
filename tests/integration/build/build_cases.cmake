# SPDX-License-Identifier: Apache-2.0
# cmake -DCASE=name -DSRC=source-tree -DWORK=scratch-dir [-DTABLE=...] -P build_cases.cmake
# One case of tests/integration/build: runs a check of cmake/ on the real tree, or on a
# small tree made in WORK that breaks the rule, and fails unless the check says what the
# case expects (passes on the tree; fails with the rule's message on the broken one).

# run_check(EXPECT_OK|EXPECT_FAIL message-regex cmake-args...)
function(run_check expect pattern)
    execute_process(COMMAND ${CMAKE_COMMAND} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(expect STREQUAL "EXPECT_OK" AND NOT rc EQUAL 0)
        message(FATAL_ERROR "the check failed on a tree that keeps the rule:\n${out}")
    endif()
    if(expect STREQUAL "EXPECT_FAIL" AND rc EQUAL 0)
        message(FATAL_ERROR "the check passed a tree that breaks the rule:\n${out}")
    endif()
    if(NOT out MATCHES "${pattern}")
        message(FATAL_ERROR "the check did not say '${pattern}':\n${out}")
    endif()
    message(STATUS "${out}")
endfunction()

# A two-component tree: low (layer 0, <zplex/low/...>) and high (layer 1, <zplex/high/...>),
# plus side (layer 1, <zplex/side/...>); @p file in @p dir includes @p header.
function(make_tree dir file header)
    file(REMOVE_RECURSE ${WORK})
    foreach(c low high side)
        file(WRITE ${WORK}/${c}/include/zplex/${c}/${c}.hpp "#pragma once\n")
        file(WRITE ${WORK}/${c}/CMakeLists.txt "")
    endforeach()
    file(WRITE ${WORK}/${dir}/src/${file} "// a source\n#include <zplex/${header}>\n")
endfunction()
set(toy "low|0|low@high|1|high@side|1|side")
set(layers -P ${SRC}/cmake/check_layers.cmake)

if(CASE STREQUAL "layering_tree")
    run_check(EXPECT_OK "^$|" -DROOT=${SRC} "-DTABLE=${TABLE}" ${layers})
elseif(CASE STREQUAL "layering_upward")
    make_tree(low a.cpp high/high.hpp)
    run_check(EXPECT_FAIL "ZPX0090E low/src/a.cpp: '#include <zplex/high/high.hpp>' INCLUDES COMPONENT high, above it"
              -DROOT=${WORK} "-DTABLE=${toy}" ${layers})
elseif(CASE STREQUAL "layering_sideways")
    make_tree(high b.hpp side/side.hpp)
    run_check(EXPECT_FAIL "ZPX0090E high/src/b.hpp: .* INCLUDES COMPONENT side, beside it"
              -DROOT=${WORK} "-DTABLE=${toy}" ${layers})
elseif(CASE STREQUAL "layering_downward")
    make_tree(high c.cpp low/low.hpp)
    run_check(EXPECT_OK "^$|" -DROOT=${WORK} "-DTABLE=${toy}" ${layers})
elseif(CASE STREQUAL "layering_missing_cmakelists")
    # A project declaring a component whose folder has no CMakeLists.txt: configuration fails.
    file(REMOVE_RECURSE ${WORK})
    file(MAKE_DIRECTORY ${WORK}/gone/src)
    file(WRITE ${WORK}/CMakeLists.txt "cmake_minimum_required(VERSION 3.25)\nproject(toy NONE)\n"
               "include(${SRC}/cmake/ZplexLayers.cmake)\nzplex_component(gone 0 gone)\n")
    run_check(EXPECT_FAIL "ZPX0091E COMPONENT gone HAS NO CMakeLists.txt" -S ${WORK} -B ${WORK}/build)
elseif(CASE STREQUAL "zos_mapping_tree")
    run_check(EXPECT_OK "ZPX0093I [0-9]+ ROWS OF docs/zos-mapping.md EACH NAME A FILE THAT HOLDS THEIR TERM"
              -DROOT=${SRC} -P ${SRC}/cmake/check_zos_mapping.cmake)
elseif(CASE STREQUAL "zos_mapping_missing_file")
    file(REMOVE_RECURSE ${WORK})
    file(WRITE ${WORK}/docs/zos-mapping.md "| z/OS | zplex | where |\n|---|---|---|\n| `IXLCONN` | connect | `cf/gone.cpp` |\n")
    run_check(EXPECT_FAIL "ZPX0092E docs/zos-mapping.md ROW 3 \\(IXLCONN\\): cf/gone.cpp DOES NOT EXIST"
              -DROOT=${WORK} -P ${SRC}/cmake/check_zos_mapping.cmake)
elseif(CASE STREQUAL "zos_mapping_term_gone")
    file(REMOVE_RECURSE ${WORK})
    file(WRITE ${WORK}/cf/connect.cpp "// connects\n")
    file(WRITE ${WORK}/docs/zos-mapping.md "| z/OS | zplex | where |\n|---|---|---|\n| `IXLCONN` | connect | `cf/connect.cpp` |\n")
    run_check(EXPECT_FAIL "ZPX0092E docs/zos-mapping.md ROW 3 \\(IXLCONN\\): cf/connect.cpp DOES NOT HOLD 'IXLCONN'"
              -DROOT=${WORK} -P ${SRC}/cmake/check_zos_mapping.cmake)
else()
    message(FATAL_ERROR "no case '${CASE}'")
endif()
