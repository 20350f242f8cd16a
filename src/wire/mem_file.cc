#include "wire/mem_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace cpns::wire {
namespace {

absl::Status Errno(absl::string_view call, const std::string& name) {
  return absl::InternalError(absl::StrCat(call, " for ", name, " failed: ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, absl::string_view contents, const std::string& name) {
  while (!contents.empty()) {
    const ssize_t n = ::write(fd, contents.data(), contents.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("write", name);
    contents.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// A new memfd holding `contents`, mode 0600, modified at `version` seconds.
absl::StatusOr<int> NewMemfd(const std::string& name, absl::string_view contents, long version) {
  const int fd = ::memfd_create(name.c_str(), MFD_CLOEXEC);
  if (fd < 0) return Errno("memfd_create", name);
  absl::Status s = WriteAll(fd, contents, name);
  const timespec times[2] = {{version, 0}, {version, 0}};
  if (s.ok() && ::fchmod(fd, 0600) != 0) s = Errno("fchmod", name);
  if (s.ok() && ::futimens(fd, times) != 0) s = Errno("futimens", name);
  if (!s.ok()) {
    ::close(fd);
    return s;
  }
  return fd;
}

}  // namespace

MemFile::MemFile(std::string name, int fd)
    : name_(std::move(name)), fd_(fd), path_(absl::StrCat("/proc/self/fd/", fd)) {}

absl::StatusOr<std::unique_ptr<MemFile>> MemFile::Create(const std::string& name,
                                                         absl::string_view contents) {
  absl::StatusOr<int> fd = NewMemfd(name, contents, 1);
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<MemFile>(new MemFile(name, *fd));
}

MemFile::Next::~Next() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<MemFile::Next> MemFile::Prepare(absl::string_view contents) {
  absl::StatusOr<int> fd = NewMemfd(name_, contents, version_ + 1);
  if (!fd.ok()) return fd.status();
  return Next(*fd);
}

absl::Status MemFile::Commit(Next next) {
  // Atomic: an open() of path_ finds the old file or the new one.
  if (::dup3(next.fd_, fd_, O_CLOEXEC) < 0) return Errno("dup3", name_);
  ++version_;
  return absl::OkStatus();  // `next` closes its own descriptor; fd_ keeps the file
}

absl::Status MemFile::Replace(absl::string_view contents) {
  absl::StatusOr<Next> next = Prepare(contents);
  if (!next.ok()) return next.status();
  return Commit(std::move(*next));
}

}  // namespace cpns::wire
