# Debian packages (scripts/package, docs in README.md "Building the packages"):
# one package per install component, built by CPack's DEB generator.
#
#   component  package        contents
#   server     cpns-server    cpns-server, its unit, /etc/cpns/server.toml
#   gateway    cpns-gateway   cpns-gw, its unit, /etc/cpns/gw.toml
#   tools      cpns-tools     cpns-pne, cpns-keytool
#   dev        libcpns-dev    headers, client library, CMake package, cpns.pc
#
# Every package also gets /usr/share/doc/<package>/{copyright,changelog.Debian.gz};
# the programs get man pages made by help2man from their --help at build time.
# The version is the project's (project() in the root CMakeLists.txt).

include(CpnsPackageFiles)

set(CPNS_PACKAGE_MAINTAINER "cpns maintainers <maintainers@users.noreply.r-seed-cfa7e77c.example>"
  CACHE STRING "Maintainer field of the Debian packages")
set(CPNS_PACKAGE_HOMEPAGE "" CACHE STRING "Homepage field of the Debian packages (none when empty)")
# The Debian revision: the N of VERSION-N. packaging/debian/changelog's latest
# entry carries the same full version (checked by the package test).
set(CPNS_PACKAGE_RELEASE 1 CACHE STRING "Debian revision of the packages")

set(_cpns_pkg_server cpns-server)
set(_cpns_pkg_gateway cpns-gateway)
set(_cpns_pkg_tools cpns-tools)
set(_cpns_pkg_dev libcpns-dev)
set(_cpns_daemon_server_user _cpns-server)
set(_cpns_daemon_server_state /var/lib/cpns)
set(_cpns_daemon_server_unit cpns-server.service)
set(_cpns_daemon_server_conf server.toml)
set(_cpns_daemon_gateway_user _cpns-gw)
set(_cpns_daemon_gateway_state /var/lib/cpns-gw)
set(_cpns_daemon_gateway_unit cpns-gw.service)
set(_cpns_daemon_gateway_conf gw.toml)

# The programs' man pages, and the two documents every package carries.
cpns_man_page(cpns-server server "the CPNS Server: issues and keeps every gateway's 1st seed")
cpns_man_page(cpns-gw gateway "the Intermediate PN GW daemon: assigns EUKeys to the entities of its PN")
cpns_man_page(cpns-pne tools "asks an Intermediate PN GW for an EUKey and proves holding it")
cpns_man_page(cpns-keytool tools "offline CPNS key derivation and a development PKI")
cpns_package_docs()
foreach(comp IN ITEMS server gateway tools dev)
  cpns_install_docs(${comp} ${_cpns_pkg_${comp}})
endforeach()

# Units and configuration samples, by name: whatever packaging/systemd and
# packaging/etc hold when CMake runs (a new file there needs a re-configure).
file(GLOB _cpns_units CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/packaging/systemd/*.service)
file(GLOB _cpns_confs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/packaging/etc/*.toml)
foreach(comp IN ITEMS server gateway)
  set(_units ${_cpns_units})
  set(_confs ${_cpns_confs})
  list(FILTER _units INCLUDE REGEX "/${_cpns_daemon_${comp}_unit}$")
  list(FILTER _confs INCLUDE REGEX "/${_cpns_daemon_${comp}_conf}$")
  cpns_install_system_files(${comp} /lib/systemd/system ${_units})
  cpns_install_system_files(${comp} /etc/cpns ${_confs})
  cpns_install_tls_dir(${comp})
  cpns_daemon_control_files(${comp} "${_cpns_daemon_${comp}_user}"
    "${_cpns_daemon_${comp}_state}" "${_cpns_daemon_${comp}_unit}" "${_confs}")
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cpns)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${CPNS_PACKAGE_MAINTAINER}")
set(CPACK_COMPONENTS_ALL server gateway tools dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${CPNS_PACKAGE_RELEASE})
set(CPACK_DEBIAN_PACKAGE_SOURCE cpns)  # the name in packaging/debian/changelog
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPNS_PACKAGE_MAINTAINER}")
if(CPNS_PACKAGE_HOMEPAGE)
  set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${CPNS_PACKAGE_HOMEPAGE}")
endif()
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
foreach(comp IN ITEMS server gateway tools dev)
  string(TOUPPER ${comp} _c)
  set(CPACK_DEBIAN_${_c}_PACKAGE_NAME ${_cpns_pkg_${comp}})
  set(CPACK_DEBIAN_${_c}_PACKAGE_CONTROL_EXTRA ${CPNS_CONTROL_EXTRA_${comp}})
endforeach()
# shlibdeps adds the runtime libraries; the maintainer scripts need adduser.
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_GATEWAY_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# The client library links these (it is static: its users link them too).
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libgrpc++-dev, libprotobuf-dev, libabsl-dev, libssl-dev")

set(CPACK_DEBIAN_SERVER_DESCRIPTION "OMA CPNS Server (key assignment)
The CPNS Server of OMA Converged Personal Network Service key assignment:
it issues every PN Gateway a random 1st seed over mutual TLS, keeps the
seeds sealed under a key-encryption key (SQLite or PostgreSQL), and can
recompute any EUKey a gateway assigned.
.
The service is installed but neither enabled nor started: it needs its
certificates and KEK first (see cpns-server(1)).")
set(CPACK_DEBIAN_GATEWAY_DESCRIPTION "OMA CPNS Intermediate PN Gateway daemon
cpns-gw, the Intermediate PN GW of OMA Converged Personal Network Service
key assignment: it holds a 1st seed from the CPNS Server and assigns each
device (PNE) or client gateway of its Personal Network a fresh 2nd seed and
EUKey, after pairing, a device certificate or open admission.
.
The service is installed but neither enabled nor started: it needs its
certificates first (see cpns-gw(1)).")
set(CPACK_DEBIAN_TOOLS_DESCRIPTION "OMA CPNS assignee client and key tool
cpns-pne asks an Intermediate PN GW for an EUKey and proves to the CPNS
Server that it holds it; cpns-keytool derives 2nd seeds and EUKeys offline
and makes a development PKI.")
set(CPACK_DEBIAN_DEV_DESCRIPTION "OMA CPNS client library (development files)
The public headers and the static client library of cpns, with a CMake
package (find_package(cpns), target cpns::cpns) and a pkg-config file,
for device and gateway makers who request EUKeys from their programs.")

include(CPack)
