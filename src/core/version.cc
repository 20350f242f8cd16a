#include "core/version.h"

// Written by CMake at configure time (src/core/version_config.h.in).
#include "version_config.h"

namespace cpns {

std::string_view Version() { return CPNS_VERSION; }

std::string_view GitRevision() { return CPNS_GIT_REVISION; }

std::string VersionLine(std::string_view program) {
  std::string line = std::string(program) + " " + std::string(Version());
  if (!GitRevision().empty()) line += " (git " + std::string(GitRevision()) + ")";
  return line;
}

}  // namespace cpns
