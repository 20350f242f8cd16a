// ChallengeSpender: records challenges as used (check 5 of an
// authentication) so that concurrent authentications share one store commit.
//
// Group commit, leader and followers: a call queues its challenge; if no
// batch is in flight it leads one, taking every queued challenge (its own
// included) to the store in one AuthState::ConsumeChallenges call, and wakes
// the others when it has committed; otherwise it waits for the batch that
// takes its challenge. Each call returns only once its challenge's fate is
// committed, so replay protection is the store's, as for one call alone.
// With no concurrency a batch is one challenge: nothing waits for company.
//
// Thread-safe. A batch runs under its leader's store deadline; a follower
// waits no longer than its own, then gets Unavailable (its challenge may
// still be spent by the batch in flight: a retry starts from GetChallenge).
#ifndef CPNS_SERVER_CHALLENGE_SPENDER_H_
#define CPNS_SERVER_CHALLENGE_SPENDER_H_

#include <deque>
#include <memory>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/mutex.h"
#include "storage/seed_store.h"

namespace cpns::server {

class ChallengeSpender {
 public:
  // At most this many challenges go into one store call.
  static constexpr size_t kMaxBatch = 64;

  // `state` must outlive the spender.
  explicit ChallengeSpender(storage::AuthState& state) : state_(state) {}

  // OK when the challenge was fresh and is now recorded as used;
  // AlreadyExists when it was used before; the store's error otherwise.
  absl::Status Spend(absl::string_view challenge_id, absl::Time expires_at);

  // How many challenges wait for the batch in flight to end (for tests).
  size_t Waiting() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Pending {
    storage::ChallengeUse use;
    bool taken = false;  // in a batch in flight
    bool done = false;
    absl::Status result;
  };
  using PendingPtr = std::shared_ptr<Pending>;

  // Takes up to kMaxBatch queued challenges to the store (mu_ released
  // meanwhile) and publishes each one's result.
  void LeadOneBatch() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A follower whose deadline passed: forgets its challenge if still queued.
  absl::Status GiveUp(const PendingPtr& mine) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  storage::AuthState& state_;
  Mutex mu_;
  std::deque<PendingPtr> queue_ ABSL_GUARDED_BY(mu_);
  bool leading_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace cpns::server

#endif  // CPNS_SERVER_CHALLENGE_SPENDER_H_
