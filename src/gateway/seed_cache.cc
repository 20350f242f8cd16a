#include "gateway/seed_cache.h"

#include <spdlog/spdlog.h>

#include "core/logging.h"

#include "absl/strings/str_cat.h"
#include "gateway/seed_file.h"
#include "wire/status.h"

namespace cpns::gateway {
namespace {

absl::Status NoSeed(const absl::Status& why) {
  return absl::UnavailableError(
      absl::StrCat("the gateway holds no 1st seed and cannot obtain one: ", why.message()));
}

}  // namespace

SeedCache::SeedCache(GatewayId gw_id, FirstSeedSource& source, std::string seed_file)
    : gw_id_(std::move(gw_id)), source_(source), seed_file_(std::move(seed_file)) {}

absl::Status SeedCache::LoadSaved() {
  if (seed_file_.empty()) return absl::OkStatus();
  absl::StatusOr<FirstSeed> saved = LoadSeedFile(seed_file_, gw_id_);
  if (absl::IsNotFound(saved.status())) return absl::OkStatus();
  if (!saved.ok()) return saved.status();
  MutexLock lock(&mu_);
  seed_ = std::move(*saved);
  return absl::OkStatus();
}

absl::StatusOr<FirstSeed> SeedCache::Get(absl::Time deadline) {
  absl::StatusOr<std::optional<FirstSeed>> held = WaitOrLead(deadline);
  if (!held.ok()) return held.status();
  if (held->has_value()) return std::move(**held);
  return FetchAsLeader(deadline);
}

absl::StatusOr<std::optional<FirstSeed>> SeedCache::WaitOrLead(absl::Time deadline) {
  MutexLock lock(&mu_);
  while (!seed_.has_value() && fetching_) {
    // Someone else's 1st Seed Request is in flight: wait for its outcome.
    const uint64_t seen = fetches_done_;
    auto done = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return fetches_done_ != seen || seed_.has_value();
    };
    ++waiting_;
    const bool completed = mu_.AwaitWithDeadline(done, deadline);
    --waiting_;
    if (!completed) {
      return absl::UnavailableError(
          "the gateway holds no 1st seed yet; the 1st Seed Request to the CPNS Server did not "
          "complete within the request deadline");
    }
    // A fetch that failed only because its leader's own deadline ran out says
    // nothing about the server: take over (below) rather than fail. So one
    // caller with a tiny deadline cannot fail everybody else's requests.
    if (!seed_.has_value() && !leader_deadline_failure_) return NoSeed(last_error_);
  }
  if (seed_.has_value()) return std::optional<FirstSeed>(*seed_);
  fetching_ = true;
  ++upstream_requests_;
  return std::optional<FirstSeed>();  // the caller is the leader
}

absl::StatusOr<FirstSeed> SeedCache::FetchAsLeader(absl::Time deadline) {
  absl::StatusOr<FirstSeed> fetched = source_.Fetch(deadline);
  if (fetched.ok() && !seed_file_.empty()) {
    if (absl::Status saved = SaveSeedFile(seed_file_, *fetched); !saved.ok()) {
      // Serve from memory; the server returns the same seed if we ask again.
      spdlog::error("cannot save the 1st seed ({}); it will be requested again after a restart",
                    saved.message());
    }
  }
  MutexLock lock(&mu_);
  fetching_ = false;
  ++fetches_done_;
  mu_.SignalAll();
  if (!fetched.ok()) {
    last_error_ = fetched.status();
    leader_deadline_failure_ = absl::IsDeadlineExceeded(fetched.status()) ||
                               absl::IsCancelled(fetched.status()) || absl::Now() >= deadline;
    spdlog::warn("1st Seed Request failed: {}", fetched.status().message());
    return NoSeed(last_error_);
  }
  spdlog::info("1st seed obtained from the CPNS Server: epoch {}", fetched->seed_epoch);
  seed_ = std::move(*fetched);
  return *seed_;
}

std::optional<uint32_t> SeedCache::held_epoch() const {
  MutexLock lock(&mu_);
  if (!seed_.has_value()) return std::nullopt;
  return seed_->seed_epoch;
}

int SeedCache::waiting_callers() const {
  MutexLock lock(&mu_);
  return waiting_;
}

uint64_t SeedCache::upstream_requests() const {
  MutexLock lock(&mu_);
  return upstream_requests_;
}

}  // namespace cpns::gateway
