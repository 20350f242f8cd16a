// ChallengeSpender: records challenges as used (check 5 of an
// authentication) so that concurrent authentications share one store commit.
//
// A GroupCommit (core/group_commit.h): a call queues its challenge; if no
// batch is in flight it leads one, taking the queued challenges (its own
// included, at most kMaxBatch) to the store in one
// AuthState::ConsumeChallenges call; otherwise it waits for the batch that
// takes its challenge. Each call returns only once its challenge's fate is
// committed, so replay protection is the store's, as for one call alone.
// With no concurrency a batch is one challenge: nothing waits for company.
//
// Thread-safe. A batch runs under its leader's store deadline; a follower
// whose own deadline passes before a batch took its challenge leaves the
// queue and gets Unavailable (StoreDeadlineError); one already taken waits
// for that batch's result.
#ifndef CPNS_SERVER_CHALLENGE_SPENDER_H_
#define CPNS_SERVER_CHALLENGE_SPENDER_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/group_commit.h"
#include "storage/seed_store.h"

namespace cpns::server {

class ChallengeSpender {
 public:
  // At most this many challenges go into one store call.
  static constexpr size_t kMaxBatch = 64;

  // `state` must outlive the spender.
  explicit ChallengeSpender(storage::AuthState& state);

  // OK when the challenge was fresh and is now recorded as used;
  // AlreadyExists when it was used before; the store's error otherwise.
  absl::Status Spend(absl::string_view challenge_id, absl::Time expires_at);

  // How many challenges wait for a batch to take them (for tests).
  size_t Waiting() { return spent_.pending(); }

 private:
  storage::AuthState& state_;
  GroupCommit<storage::ChallengeUse, bool> spent_;  // true: it was fresh
};

}  // namespace cpns::server

#endif  // CPNS_SERVER_CHALLENGE_SPENDER_H_
