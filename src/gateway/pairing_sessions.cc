#include "gateway/pairing_sessions.h"

#include "absl/strings/str_cat.h"
#include "core/pairing.h"
#include "core/status_macros.h"
#include "cpns/core/random.h"

namespace cpns::gateway {

void PairingSessions::DropExpired() {
  const absl::Time now = clock_.Now();
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second.expires_at > now) {
      ++it;
      continue;
    }
    if (auto p = per_peer_.find(it->second.peer_key); p != per_peer_.end() && --p->second == 0) {
      per_peer_.erase(p);
    }
    it = sessions_.erase(it);
  }
}

absl::StatusOr<std::string> PairingSessions::Add(Assignee assignee, std::string peer_key,
                                                 std::optional<int64_t> code_id,
                                                 spake2plus::Verifier verifier) {
  CPNS_ASSIGN_OR_RETURN(SecretBytes id_bytes, SecureRandomBytes(pairing::kSessionIdSize));
  std::string id(id_bytes.RevealSecret());
  MutexLock lock(&mu_);
  DropExpired();
  const std::string retry =
      absl::StrCat("; retry in ", absl::ToInt64Seconds(limits_.lifetime), " s");
  if (sessions_.size() >= limits_.max_sessions) {
    return absl::ResourceExhaustedError(
        absl::StrCat("too many pairings in progress on this gateway", retry));
  }
  auto [count, inserted] = per_peer_.try_emplace(peer_key, 0);
  if (count->second >= limits_.max_per_peer) {
    return absl::ResourceExhaustedError(
        absl::StrCat("too many pairings in progress from this peer", retry));
  }
  ++count->second;
  sessions_.emplace(id, PairingSession{.assignee = std::move(assignee),
                                       .peer_key = std::move(peer_key),
                                       .code_id = code_id,
                                       .verifier = std::move(verifier),
                                       .expires_at = clock_.Now() + limits_.lifetime});
  return id;
}

absl::StatusOr<PairingSession> PairingSessions::Take(absl::string_view id,
                                                     absl::string_view peer_key) {
  MutexLock lock(&mu_);
  DropExpired();
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.peer_key != peer_key) {
    return absl::NotFoundError(
        "no such pairing in progress from this peer (unknown, already finished, or expired): "
        "start again");
  }
  PairingSession session = std::move(it->second);
  sessions_.erase(it);
  if (auto p = per_peer_.find(session.peer_key); p != per_peer_.end() && --p->second == 0) {
    per_peer_.erase(p);
  }
  return session;
}

size_t PairingSessions::size() const {
  MutexLock lock(&mu_);
  return sessions_.size();
}

}  // namespace cpns::gateway
