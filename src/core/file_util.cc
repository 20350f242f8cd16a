#include "core/file_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/status_macros.h"

namespace cpns {
namespace {

absl::Status ErrnoStatus(absl::string_view what, const std::string& path, int err) {
  std::string msg = absl::StrCat(what, " ", path, ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(msg);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(msg);
  return absl::InternalError(msg);
}

// Closes the descriptor on every path out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int Release() { int fd = fd_; fd_ = -1; return fd; }

 private:
  int fd_;
};

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::Status WriteAll(int fd, absl::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace

namespace {

// Reads the whole of `fd` into `out` (which it may grow); wipes its buffer.
absl::Status ReadAll(int fd, const std::string& path, std::string& out) {
  char buf[4096];
  absl::Status status;
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      status = ErrnoStatus("cannot read", path, errno);
      break;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  OPENSSL_cleanse(buf, sizeof(buf));
  return status;
}

}  // namespace

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus("cannot open", path, errno);
  std::string out;
  if (absl::Status s = ReadAll(fd.get(), path, out); !s.ok()) return s;
  return out;
}

namespace {

absl::string_view Access(mode_t mode) {
  if ((mode & 044) != 0) return "readable";
  if ((mode & 022) != 0) return "writable";
  return "accessible";
}

// Whether `path` is a file directly in systemd's credentials directory of
// this service ($CREDENTIALS_DIRECTORY, compared after resolving both).
bool InCredentialsDirectory(const std::string& path) {
  const char* dir = ::getenv("CREDENTIALS_DIRECTORY");
  const size_t slash = path.rfind('/');
  if (dir == nullptr || *dir == '\0' || slash == std::string::npos) return false;
  char* credentials = ::realpath(dir, nullptr);
  char* parent = ::realpath(path.substr(0, slash == 0 ? 1 : slash).c_str(), nullptr);
  const bool same = credentials != nullptr && parent != nullptr &&
                    std::strcmp(credentials, parent) == 0;
  std::free(credentials);
  std::free(parent);
  return same;
}

// systemd's copy of a credential (LoadCredential=): systemd 252 makes it the
// service user's, mode 0400; later versions may keep it root's and grant the
// service user read access by an ACL, which shows as group read in the mode.
// Either is fit: systemd made it, in a directory only this service sees.
bool IsSystemdCredential(const struct stat& st, const std::string& path) {
  return S_ISREG(st.st_mode) && (st.st_uid == ::geteuid() || st.st_uid == 0) &&
         (st.st_mode & 0037) == 0 && InCredentialsDirectory(path);
}

// What makes `st` (of `path`, from lstat or fstat) unfit to hold a secret.
absl::Status OwnerOnlyProblem(const struct stat& st, const std::string& path) {
  if (IsSystemdCredential(st, path)) return absl::OkStatus();
  if (S_ISLNK(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " is a symbolic link; a secret file must be the file itself; remove the link"));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a regular file"));
  }
  if (st.st_uid != ::geteuid()) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s belongs to uid %d, not to this process's user (uid %d); chown it",
                        path, st.st_uid, ::geteuid()));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s is %s by group or others (mode %04o); chmod 600 it", path,
                        Access(st.st_mode), st.st_mode & 07777));
  }
  return absl::OkStatus();
}

// Opens `path` for reading if it passes OwnerOnlyProblem. The checks are on
// the opened descriptor, so the file cannot be swapped between check and use;
// O_NOFOLLOW refuses a link, O_NONBLOCK keeps a planted FIFO from blocking.
absl::StatusOr<int> OpenOwnerOnly(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    if (errno != ELOOP) return ErrnoStatus("cannot open", path, errno);
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0) return OwnerOnlyProblem(st, path);
    return ErrnoStatus("cannot open", path, ELOOP);
  }
  Fd owned(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoStatus("cannot stat", path, errno);
  CPNS_RETURN_IF_ERROR(OwnerOnlyProblem(st, path));
  return owned.Release();
}

}  // namespace

absl::Status WithContext(absl::string_view context, const absl::Status& status) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

absl::Status CheckOwnerOnlyFile(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return ErrnoStatus("cannot stat", path, errno);
  return OwnerOnlyProblem(st, path);
}

absl::Status EnsureOwnerOnlyFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
  } else if (errno != EEXIST) {
    return ErrnoStatus("cannot create", path, errno);
  }
  return CheckOwnerOnlyFile(path);
}

absl::Status CheckPrivateDirectoryContents(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return ErrnoStatus("cannot list", dir, errno);
  absl::Status status;
  while (const struct dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    const std::string path = absl::StrCat(dir, "/", name);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;  // removed while we looked
      status = ErrnoStatus("cannot stat", path, errno);
      break;
    }
    if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) continue;
    status = OwnerOnlyProblem(st, path);
    if (!status.ok()) break;
  }
  ::closedir(d);
  return status;
}

absl::StatusOr<SecretBytes> ReadSecretFile(const std::string& path) {
  CPNS_ASSIGN_OR_RETURN(const int opened, OpenOwnerOnly(path));
  Fd fd(opened);
  // Reserve the file's size up front, so the string never reallocates and
  // leaves copies of the secret in freed memory.
  struct stat st;
  std::string contents;
  if (::fstat(fd.get(), &st) == 0 && st.st_size > 0) {
    contents.reserve(static_cast<size_t>(st.st_size) + 1);
  }
  absl::Status s = ReadAll(fd.get(), path, contents);
  SecretBytes out = SecretBytes::CopyFrom(contents);
  WipeString(contents);
  if (!s.ok()) return s;
  return out;
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents, mode_t mode) {
  // An unpredictable temporary name, created exclusively (mode 0600 by mkstemp).
  std::string tmp = absl::StrCat(path, ".tmp.XXXXXX");
  {
    Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));
    if (fd.get() < 0) return ErrnoStatus("cannot create a temporary file for", path, errno);
    auto fail = [&](absl::string_view what) {
      const int err = errno;
      ::unlink(tmp.c_str());
      return ErrnoStatus(what, tmp, err);
    };
    if (::fchmod(fd.get(), mode) != 0) return fail("cannot chmod");
    if (absl::Status s = WriteAll(fd.get(), contents, tmp); !s.ok()) {
      ::unlink(tmp.c_str());
      return s;
    }
    if (::fsync(fd.get()) != 0) return fail("cannot fsync");
    if (::close(fd.Release()) != 0) return fail("cannot close");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoStatus("cannot rename into", path, err);
  }
  const std::string dir = DirName(path);
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() < 0) return ErrnoStatus("cannot open directory", dir, errno);
  if (::fsync(dfd.get()) != 0) return ErrnoStatus("cannot fsync directory", dir, errno);
  return absl::OkStatus();
}

absl::Status EnsureDirectory(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == 0) return absl::OkStatus();
  if (errno != EEXIST) return ErrnoStatus("cannot create directory", path, errno);
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return ErrnoStatus("cannot stat", path, errno);
  if (S_ISLNK(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is a symbolic link; give the directory itself"));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " exists and is not a directory"));
  }
  return absl::OkStatus();
}

absl::Status EnsurePrivateDirectory(const std::string& path) {
  if (absl::Status s = EnsureDirectory(path, 0700); !s.ok()) return s;
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return ErrnoStatus("cannot stat", path, errno);
  if (st.st_uid != ::geteuid()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " belongs to another user; it must be this process's own"));
  }
  if ((st.st_mode & 022) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s is writable by group or others (mode %04o): its files cannot be trusted; check "
        "them, then chmod 700 it",
        path, st.st_mode & 07777));
  }
  if ((st.st_mode & 077) != 0 && ::chmod(path.c_str(), 0700) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s has mode %04o and cannot be made 0700", path, st.st_mode & 07777));
  }
  return absl::OkStatus();
}

}  // namespace cpns
