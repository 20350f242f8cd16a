#include "wire/connection_table.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace cpns::wire {

absl::StatusOr<ino_t> ConnectionTable::InodeOf(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    return absl::InternalError(absl::StrCat("fstat of an accepted socket: ", std::strerror(errno)));
  }
  return st.st_ino;
}

void ConnectionTable::Add(int fd, ino_t inode, const std::string& peer) {
  if (auto it = by_fd_.find(fd); it != by_fd_.end()) Forget(it);
  by_fd_.emplace(fd, Entry{inode, peer});
  ++per_peer_[peer];
}

void ConnectionTable::Sweep() {
  for (auto it = by_fd_.begin(); it != by_fd_.end();) {
    struct stat st;
    const bool held = ::fstat(it->first, &st) == 0 && S_ISSOCK(st.st_mode) &&
                      st.st_ino == it->second.inode;
    if (held) {
      ++it;
    } else {
      auto next = std::next(it);
      Forget(it);
      it = next;
    }
  }
}

int ConnectionTable::CountFor(const std::string& peer) const {
  auto it = per_peer_.find(peer);
  return it == per_peer_.end() ? 0 : it->second;
}

void ConnectionTable::Forget(std::unordered_map<int, Entry>::iterator it) {
  auto peer = per_peer_.find(it->second.peer);
  if (peer != per_peer_.end() && --peer->second <= 0) per_peer_.erase(peer);
  by_fd_.erase(it);
}

}  // namespace cpns::wire
