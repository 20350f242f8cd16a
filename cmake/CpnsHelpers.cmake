# One small helper per kind of target.

set(CPNS_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-unused-parameter -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  list(APPEND CPNS_WARNINGS -Wthread-safety)
endif()

# Fuzzing (scripts/fuzz) needs clang's libFuzzer and always runs under
# ASan+UBSan: every library gets coverage instrumentation
# (-fsanitize=fuzzer-no-link); only the harnesses link libFuzzer's main.
if(CPNS_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "CPNS_FUZZ needs clang (CXX=clang++), not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  if(CPNS_SANITIZE STREQUAL "" OR CPNS_SANITIZE STREQUAL "OFF")
    set(CPNS_SANITIZE address)
  elseif(NOT CPNS_SANITIZE STREQUAL "address")
    message(FATAL_ERROR "CPNS_FUZZ runs under CPNS_SANITIZE=address, not '${CPNS_SANITIZE}'")
  endif()
endif()

set(CPNS_SANITIZE_FLAGS "")
if(CPNS_SANITIZE STREQUAL "address")
  set(CPNS_SANITIZE_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
elseif(CPNS_SANITIZE STREQUAL "thread")
  set(CPNS_SANITIZE_FLAGS -fsanitize=thread -fno-omit-frame-pointer)
elseif(NOT CPNS_SANITIZE STREQUAL "" AND NOT CPNS_SANITIZE STREQUAL "OFF")
  message(FATAL_ERROR "CPNS_SANITIZE must be '', 'address' or 'thread', not '${CPNS_SANITIZE}'")
endif()
if(CPNS_FUZZ)
  list(APPEND CPNS_SANITIZE_FLAGS -fsanitize=fuzzer-no-link)
endif()

function(_cpns_common target)
  target_compile_options(${target} PRIVATE ${CPNS_WARNINGS} ${CPNS_SANITIZE_FLAGS})
  target_link_options(${target} PRIVATE ${CPNS_SANITIZE_FLAGS})
endfunction()

# cpns_library(NAME SRCS ... DEPS ... [PUBLIC_DEPS ...])
function(cpns_library name)
  cmake_parse_arguments(A "" "" "SRCS;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(${name} STATIC ${A_SRCS})
  target_include_directories(${name}
    PUBLIC ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${A_PUBLIC_DEPS} PRIVATE ${A_DEPS})
  _cpns_common(${name})
endfunction()

# cpns_executable(NAME SRCS ... DEPS ... COMPONENT c): an installed program,
# in the install component (and so the Debian package) c.
function(cpns_executable name)
  cmake_parse_arguments(A "" "COMPONENT" "SRCS;DEPS" ${ARGN})
  if(NOT A_COMPONENT)
    message(FATAL_ERROR "cpns_executable(${name}): COMPONENT (server, gateway or tools) is required")
  endif()
  add_executable(${name} ${A_SRCS})
  target_link_libraries(${name} PRIVATE ${A_DEPS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
  _cpns_common(${name})
  install(TARGETS ${name} RUNTIME DESTINATION bin COMPONENT ${A_COMPONENT})
endfunction()

# cpns_test(NAME SRCS ... DEPS ... LABEL unit|concurrency|integration): a
# GoogleTest binary registered with ctest, linked with cpns_test_support
# (tests/support: NewTempDir). Nothing when BUILD_TESTING is OFF.
# FIXTURES postgres: the tests need the throw-away PostgreSQL server.
function(cpns_test name)
  if(NOT BUILD_TESTING)
    return()
  endif()
  cmake_parse_arguments(A "" "LABEL" "SRCS;DEPS;FIXTURES" ${ARGN})
  add_executable(${name} ${A_SRCS})
  target_link_libraries(${name} PRIVATE ${A_DEPS} cpns_test_support GTest::gtest GTest::gtest_main
                        GTest::gmock)
  _cpns_common(${name})
  include(GoogleTest)
  # Tests find the programs and the test data through these two paths.
  target_compile_definitions(${name} PRIVATE
    CPNS_BIN_DIR="${PROJECT_BINARY_DIR}/bin" CPNS_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    CPNS_PG_STATE_DIR="${PROJECT_BINARY_DIR}/pg-state")
  # One label per binary (gtest_discover_tests cannot pass a list):
  # unit, concurrency (also run under TSan) or integration.
  gtest_discover_tests(${name} PROPERTIES LABELS "${A_LABEL}" FIXTURES_REQUIRED "${A_FIXTURES}"
                       DISCOVERY_TIMEOUT 30)
endfunction()

# cpns_benchmark(NAME SRCS ... DEPS ...)
function(cpns_benchmark name)
  cmake_parse_arguments(A "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${A_SRCS})
  target_link_libraries(${name} PRIVATE ${A_DEPS} benchmark::benchmark)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
  _cpns_common(${name})
endfunction()

# cpns_fuzzer(NAME SRCS ... DEPS ...): a libFuzzer harness (CPNS_FUZZ only),
# built into fuzz/ of the build tree, with the shared fuzz/ headers.
function(cpns_fuzzer name)
  cmake_parse_arguments(A "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${A_SRCS})
  target_link_libraries(${name} PRIVATE ${A_DEPS} cpns_fuzz_support)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/fuzz)
  _cpns_common(${name})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
endfunction()
