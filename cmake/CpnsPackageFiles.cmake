# The files the Debian packages add to the programs (cmake/CpnsPackaging.cmake):
# man pages, copyright and changelog, units and configuration samples, and the
# control files of the two daemons' packages.

find_program(CPNS_HELP2MAN help2man)
set(CPNS_DEBIAN_DIR ${PROJECT_SOURCE_DIR}/packaging/debian)
set(CPNS_PACKAGE_BUILD_DIR ${PROJECT_BINARY_DIR}/packaging)

# cpns_man_page(PROGRAM COMPONENT NAME): PROGRAM.1.gz made by help2man from the
# built program's --help and --version, with a COMMANDS section holding the
# --help of each subcommand (packaging/man-commands), installed in share/man/man1. Nothing
# without help2man (a development machine need not have it; scripts/package
# installs it), nor in sanitizer builds (a leak report at exit would fail it).
function(cpns_man_page prog comp name)
  if(NOT CPNS_HELP2MAN OR CPNS_SANITIZE_FLAGS)
    return()
  endif()
  set(out ${CPNS_PACKAGE_BUILD_DIR}/man/${prog}.1)
  # packaging/man/PROGRAM.h2m, if any: sections written by hand (FILES, SEE ALSO).
  set(extra ${PROJECT_SOURCE_DIR}/packaging/man/${prog}.h2m)
  set(include_extra "")
  if(EXISTS ${extra})
    set(include_extra --include=${extra})
  else()
    set(extra "")
  endif()
  add_custom_command(OUTPUT ${out}.gz
    COMMAND ${PROJECT_SOURCE_DIR}/packaging/man-commands $<TARGET_FILE:${prog}> ${out}.h2m
    COMMAND ${CPNS_HELP2MAN} --no-info --section=1 --name=${name} --include=${out}.h2m
            ${include_extra} --output=${out} $<TARGET_FILE:${prog}>
    COMMAND gzip -9nf ${out}
    DEPENDS ${prog} ${PROJECT_SOURCE_DIR}/packaging/man-commands ${extra}
    COMMENT "help2man ${prog}"
    VERBATIM)
  add_custom_target(${prog}_man ALL DEPENDS ${out}.gz)
  install(FILES ${out}.gz DESTINATION share/man/man1 COMPONENT ${comp})
endfunction()

# cpns_package_docs(): packaging/debian/changelog compressed as Debian wants
# it (gzip -9n: no name or time stamp, so the same input gives the same bytes).
function(cpns_package_docs)
  set(src ${CPNS_DEBIAN_DIR}/changelog)
  set(out ${CPNS_PACKAGE_BUILD_DIR}/changelog.Debian)
  add_custom_command(OUTPUT ${out}.gz
    COMMAND ${CMAKE_COMMAND} -E copy ${src} ${out}
    COMMAND gzip -9nf ${out}
    DEPENDS ${src}
    VERBATIM)
  add_custom_target(cpns_package_changelog ALL DEPENDS ${out}.gz)
endfunction()

# cpns_install_docs(COMPONENT PACKAGE): /usr/share/doc/PACKAGE/{copyright,changelog.Debian.gz}.
function(cpns_install_docs comp pkg)
  install(FILES ${CPNS_DEBIAN_DIR}/copyright ${CPNS_PACKAGE_BUILD_DIR}/changelog.Debian.gz
    DESTINATION share/doc/${pkg} COMPONENT ${comp})
endfunction()

# The system directories (/etc/cpns, /lib/systemd/system) are absolute in the
# packages, which CPack installs with the prefix /usr under DESTDIR. Any other
# prefix gets them under itself (PREFIX/etc/cpns), decided when installing, so
# that `cmake --install build --prefix /opt/x` never writes into this
# machine's /etc.
set(_cpns_system_root [[
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(_cpns_root "")
else()
  set(_cpns_root "${CMAKE_INSTALL_PREFIX}")
endif()
]])

# cpns_install_system_files(COMPONENT DIR FILE...): FILEs into the system
# directory DIR (absolute).
function(cpns_install_system_files comp dir)
  if(NOT ARGN)
    return()
  endif()
  set(files "")
  foreach(f IN LISTS ARGN)
    string(APPEND files " \"${f}\"")
  endforeach()
  install(CODE "${_cpns_system_root}
file(INSTALL DESTINATION \"\${_cpns_root}${dir}\" TYPE FILE FILES${files})"
    COMPONENT ${comp})
endfunction()

# cpns_install_tls_dir(COMPONENT): /etc/cpns/tls, root:root 0755, in both
# daemons' packages (dpkg removes it with the last of them when empty). It
# cannot belong to one service group since both daemons may share a host: the
# certificates are public, and each private key is protected by its own mode
# (0600, owned by its service user) instead.
function(cpns_install_tls_dir comp)
  file(MAKE_DIRECTORY ${CPNS_PACKAGE_BUILD_DIR}/tls)
  install(CODE "${_cpns_system_root}
file(INSTALL DESTINATION \"\${_cpns_root}/etc/cpns\" TYPE DIRECTORY
  FILES \"${CPNS_PACKAGE_BUILD_DIR}/tls\"
  DIR_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                  WORLD_READ WORLD_EXECUTE)"
    COMPONENT ${comp})
endfunction()

# cpns_daemon_control_files(COMPONENT USER STATE_DIR UNIT CONFFILES): the
# maintainer scripts (packaging/debian/*.in for this daemon) and the conffiles
# list; sets CPNS_CONTROL_EXTRA_<COMPONENT> to the files for CPack.
function(cpns_daemon_control_files comp user state_dir unit confs)
  set(CPNS_USER ${user})
  set(CPNS_STATE_DIR ${state_dir})
  set(CPNS_UNIT ${unit})
  set(dir ${CPNS_PACKAGE_BUILD_DIR}/${comp})
  set(extra "")
  foreach(script IN ITEMS postinst prerm postrm)
    configure_file(${CPNS_DEBIAN_DIR}/${script}.in ${dir}/${script} @ONLY
      FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                       WORLD_READ WORLD_EXECUTE)
    list(APPEND extra ${dir}/${script})
  endforeach()
  # Every file under /etc is a conffile (Debian policy 10.7.2).
  set(lines "")
  foreach(conf IN LISTS confs)
    get_filename_component(name ${conf} NAME)
    string(APPEND lines "/etc/cpns/${name}\n")
  endforeach()
  file(REMOVE ${dir}/conffiles)
  if(lines)
    file(WRITE ${dir}/conffiles "${lines}")
    list(APPEND extra ${dir}/conffiles)
  endif()
  set(CPNS_CONTROL_EXTRA_${comp} ${extra} PARENT_SCOPE)
endfunction()
