// The version of this build of cpns, from one place: the CMake project
// version, and the git revision the tree was configured from (none when it
// was not a git checkout). For --version, the daemons' start line and
// cpns_build_info. Thread-safe: constants.
#ifndef CPNS_CORE_VERSION_H_
#define CPNS_CORE_VERSION_H_

#include <string>
#include <string_view>

namespace cpns {

// "0.1.0": the project version of CMakeLists.txt.
std::string_view Version();

// The short git revision ("abc1234") the build was configured from, empty
// when the sources were not a git checkout.
std::string_view GitRevision();

// "<program> <version>" and, when known, " (git <revision>)":
// "cpns-server 0.1.0 (git abc1234)".
std::string VersionLine(std::string_view program);

}  // namespace cpns

#endif  // CPNS_CORE_VERSION_H_
