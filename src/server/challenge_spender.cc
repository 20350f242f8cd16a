#include "server/challenge_spender.h"

#include <string>
#include <vector>

#include "storage/store_deadline.h"

namespace cpns::server {

ChallengeSpender::ChallengeSpender(storage::AuthState& state)
    : state_(state),
      spent_({.max_batch = kMaxBatch, .deadline_error = [] {
                return storage::StoreDeadlineError(
                    "the record of used challenges (other requests' turn)");
              }}) {}

absl::Status ChallengeSpender::Spend(absl::string_view challenge_id, absl::Time expires_at) {
  const storage::ChallengeUse use{std::string(challenge_id), expires_at};
  using Results = GroupCommit<storage::ChallengeUse, bool>::Results;
  absl::StatusOr<bool> fresh = spent_.Submit(
      use, storage::CurrentStoreDeadline(), [this](const auto& take) -> absl::StatusOr<Results> {
        std::vector<storage::ChallengeUse> uses;
        for (const storage::ChallengeUse* u : take()) uses.push_back(*u);
        const storage::ScopedBatchStoreDeadline bound(take.latest_deadline());
        absl::StatusOr<std::vector<bool>> stored = state_.ConsumeChallenges(uses);
        if (!stored.ok()) return stored.status();
        if (stored->size() != uses.size()) {
          return absl::InternalError("the store answered for another number of challenges");
        }
        Results results;
        for (const bool f : *stored) results.push_back(f);
        return results;
      });
  if (!fresh.ok()) return fresh.status();
  return *fresh ? absl::OkStatus() : absl::AlreadyExistsError("challenge already used");
}

}  // namespace cpns::server
