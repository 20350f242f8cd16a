#include "server/challenge_spender.h"

#include <algorithm>
#include <vector>

#include "storage/store_deadline.h"

namespace cpns::server {

absl::Status ChallengeSpender::Spend(absl::string_view challenge_id, absl::Time expires_at) {
  auto mine = std::make_shared<Pending>();
  mine->use = {std::string(challenge_id), expires_at};
  const absl::Time deadline = storage::CurrentStoreDeadline();
  MutexLock lock(&mu_);
  queue_.push_back(mine);
  // Woken when a batch ends: ours is done, or the next batch needs a leader.
  auto turn = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return mine->done || !leading_; };
  while (!mine->done) {
    if (!leading_) {
      LeadOneBatch();
    } else if (!mu_.AwaitWithDeadline(turn, deadline)) {
      return GiveUp(mine);
    }
  }
  return mine->result;
}

size_t ChallengeSpender::Waiting() {
  MutexLock lock(&mu_);
  return queue_.size();
}

void ChallengeSpender::LeadOneBatch() {
  leading_ = true;
  const size_t n = std::min(queue_.size(), kMaxBatch);
  std::vector<PendingPtr> batch(queue_.begin(), queue_.begin() + n);
  queue_.erase(queue_.begin(), queue_.begin() + n);
  std::vector<storage::ChallengeUse> uses;
  uses.reserve(n);
  for (const PendingPtr& p : batch) {
    p->taken = true;
    uses.push_back(p->use);
  }
  mu_.Unlock();
  const absl::StatusOr<std::vector<bool>> fresh = state_.ConsumeChallenges(uses);
  mu_.Lock();
  const absl::Status failed =
      !fresh.ok() ? fresh.status()
      : fresh->size() != n ? absl::InternalError("the store answered for another number of challenges")
                           : absl::OkStatus();
  for (size_t k = 0; k < n; ++k) {
    if (!failed.ok()) {
      batch[k]->result = failed;
    } else if (!(*fresh)[k]) {
      batch[k]->result = absl::AlreadyExistsError("challenge already used");
    }
    batch[k]->done = true;
  }
  leading_ = false;
  mu_.SignalAll();
}

absl::Status ChallengeSpender::GiveUp(const PendingPtr& mine) {
  if (!mine->taken) {
    queue_.erase(std::find(queue_.begin(), queue_.end(), mine));
  }
  return storage::StoreDeadlineError("the record of used challenges (other requests' turn)");
}

}  // namespace cpns::server
