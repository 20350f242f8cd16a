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
// The contents of a secret file, into a wiping buffer. The file must be fit
// to hold a secret (OpenSSH's rule for private keys): not a symbolic link, a
// regular file, owned by this process's effective user, with no permission
// for group or others. NotFound when it does not exist; FailedPrecondition
// naming the file and what is wrong with it otherwise.
absl::StatusOr<SecretBytes> ReadSecretFile(const std::string& path);

// The secret-file rule of ReadSecretFile, for a file someone else opens (an
// SQLite database): checked with lstat, so a symbolic link is refused.
// NotFound when it does not exist.
absl::Status CheckOwnerOnlyFile(const std::string& path);

// Creates `path` empty with mode 0600 when missing (never through a symbolic
// link), then checks it with CheckOwnerOnlyFile. For a secret file that
// another library creates and opens by name (SQLite), so it is never created
// with that library's default mode.
absl::Status EnsureOwnerOnlyFile(const std::string& path);

// Every entry of `dir` that is a regular file passes CheckOwnerOnlyFile, and
// none is a symbolic link (sockets and subdirectories are left alone). For a
// directory that holds secrets, at start: nothing planted or loosened there
// is trusted. FailedPrecondition naming the first offending entry.
absl::Status CheckPrivateDirectoryContents(const std::string& dir);

// `status` with "<context>: " before its message (same code); OK stays OK.
// For saying which file a ReadSecretFile error is about ("KEK file: ...").
absl::Status WithContext(absl::string_view context, const absl::Status& status);

// Replaces `path` atomically: writes a temporary file in the same directory
// with `mode`, fsyncs it, renames it over `path` and fsyncs the directory. A
// crash leaves either the old or the new contents, never a mix.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents, mode_t mode);

// Creates `path` (one level) with `mode` if missing; FailedPrecondition if it
// exists and is not a directory (a symlink to one counts as not).
absl::Status EnsureDirectory(const std::string& path, mode_t mode);

// A directory for secrets: created 0700, or an existing one of ours made
// 0700 (read access by group or others removed). FailedPrecondition if it is
// a symbolic link, belongs to another user, or was writable by group or
// others (anyone could have planted or replaced files in it).
absl::Status EnsurePrivateDirectory(const std::string& path);

}  // namespace cpns

#endif  // CPNS_CORE_FILE_UTIL_H_
