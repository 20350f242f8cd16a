# The client library for device makers, installed as COMPONENT dev (the
# libcpns-dev package): the public headers (include/cpns/), one static
# library libcpns.a, the CMake package `cpns` (target cpns::cpns), cpns.pc for
# pkg-config and the .proto. docs/LIBRARY.md is the user's side of this file.
#
# libcpns.a holds the objects of the four libraries of the client
# (cpns_core, cpns_wire, cpns_proto, cpns_assignee), so that a user links one
# library. All of their objects, so none of the four may need a library that
# is not declared below (and in cpns.pc, cpnsConfig.cmake, the libcpns-dev
# Depends): what only the daemons need (logging, listeners, reloadable TLS)
# is in cpns_wire_server and the roles' libraries, never here. The test
# installed_library_whole_archive links the whole archive to prove it. Those four keep their build-tree include paths (src/ included) and
# are never exported; only `cpns` is, with include/ as its only include path
# and the third-party libraries as imported targets, so the installed files
# hold no path of this build and the prefix can be moved.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(_cpns_parts cpns_core cpns_wire cpns_proto cpns_assignee)
# A static library in a -dev package may end up in a user's shared object.
set_target_properties(${_cpns_parts} PROPERTIES POSITION_INDEPENDENT_CODE ON)

add_library(cpns STATIC)
foreach(_part IN LISTS _cpns_parts)
  target_sources(cpns PRIVATE $<TARGET_OBJECTS:${_part}>)
endforeach()
add_dependencies(cpns ${_cpns_parts})
add_library(cpns::cpns ALIAS cpns)
set_target_properties(cpns PROPERTIES EXPORT_NAME cpns LINKER_LANGUAGE CXX
  ARCHIVE_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/lib)
target_include_directories(cpns INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_features(cpns INTERFACE cxx_std_20)
# PUBLIC: the abseil types of the public headers (absl::Status, StatusOr,
# Duration, string_view). PRIVATE (link only, as the library is static):
# what the objects call.
target_link_libraries(cpns
  PUBLIC absl::status absl::statusor absl::strings absl::time
  PRIVATE gRPC::grpc++ protobuf::libprotobuf OpenSSL::Crypto absl::str_format
          absl::synchronization Threads::Threads)

# 0.y: a new minor version may change the API, so only the same minor
# version is compatible; from 1.0 on, the same major (docs/COMPATIBILITY.md).
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_cpns_compatibility SameMinorVersion)
else()
  set(_cpns_compatibility SameMajorVersion)
endif()

set(CPNS_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/cpns)
set(CPNS_INSTALL_PROTODIR ${CMAKE_INSTALL_DATADIR}/cpns/proto)
set(_gen ${PROJECT_BINARY_DIR}/cpns-package)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/cpns DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT dev FILES_MATCHING PATTERN "*.h")
install(TARGETS cpns EXPORT cpnsTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(EXPORT cpnsTargets NAMESPACE cpns:: DESTINATION ${CPNS_INSTALL_CMAKEDIR}
  FILE cpnsTargets.cmake COMPONENT dev)
install(FILES ${PROJECT_SOURCE_DIR}/proto/cpns/v1/cpns.proto
  DESTINATION ${CPNS_INSTALL_PROTODIR}/cpns/v1 COMPONENT dev)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/cpnsConfig.cmake.in
  ${_gen}/cpnsConfig.cmake INSTALL_DESTINATION ${CPNS_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CPNS_INSTALL_PROTODIR)
write_basic_package_version_file(${_gen}/cpnsConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${_cpns_compatibility})
install(FILES ${_gen}/cpnsConfig.cmake ${_gen}/cpnsConfigVersion.cmake
  DESTINATION ${CPNS_INSTALL_CMAKEDIR} COMPONENT dev)

# cpns.pc finds its prefix from its own place (${pcfiledir}), as the CMake
# package does, so a moved prefix still works.
set(_pc_dir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${_pc_dir}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  message(FATAL_ERROR "cpns.pc: CMAKE_INSTALL_LIBDIR and CMAKE_INSTALL_INCLUDEDIR must be "
                      "relative to the prefix (they are '${CMAKE_INSTALL_LIBDIR}' and "
                      "'${CMAKE_INSTALL_INCLUDEDIR}')")
endif()
file(RELATIVE_PATH CPNS_PC_TO_PREFIX /prefix/${_pc_dir} /prefix)
string(REGEX REPLACE "/$" "" CPNS_PC_TO_PREFIX "${CPNS_PC_TO_PREFIX}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/cpns.pc.in ${_gen}/cpns.pc @ONLY)
install(FILES ${_gen}/cpns.pc DESTINATION ${_pc_dir} COMPONENT dev)
