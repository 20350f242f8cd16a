#include "storage/store_deadline.h"

#include <algorithm>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace cpns::storage {
namespace {

// absl::Time is trivially destructible: no non-trivial thread-local object.
thread_local absl::Time current_deadline = absl::InfiniteFuture();

// Shows in Status::ToString() as [cpns/store-deadline='passed'].
constexpr absl::string_view kDeadlinePayload = "cpns/store-deadline";

}  // namespace

absl::Time StoreDeadlineFor(absl::Time call_deadline, absl::Time now) {
  const absl::Time cap = now + kDefaultStoreCallTimeout;
  if (call_deadline >= cap) return cap;
  const absl::Duration margin =
      std::max(kMinStoreDeadlineMargin, (call_deadline - now) / 10);
  return call_deadline - margin;
}

ScopedStoreDeadline::ScopedStoreDeadline(absl::Time deadline) : previous_(current_deadline) {
  current_deadline = std::min(deadline, previous_);
}

ScopedStoreDeadline::~ScopedStoreDeadline() { current_deadline = previous_; }

ScopedBatchStoreDeadline::ScopedBatchStoreDeadline(absl::Time deadline)
    : previous_(current_deadline) {
  current_deadline = deadline;
}

ScopedBatchStoreDeadline::~ScopedBatchStoreDeadline() { current_deadline = previous_; }

absl::Time CurrentStoreDeadline() {
  if (current_deadline == absl::InfiniteFuture()) return absl::Now() + kUnscopedStoreWait;
  return current_deadline;
}

absl::Status StoreDeadlineError(absl::string_view what) {
  absl::Status s = absl::UnavailableError(
      absl::StrCat(what, " did not answer in time (before the deadline of the call)"));
  s.SetPayload(kDeadlinePayload, absl::Cord("passed"));
  return s;
}

bool IsStoreDeadlineMiss(const absl::Status& status) {
  return absl::IsUnavailable(status) && status.GetPayload(kDeadlinePayload).has_value();
}

}  // namespace cpns::storage
