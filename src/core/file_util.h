// Small POSIX file helpers with Status errors. Thread-safe (no shared state).
#ifndef CPNS_CORE_FILE_UTIL_H_
#define CPNS_CORE_FILE_UTIL_H_

#include <sys/types.h>

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cpns/core/secret_bytes.h"

namespace cpns {

// Whole file contents. NotFound when the file does not exist.
absl::StatusOr<std::string> ReadFile(const std::string& path);
// Same, into a wiping buffer.
absl::StatusOr<SecretBytes> ReadSecretFile(const std::string& path);

// Replaces `path` atomically: writes a temporary file in the same directory
// with `mode`, fsyncs it, renames it over `path` and fsyncs the directory. A
// crash leaves either the old or the new contents, never a mix.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents, mode_t mode);

// Creates `path` (one level) with `mode` if missing; FailedPrecondition if it
// exists and is not a directory (a symlink to one counts as not).
absl::Status EnsureDirectory(const std::string& path, mode_t mode);

// A directory for secrets: created 0700, or an existing one of ours made
// 0700 (access by group or others removed). FailedPrecondition if it belongs
// to another user.
absl::Status EnsurePrivateDirectory(const std::string& path);

}  // namespace cpns

#endif  // CPNS_CORE_FILE_UTIL_H_
