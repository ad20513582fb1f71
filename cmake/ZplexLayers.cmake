# SPDX-License-Identifier: Apache-2.0
# The component table: where each component lives, which header prefixes
# (<zplex/PREFIX/...>) it owns, and its layer. A component may include its own
# headers and those of components on a lower layer only (shared/DESIGN.md §2):
# nothing includes a component above it or beside it. The build checks this
# (target `layering`, part of ALL) with cmake/check_layers.cmake.

set(ZPLEX_LAYER_TABLE "")

# zplex_component(DIR LAYER PREFIXES...): declare a component and add it to the build.
# A declared component without a CMakeLists.txt is a configuration error, never a
# silently smaller build.
macro(zplex_component dir layer)
    if(NOT EXISTS ${CMAKE_SOURCE_DIR}/${dir}/CMakeLists.txt)
        message(FATAL_ERROR "ZPX0091E COMPONENT ${dir} HAS NO CMakeLists.txt: "
                            "the component and its tests would silently drop out of the build")
    endif()
    set(_zplex_prefixes ${ARGN})
    list(JOIN _zplex_prefixes "," _zplex_prefixes)
    if(_zplex_prefixes STREQUAL "")
        set(_zplex_prefixes "-")  # owns no public headers (a top-level program)
    endif()
    list(APPEND ZPLEX_LAYER_TABLE "${dir}|${layer}|${_zplex_prefixes}")
    add_subdirectory(${dir})
endmacro()

# zplex_check_layering(): the build-time check over every declared component's sources.
function(zplex_check_layering)
    set(sources)
    foreach(entry ${ZPLEX_LAYER_TABLE})
        string(REPLACE "|" ";" fields "${entry}")
        list(GET fields 0 dir)
        file(GLOB_RECURSE s CONFIGURE_DEPENDS
            ${CMAKE_SOURCE_DIR}/${dir}/*.cpp ${CMAKE_SOURCE_DIR}/${dir}/*.hpp
            ${CMAKE_SOURCE_DIR}/${dir}/*.c ${CMAKE_SOURCE_DIR}/${dir}/*.h)
        list(APPEND sources ${s})
    endforeach()
    string(REPLACE ";" "@" table "${ZPLEX_LAYER_TABLE}")
    set(stamp ${CMAKE_BINARY_DIR}/layering.stamp)
    add_custom_command(OUTPUT ${stamp}
        COMMAND ${CMAKE_COMMAND} -DROOT=${CMAKE_SOURCE_DIR} "-DTABLE=${table}" -DSTAMP=${stamp}
                -P ${CMAKE_SOURCE_DIR}/cmake/check_layers.cmake
        DEPENDS ${sources} ${CMAKE_SOURCE_DIR}/cmake/check_layers.cmake
        COMMENT "Checking that no component includes a component above it"
        VERBATIM)
    add_custom_target(layering ALL DEPENDS ${stamp})
    set(ZPLEX_LAYER_TABLE_ARG "${table}" CACHE INTERNAL "the component table, for the layering test")
endfunction()
