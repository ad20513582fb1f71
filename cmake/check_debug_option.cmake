# SPDX-License-Identifier: Apache-2.0
# cmake -DBIN=dir -P check_debug_option.cmake
# Every program in BIN (not a test, not a bench) takes --debug: a good specification is
# accepted (exit 0 with --help), a bad one refused with exit 2 and the reason. Fails
# with ZPX0094E per program that does not, and when no program is found at all.
if(NOT DEFINED BIN)
    message(FATAL_ERROR "usage: cmake -DBIN=dir -P check_debug_option.cmake")
endif()
file(GLOB programs LIST_DIRECTORIES false ${BIN}/zplex*)
set(errors 0)
set(count 0)
foreach(p IN LISTS programs)
    get_filename_component(name ${p} NAME)
    if(name MATCHES "(_test|\\.)")
        continue()
    endif()
    math(EXPR count "${count} + 1")
    execute_process(COMMAND ${p} --debug XCF=2,CF=1 --help RESULT_VARIABLE good OUTPUT_QUIET ERROR_QUIET
                    TIMEOUT 20)
    execute_process(COMMAND ${p} --debug NOSUCH=2 --help RESULT_VARIABLE bad OUTPUT_VARIABLE out
                    ERROR_VARIABLE out TIMEOUT 20)
    if(NOT good EQUAL 0)
        message(NOTICE "ZPX0094E ${name} REFUSED --debug XCF=2,CF=1 (EXIT ${good})")
        math(EXPR errors "${errors} + 1")
    endif()
    if(NOT bad EQUAL 2 OR NOT out MATCHES "SUBSYSTEM 'NOSUCH'")
        message(NOTICE "ZPX0094E ${name} DID NOT REFUSE --debug NOSUCH=2 WITH EXIT 2 AND ITS REASON (EXIT ${bad})")
        math(EXPR errors "${errors} + 1")
    endif()
endforeach()
if(count EQUAL 0)
    message(FATAL_ERROR "ZPX0094E NO PROGRAM IN ${BIN}")
endif()
if(errors GREATER 0)
    message(FATAL_ERROR "ZPX0094E ${errors} --debug FAILURE(S) OVER ${count} PROGRAMS")
endif()
message(STATUS "ZPX0095I ${count} PROGRAMS TAKE --debug")
