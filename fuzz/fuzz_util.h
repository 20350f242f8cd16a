// What the harnesses share: the bytes as a string_view, a check that traps
// (so libFuzzer keeps the input as a crash), and a scratch file for parsers
// that only read from a path. Harnesses are single-threaded.
#ifndef CPNS_FUZZ_FUZZ_UTIL_H_
#define CPNS_FUZZ_FUZZ_UTIL_H_

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"

namespace cpns::fuzz {

inline absl::string_view AsText(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

// A property the code promises; a violation is a finding like a crash.
inline void Check(bool holds) {
  if (!holds) __builtin_trap();
}

const std::string& ScratchDir();

// Empties and removes the scratch directory at a normal exit. (After a crash
// it stays; scripts/fuzz points $TMPDIR into its build directory.)
inline void RemoveScratchDir() {
  const std::string& dir = ScratchDir();
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') ::unlink((dir + "/" + e->d_name).c_str());
    }
    ::closedir(d);
  }
  ::rmdir(dir.c_str());
}

// A directory of this process (under $TMPDIR, else /tmp) for the files a
// harness writes. Deliberately leaked: it lives as long as the process.
inline const std::string& ScratchDir() {
  static const std::string* dir = [] {
    const char* tmp = getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                          "/cpns-fuzz-XXXXXX";
    Check(mkdtemp(pattern.data()) != nullptr);
    auto* made = new std::string(pattern);
    std::atexit(RemoveScratchDir);
    return made;
  }();
  return *dir;
}

// Writes `bytes` to the scratch file `name` with mode 0600 (what the loaders
// require of secret files) and returns its path.
inline std::string WriteScratchFile(absl::string_view name, absl::string_view bytes) {
  const std::string path = ScratchDir() + "/" + std::string(name);
  ::unlink(path.c_str());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  Check(fd >= 0);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    Check(n > 0);
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return path;
}

}  // namespace cpns::fuzz

#endif  // CPNS_FUZZ_FUZZ_UTIL_H_
