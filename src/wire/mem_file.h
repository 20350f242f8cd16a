// A private in-memory file at a fixed path (/proc/self/fd/N) whose contents
// are replaced atomically. For a library that re-reads a file by name on its
// own schedule (gRPC's FileWatcherCertificateProvider): it only ever sees
// whole contents this process checked, never an operator's file half
// written, and never a mix of old and new.
//
// Each version is a new memfd put at descriptor N with dup3(), and gets its
// own modification time (a counter, not the clock): gRPC's watcher reads a
// key and a certificate in two reads and retries when the time changed
// between them, so a replacement during its reads is seen and retried.
//
// Thread-compatible: Replace is called by one thread at a time; any thread
// may open path(). The contents never leave this process (it is
// non-dumpable, so no other process of the user can open /proc/PID/fd).
#ifndef CPNS_WIRE_MEM_FILE_H_
#define CPNS_WIRE_MEM_FILE_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cpns::wire {

class MemFile {
 public:
  // Internal naming the call that failed.
  static absl::StatusOr<std::unique_ptr<MemFile>> Create(const std::string& name,
                                                         absl::string_view contents);
  // Leaves the descriptor open, with its contents, for the life of the
  // process: gRPC's core (its watcher thread) may outlive the owner, and must
  // never read an emptied file (gRPC 1.51 asserts on an empty key) nor
  // another file under a reused descriptor number.
  ~MemFile() = default;
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;

  // "/proc/self/fd/N": the current contents for whoever opens it.
  const std::string& path() const { return path_; }

  // A next version, written but not yet at path(). Move-only; closed when
  // dropped uncommitted.
  class Next {
   public:
    Next(Next&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Next& operator=(Next&&) = delete;
    ~Next();

   private:
    friend class MemFile;
    explicit Next(int fd) : fd_(fd) {}
    int fd_;
  };

  // Writes `contents` as the next version; path() still opens the current
  // one. What can fail in a replacement (memory, descriptors) fails here,
  // so several files can be prepared before any of them changes. One Next
  // at a time per file.
  absl::StatusOr<Next> Prepare(absl::string_view contents);

  // From now on, path() opens `next`; a reader that opened the old version
  // keeps reading the old one. Only dup3() can fail here (Internal; the old
  // version stays).
  absl::Status Commit(Next next);

  // Prepare, then Commit.
  absl::Status Replace(absl::string_view contents);

 private:
  MemFile(std::string name, int fd);

  const std::string name_;
  const int fd_;
  const std::string path_;
  long version_ = 1;  // the modification time (seconds) of the current version
};

}  // namespace cpns::wire

#endif  // CPNS_WIRE_MEM_FILE_H_
