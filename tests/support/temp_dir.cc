#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace cpns::test {

std::string NewTempDir(std::string_view prefix) {
  std::string path = ::testing::TempDir();
  if (!path.empty() && path.back() != '/') path += '/';
  path.append(prefix);
  path += "_XXXXXX";
  if (mkdtemp(path.data()) == nullptr) {
    std::fprintf(stderr, "cannot make a temporary directory %s: %s\n", path.c_str(),
                 std::strerror(errno));
    std::abort();
  }
  return path;
}

}  // namespace cpns::test
