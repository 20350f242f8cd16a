# CPNS_STATIC_DEPS: link gRPC, protobuf, abseil, re2 and c-ares from their
# static archives (Debian's lib*.a), everything else (glibc, libstdc++,
# OpenSSL, zlib, SQLite, libpq, spdlog, ...) from shared libraries.
#
# Why: a program linked against the shared ones loads about 60 libraries (40
# of them abseil) and resolves some 17,000 symbols at start-up, about 10 ms
# before main() on this project's machines; `cpns-pne` and `cpns-keytool` are
# called from scripts, one process per call. Linked statically these
# libraries are resolved at link time.
#
# Why OpenSSL stays shared: it carries the TLS and the KDF's SHA-256, and its
# security updates (libssl3) must reach the programs without a rebuild. The
# libraries linked statically are rebuilt into cpns when they change: a
# security update of gRPC, protobuf, abseil, re2 or c-ares needs a new cpns
# build, as for any statically linked dependency (Debian: Static-Built-Using).
#
# AUTO (the default): ON for Release and RelWithDebInfo builds without
# sanitizers, OFF otherwise; ON with a sanitizer is refused. Sanitizer builds (CPNS_SANITIZE) keep the shared libraries: the
# sanitizer runtimes intercept calls across shared objects, and ASan's ODR
# checks and TSan's reports are what those builds are for. It applies to
# every binary of the build (programs, tests, benchmarks), so that the tests
# run what ships. libcpns.a and its CMake package are not affected: their
# users link the dependencies they find themselves.
set(CPNS_STATIC_DEPS AUTO CACHE STRING
    "Link gRPC, protobuf, abseil, re2 and c-ares statically: AUTO, ON or OFF")
set_property(CACHE CPNS_STATIC_DEPS PROPERTY STRINGS AUTO ON OFF)
set(_cpns_sanitized TRUE)
if(CPNS_SANITIZE STREQUAL "" OR CPNS_SANITIZE STREQUAL "OFF")
  set(_cpns_sanitized FALSE)
endif()
if(CPNS_STATIC_DEPS STREQUAL "AUTO")
  set(_cpns_link_static OFF)
  if(NOT _cpns_sanitized AND CMAKE_BUILD_TYPE MATCHES "^(Release|RelWithDebInfo)$")
    set(_cpns_link_static ON)
  endif()
elseif(CPNS_STATIC_DEPS)
  if(_cpns_sanitized)
    message(FATAL_ERROR "CPNS_STATIC_DEPS=ON is not supported with CPNS_SANITIZE=${CPNS_SANITIZE}")
  endif()
  set(_cpns_link_static ON)
else()
  set(_cpns_link_static OFF)
endif()
message(STATUS "cpns: gRPC, protobuf and abseil linked statically: ${_cpns_link_static}")

# libfoo.so[.N...] -> libfoo.a beside it; empty when there is none.
function(_cpns_static_archive shared out)
  set(${out} "" PARENT_SCOPE)
  string(REGEX REPLACE "\\.so(\\.[0-9.]+)?$" ".a" archive "${shared}")
  if(NOT archive STREQUAL shared AND EXISTS "${archive}")
    set(${out} "${archive}" PARENT_SCOPE)
  endif()
endfunction()

# Points every configuration's location of imported `target` at its archive.
function(_cpns_use_static_archive target)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY" OR type STREQUAL "EXECUTABLE")
    return()
  endif()
  foreach(prop IMPORTED_LOCATION IMPORTED_LOCATION_NONE IMPORTED_LOCATION_RELEASE
               IMPORTED_LOCATION_RELWITHDEBINFO IMPORTED_LOCATION_DEBUG)
    get_target_property(location ${target} ${prop})
    if(location)
      _cpns_static_archive("${location}" archive)
      if(NOT archive)
        message(FATAL_ERROR "CPNS_STATIC_DEPS: no static archive for ${target} (${location})")
      endif()
      set_target_properties(${target} PROPERTIES ${prop} "${archive}")
    endif()
  endforeach()
endfunction()

if(_cpns_link_static)
  get_property(_cpns_imported DIRECTORY "${PROJECT_SOURCE_DIR}" PROPERTY IMPORTED_TARGETS)
  foreach(target IN LISTS _cpns_imported)
    if(target MATCHES "^(absl|gRPC)::" OR target STREQUAL "protobuf::libprotobuf"
       OR target STREQUAL "c-ares::cares")
      _cpns_use_static_archive(${target})
    endif()
  endforeach()
  # re2::re2 is an interface target carrying -lre2 (gRPC's Findre2 module).
  find_library(CPNS_RE2_ARCHIVE NAMES libre2.a REQUIRED)
  set_target_properties(re2::re2 PROPERTIES INTERFACE_LINK_LIBRARIES
                        "${CPNS_RE2_ARCHIVE};Threads::Threads")
endif()

# OpenSSL stays shared, with no option to link it statically: an OpenSSL
# security update must reach the programs without a rebuild, and libpq and
# civetweb (cpns-server) load the shared libssl3 anyway, so a static copy
# would put two OpenSSLs into one process.
