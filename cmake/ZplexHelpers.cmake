# SPDX-License-Identifier: Apache-2.0
# Shared build rules: warnings, sanitizers, libraries, tests, fuzzers, header self-check.

set(ZPLEX_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)

if(ZPLEX_SANITIZE)
    add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=address,undefined)
endif()
if(ZPLEX_FUZZ)
    # Instrument everything for coverage; the fuzz targets add the libFuzzer main.
    add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
    add_link_options(-fsanitize=address,undefined)
endif()

# zplex_add_library(name SOURCES ... [DEPS ...] [PRIVATE_DEPS ...]
#                   [INCLUDE dir] [PRIVATE_INCLUDE dir] [HEADERS path...])
# A component library: include/ public, src/ private (INCLUDE and PRIVATE_INCLUDE say
# otherwise). Its public headers each compile on their own: all of INCLUDE's, or only
# the folders and files HEADERS names in it when several libraries share one tree.
function(zplex_add_library name)
    cmake_parse_arguments(A "" "INCLUDE;PRIVATE_INCLUDE" "SOURCES;DEPS;PRIVATE_DEPS;HEADERS" ${ARGN})
    if(NOT A_INCLUDE)
        set(A_INCLUDE ${CMAKE_CURRENT_SOURCE_DIR}/include)
    endif()
    if(NOT A_PRIVATE_INCLUDE)
        set(A_PRIVATE_INCLUDE ${CMAKE_CURRENT_SOURCE_DIR}/src)
    endif()
    add_library(${name} STATIC ${A_SOURCES})
    target_include_directories(${name} PUBLIC ${A_INCLUDE} PRIVATE ${A_PRIVATE_INCLUDE})
    target_compile_options(${name} PRIVATE ${ZPLEX_WARNINGS})
    target_link_libraries(${name} PUBLIC ${A_DEPS} PRIVATE ${A_PRIVATE_DEPS})
    zplex_check_headers(${name} ${A_INCLUDE} ${A_HEADERS})
endfunction()

# zplex_add_executable(name SOURCES ... [DEPS ...])
function(zplex_add_executable name)
    cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
    add_executable(${name} ${A_SOURCES})
    target_compile_options(${name} PRIVATE ${ZPLEX_WARNINGS})
    target_link_libraries(${name} PRIVATE ${A_DEPS})
endfunction()

# zplex_add_test(name SOURCES ... [DEPS ...] [LABELS ...] [TIMEOUT s] [RESOURCE_LOCK lock...])
# One GoogleTest binary, each TEST registered with ctest. RESOURCE_LOCK names what its
# tests must not share with other tests running at the same time (ctest -j): a sweep of
# dead runs' /dev/shm objects would otherwise remove what another test's killed run left
# before that test looks.
function(zplex_add_test name)
    cmake_parse_arguments(A "" "TIMEOUT" "SOURCES;DEPS;LABELS;RESOURCE_LOCK" ${ARGN})
    if(NOT A_TIMEOUT)
        set(A_TIMEOUT 120)
    endif()
    add_executable(${name} ${A_SOURCES})
    target_compile_options(${name} PRIVATE ${ZPLEX_WARNINGS})
    target_link_libraries(${name} PRIVATE ${A_DEPS} GTest::gtest GTest::gtest_main Threads::Threads)
    # tests/support: what tests share (forked_child.hpp, run_command.hpp, stack_sim.hpp...)
    target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests/support)
    target_compile_definitions(${name} PRIVATE
        ZPLEX_SOURCE_DIR="${CMAKE_SOURCE_DIR}" ZPLEX_BINARY_DIR="${CMAKE_BINARY_DIR}")
    set(props TIMEOUT ${A_TIMEOUT})
    if(A_LABELS)
        list(APPEND props LABELS "${A_LABELS}")
    endif()
    if(A_RESOURCE_LOCK)
        list(APPEND props RESOURCE_LOCK "${A_RESOURCE_LOCK}")
    endif()
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES ${props})
endfunction()

# zplex_add_fuzzer(name SOURCES ... [DEPS ...] [CORPUS dir])
# Built only in the fuzz preset; registers a bounded ctest run.
function(zplex_add_fuzzer name)
    cmake_parse_arguments(A "" "CORPUS;SECONDS" "SOURCES;DEPS" ${ARGN})
    if(NOT ZPLEX_FUZZ)
        return()
    endif()
    if(NOT A_SECONDS)
        set(A_SECONDS 60)
    endif()
    add_executable(${name} ${A_SOURCES})
    if(NOT TARGET fuzzers)
        add_custom_target(fuzzers)
    endif()
    add_dependencies(fuzzers ${name})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(${name} PRIVATE ${A_DEPS})
    set(corpus_work ${CMAKE_BINARY_DIR}/fuzz-corpus/${name})
    add_test(NAME fuzz.${name}
        COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1
                $<TARGET_FILE:${name}> -max_total_time=${A_SECONDS} -timeout=10 -rss_limit_mb=2048
                -print_final_stats=1 ${corpus_work} ${A_CORPUS})
    set_tests_properties(fuzz.${name} PROPERTIES TIMEOUT ${A_SECONDS}0 LABELS fuzz
        FIXTURES_REQUIRED fuzzdir.${name})
    add_test(NAME fuzzdir.${name} COMMAND ${CMAKE_COMMAND} -E make_directory ${corpus_work})
    set_tests_properties(fuzzdir.${name} PROPERTIES FIXTURES_SETUP fuzzdir.${name} LABELS fuzz)
endfunction()

# Every public header must compile on its own (Seastar's checkheaders).
function(zplex_check_headers target incdir)
    set(patterns)
    foreach(part ${ARGN})
        if(part MATCHES "\\.hpp$")
            list(APPEND patterns ${incdir}/${part})
        else()
            list(APPEND patterns ${incdir}/${part}/*.hpp)
        endif()
    endforeach()
    if(NOT patterns)
        set(patterns ${incdir}/*.hpp)
    endif()
    file(GLOB_RECURSE headers RELATIVE ${incdir} CONFIGURE_DEPENDS ${patterns})
    if(NOT headers)
        return()
    endif()
    set(srcs)
    foreach(h ${headers})
        string(MAKE_C_IDENTIFIER ${h} id)
        set(f ${CMAKE_CURRENT_BINARY_DIR}/checkheaders/${id}.cpp)
        if(NOT EXISTS ${f})
            file(WRITE ${f} "#include <${h}>\n")
        endif()
        list(APPEND srcs ${f})
    endforeach()
    add_library(${target}_checkheaders OBJECT ${srcs})
    target_link_libraries(${target}_checkheaders PRIVATE ${target})
    if(NOT TARGET checkheaders)
        add_custom_target(checkheaders)
    endif()
    add_dependencies(checkheaders ${target}_checkheaders)
endfunction()
