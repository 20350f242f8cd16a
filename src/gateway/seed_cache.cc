#include "gateway/seed_cache.h"

#include <limits>

#include "core/logging.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "gateway/seed_file.h"

namespace cpns::gateway {
namespace {

absl::Status NoSeed(const absl::Status& why) {
  return absl::UnavailableError(
      absl::StrCat("the gateway holds no 1st seed and cannot obtain one: ", why.message()));
}

// A copy that shares nothing with `s`. Handed from one thread to another, a
// shared absl::Status is reference-counted inside Debian's uninstrumented
// abseil, where TSan cannot see the synchronization and reports a race.
absl::Status Unshared(const absl::Status& s) {
  return s.ok() ? absl::OkStatus() : absl::Status(s.code(), s.message());
}

bool SameSeed(const FirstSeed& a, const FirstSeed& b) {
  return a.seed_epoch == b.seed_epoch && a.first_seed == b.first_seed &&
         a.created_at == b.created_at && a.expires_at == b.expires_at;
}

// Whether the server answered: any outcome but a failure to reach it in time
// (a refusal such as PERMISSION_DENIED for a revoked gateway is an answer).
bool UpstreamAnswered(const absl::Status& outcome) {
  return !absl::IsUnavailable(outcome) && !absl::IsDeadlineExceeded(outcome) &&
         !absl::IsCancelled(outcome);
}

}  // namespace

SeedCache::SeedCache(GatewayId gw_id, FirstSeedSource& source, std::string seed_file,
                     const Clock& clock)
    : gw_id_(std::move(gw_id)), source_(source), seed_file_(std::move(seed_file)), clock_(clock) {}

void SeedCache::SetMetrics(Metrics metrics) {
  metrics_ = metrics;
  if (metrics_.upstream_up != nullptr) metrics_.upstream_up->Set(1);  // until a request fails
  MutexLock lock(&mu_);
  ShowSeed();
}

void SeedCache::ShowSeed() {
  const double epoch = seed_.has_value() ? seed_->seed_epoch : 0;
  double expiry = 0;
  if (seed_.has_value()) {
    expiry = seed_->expires_at == absl::InfiniteFuture()
                 ? std::numeric_limits<double>::infinity()
                 : static_cast<double>(absl::ToUnixSeconds(seed_->expires_at));
  }
  if (metrics_.seed_epoch != nullptr) metrics_.seed_epoch->Set(epoch);
  if (metrics_.seed_expiry != nullptr) metrics_.seed_expiry->Set(expiry);
}

// "ok" or the failure's code in lower case (a small fixed set).
void SeedCache::CountFetch(const absl::Status& outcome, bool counts_against_upstream) {
  if (metrics_.requests != nullptr) {
    metrics_.requests
        ->With(outcome.ok() ? std::string("ok")
                            : absl::AsciiStrToLower(absl::StatusCodeToString(outcome.code())))
        .Increment();
  }
  const bool answered = UpstreamAnswered(outcome);
  if (answered || counts_against_upstream) ShowUpstream(answered);
}

void SeedCache::ShowUpstream(bool answered) {
  if (metrics_.upstream_up != nullptr) metrics_.upstream_up->Set(answered ? 1 : 0);
}

absl::Status SeedCache::LoadSaved() {
  if (seed_file_.empty()) return absl::OkStatus();
  const SecretBytes* key = seal_key_ ? &*seal_key_ : nullptr;
  absl::StatusOr<FirstSeed> saved = LoadSeedFile(seed_file_, gw_id_, key);
  if (absl::IsNotFound(saved.status())) return absl::OkStatus();
  if (!saved.ok()) return saved.status();
  // A file written before a gateway key was configured: seal it now, so the
  // plain copy does not stay on disk.
  if (key != nullptr) CPNS_RETURN_IF_ERROR(SaveSeedFile(seed_file_, *saved, key));
  saved->second_seed_deriver = SecondSeedDeriver::Create(saved->first_seed);
  MutexLock lock(&mu_);
  seed_ = std::move(*saved);
  ShowSeed();
  return absl::OkStatus();
}

bool SeedCache::Usable() const { return seed_.has_value() && clock_.Now() < seed_->expires_at; }

absl::StatusOr<FirstSeed> SeedCache::Get(absl::Time deadline) {
  absl::StatusOr<std::optional<FirstSeed>> held = WaitOrLead(deadline);
  if (!held.ok()) return held.status();
  if (held->has_value()) return std::move(**held);
  absl::StatusOr<FirstSeed> fetched = LeadFetch(deadline, 0);
  if (!fetched.ok()) return NoSeed(fetched.status());
  return fetched;
}

bool SeedCache::AwaitFetch(absl::Time deadline) {
  const uint64_t seen = fetches_done_;
  auto done = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return fetches_done_ != seen; };
  ++waiting_;
  const bool completed = mu_.AwaitWithDeadline(done, deadline);
  --waiting_;
  return completed;
}

void SeedCache::BeginFetch() {
  fetching_ = true;
  drops_at_fetch_ = drops_;
  ++upstream_requests_;
}

absl::StatusOr<std::optional<FirstSeed>> SeedCache::WaitOrLead(absl::Time deadline) {
  MutexLock lock(&mu_);
  // No seed and the server unreachable: fail fast until the next attempt,
  // which the refresher makes in the background, so a burst of requests
  // while the WAN is down costs the server nothing.
  if (!Usable() && !fetching_ && failures_ > 0 && clock_.Now() < next_attempt_) {
    return NoSeed(absl::Status(
        last_outcome_.code(),
        absl::StrCat(last_outcome_.message(), " (next attempt in ",
                     absl::ToInt64Seconds(next_attempt_ - clock_.Now()) + 1, " s)")));
  }
  while (!Usable() && fetching_) {
    // Someone else's 1st Seed Request is in flight: wait for its outcome.
    if (!AwaitFetch(deadline)) {
      return absl::UnavailableError(
          "the gateway holds no 1st seed yet; the 1st Seed Request to the CPNS Server did not "
          "complete within the request deadline");
    }
    // A fetch that failed only because its leader's own deadline ran out says
    // nothing about the server: take over (below) rather than fail. So one
    // caller with a tiny deadline cannot fail everybody else's requests.
    if (!Usable() && !last_outcome_.ok() && !leader_deadline_failure_) {
      return NoSeed(last_outcome_);
    }
  }
  if (Usable()) return std::optional<FirstSeed>(*seed_);
  BeginFetch();
  return std::optional<FirstSeed>();  // the caller is the leader
}

absl::Status SeedCache::Refresh(absl::Time deadline, uint32_t renew_epoch) {
  {
    MutexLock lock(&mu_);
    if (fetching_) {
      // Single flight: the request in flight answers this refresh too.
      if (!AwaitFetch(deadline)) {
        return absl::DeadlineExceededError(
            "the 1st Seed Request in flight did not complete within the refresh deadline");
      }
      return Unshared(last_outcome_);
    }
    BeginFetch();
  }
  return LeadFetch(deadline, renew_epoch).status();
}

absl::StatusOr<FirstSeed> SeedCache::LeadFetch(absl::Time deadline, uint32_t renew_epoch) {
  const absl::Time start = absl::Now();  // for duration_ms in the log
  absl::StatusOr<FirstSeed> fetched = source_.Fetch(deadline, renew_epoch);
  MutexLock lock(&mu_);
  if (fetched.ok()) {
    last_contact_ = clock_.Now();
    fetched = Keep(std::move(*fetched));
  }
  EndFetch(fetched.status(), deadline);
  if (!fetched.ok()) {
    log::Warn("1st Seed Request failed",
              {{"renew_epoch", renew_epoch},
               {"result", absl::StatusCodeToString(fetched.status().code())},
               {"error", fetched.status().message()},
               {"duration_ms", absl::ToInt64Milliseconds(absl::Now() - start)}});
  }
  return fetched;
}

absl::StatusOr<FirstSeed> SeedCache::Keep(FirstSeed fetched) {
  if (drops_ != drops_at_fetch_) {
    return absl::AbortedError("the 1st seed was dropped while a 1st Seed Request was in flight");
  }
  // Never serve a seed our clock says has expired (clock skew with the server).
  if (clock_.Now() >= fetched.expires_at) {
    return absl::UnavailableError(absl::StrCat(
        "the CPNS Server sent 1st seed epoch ", fetched.seed_epoch, ", which expired at ",
        FormatSeedTime(fetched.expires_at), " by this gateway's clock; is a clock wrong?"));
  }
  if (!seed_.has_value() || !SameSeed(*seed_, fetched)) Replace(std::move(fetched));
  return *seed_;
}

void SeedCache::Replace(FirstSeed fetched) {
  // Saved before use. Under the lock, so that a concurrent Drop cannot be
  // undone by a save that lands after its removal.
  if (!seed_file_.empty()) {
    if (absl::Status saved =
            SaveSeedFile(seed_file_, fetched, seal_key_ ? &*seal_key_ : nullptr);
        !saved.ok()) {
      // Serve from memory; the server returns the same seed if we ask again.
      log::Error("cannot save the 1st seed; it will be requested again after a restart",
                 {{"epoch", fetched.seed_epoch}, {"error", saved}});
    }
  }
  if (seed_.has_value() && seed_->seed_epoch == fetched.seed_epoch &&
      !(seed_->first_seed == fetched.first_seed)) {
    log::Error("the CPNS Server sent different bytes for the same 1st seed epoch; using its seed",
               {{"gw_id", fetched.gw_id.value()}, {"epoch", fetched.seed_epoch}});
  }
  log::Info("1st seed obtained from the CPNS Server",
            {{"gw_id", fetched.gw_id.value()},
             {"epoch", fetched.seed_epoch},
             {"previous_epoch", seed_.has_value() ? absl::StrCat(seed_->seed_epoch) : "none"},
             {"expires_at", FormatSeedTime(fetched.expires_at)},
             {"result", "ok"}});
  fetched.second_seed_deriver = SecondSeedDeriver::Create(fetched.first_seed);
  seed_ = std::move(fetched);
  revoked_ = false;
  ShowSeed();
}

void SeedCache::EndFetch(const absl::Status& outcome, absl::Time deadline) {
  fetching_ = false;
  ++fetches_done_;
  last_outcome_ = Unshared(outcome);
  leader_deadline_failure_ = absl::IsDeadlineExceeded(outcome) || absl::IsCancelled(outcome) ||
                             (!outcome.ok() && absl::Now() >= deadline);
  CountFetch(outcome, !leader_deadline_failure_);
  if (outcome.ok()) {
    failures_ = 0;
    unreachable_since_ = absl::InfinitePast();
    next_attempt_ = absl::InfinitePast();
  } else if (!leader_deadline_failure_) {
    const absl::Time now = clock_.Now();
    if (failures_++ == 0) unreachable_since_ = now;
    // A cheap, lock-protected jitter source (splitmix64); quality is not a concern.
    jitter_state_ += 0x9E3779B97F4A7C15ull + reinterpret_cast<uintptr_t>(this);
    uint64_t z = jitter_state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    const double u = static_cast<double>(z >> 11) / static_cast<double>(1ull << 53) * 2 - 1;
    next_attempt_ = now + Backoff(failures_, kRetryCap, u);
  }
  mu_.SignalAll();
}

absl::StatusOr<SeedStatus> SeedCache::QueryStatus(absl::Time deadline, uint32_t held_epoch) {
  absl::StatusOr<SeedStatus> status = source_.Status(deadline, held_epoch);
  // Between renewals this is a seed holder's only call upstream.
  ShowUpstream(UpstreamAnswered(status.status()));
  if (status.ok()) {
    MutexLock lock(&mu_);
    last_contact_ = clock_.Now();
  }
  return status;
}

absl::Status SeedCache::Drop() {
  MutexLock lock(&mu_);
  seed_.reset();
  ShowSeed();
  ++drops_;
  revoked_ = true;
  return seed_file_.empty() ? absl::OkStatus() : RemoveSeedFile(seed_file_);
}

bool SeedCache::revoked() const {
  MutexLock lock(&mu_);
  return revoked_;
}

std::optional<HeldSeedInfo> SeedCache::held() const {
  MutexLock lock(&mu_);
  if (!seed_.has_value()) return std::nullopt;
  return HeldSeedInfo{seed_->seed_epoch, seed_->created_at, seed_->expires_at};
}

std::optional<uint32_t> SeedCache::held_epoch() const {
  std::optional<HeldSeedInfo> info = held();
  if (!info.has_value()) return std::nullopt;
  return info->seed_epoch;
}

absl::Time SeedCache::unreachable_since() const {
  MutexLock lock(&mu_);
  return unreachable_since_;
}

absl::Time SeedCache::next_attempt() const {
  MutexLock lock(&mu_);
  return next_attempt_;
}

bool SeedCache::BackgroundFetchDue() const {
  MutexLock lock(&mu_);
  return !Usable() && !fetching_ && failures_ > 0 && clock_.Now() >= next_attempt_;
}

absl::Time SeedCache::last_upstream_contact() const {
  MutexLock lock(&mu_);
  return last_contact_;
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
