#include "gateway/seed_refresher.h"

#include <algorithm>

#include "core/logging.h"

#include "absl/strings/str_cat.h"

namespace cpns::gateway {
namespace {

// Renewal stays inside this part of the lifetime whatever the jitter: not so
// early that the server refuses (it renews after 25%), not so late that a few
// failed attempts let the seed expire.
constexpr double kEarliestRenewal = 0.30;
constexpr double kLatestRenewal = 0.95;
constexpr double kCheckJitter = 0.10;

bool SameInfo(const HeldSeedInfo& a, const HeldSeedInfo& b) {
  return a.seed_epoch == b.seed_epoch && a.created_at == b.created_at &&
         a.expires_at == b.expires_at;
}

// Whether a status poll says the held seed is the one to keep using.
bool StillCurrent(const HeldSeedInfo& held, const SeedStatus& status) {
  return status.active_epoch == held.seed_epoch && status.epoch_state == SeedState::kActive &&
         (status.epoch_expires_at == absl::InfiniteFuture() ||
          status.epoch_expires_at == held.expires_at);
}

}  // namespace

absl::Status ValidateRefreshPolicy(const RefreshPolicy& p) {
  if (!(p.refresh_fraction >= kEarliestRenewal && p.refresh_fraction <= kLatestRenewal)) {
    return absl::InvalidArgumentError("--refresh-at must be between 0.3 and 0.95");
  }
  if (!(p.refresh_jitter >= 0 && p.refresh_jitter <= 0.2)) {
    return absl::InvalidArgumentError("--refresh-jitter must be between 0 and 0.2");
  }
  if (p.check_interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError("--seed-check-interval must be at least 1s");
  }
  if (p.upstream_timeout <= absl::ZeroDuration() || p.max_sleep <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the upstream timeout and the wake-up must be positive");
  }
  return absl::OkStatus();
}

absl::Time RenewalTime(const HeldSeedInfo& seed, double fraction, double jitter, double u) {
  const absl::Duration lifetime = seed.expires_at - seed.created_at;
  if (seed.expires_at == absl::InfiniteFuture() || lifetime <= absl::ZeroDuration()) {
    return absl::InfiniteFuture();  // no known expiry: the status poll is all we do
  }
  const double point = std::clamp(fraction + jitter * u, kEarliestRenewal, kLatestRenewal);
  return seed.created_at + lifetime * point;
}

absl::Duration CheckDelay(absl::Duration interval, double u) {
  return interval * (1 + kCheckJitter * u);
}


SeedRefresher::SeedRefresher(SeedCache& cache, const Clock& clock, RefreshPolicy policy,
                             Jitter jitter)
    : cache_(cache),
      clock_(clock),
      policy_(policy),
      rng_(std::random_device{}()),
      jitter_(jitter ? std::move(jitter) : Jitter([this] {
        return std::uniform_real_distribution<double>(-1, 1)(rng_);
      })) {}

SeedRefresher::~SeedRefresher() { Stop(); }

void SeedRefresher::Start() {
  thread_ = std::thread([this] { Run(); });
}

void SeedRefresher::Stop() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
    mu_.SignalAll();
  }
  std::call_once(joined_, [this] {
    if (thread_.joinable()) thread_.join();
  });
}

void SeedRefresher::Run() {
  while (!Stopping(RunDue())) {
  }
}

// Waits up to `wait` (real time) unless asked to stop; true when asked.
bool SeedRefresher::Stopping(absl::Duration wait) {
  MutexLock lock(&mu_);
  auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; };
  return mu_.AwaitWithDeadline(stop, absl::Now() + wait);
}

absl::Duration SeedRefresher::RunDue() {
  const std::optional<HeldSeedInfo> held = cache_.held();
  if (!held.has_value()) {
    // Nothing to keep fresh until an assignment fetches a seed. Looking
    // costs nothing (no upstream call): look again in a second. If fetching
    // failed, retry in the background when the back-off says so.
    schedule_.reset();
    if (cache_.BackgroundFetchDue()) {
      const absl::Status s = cache_.Refresh(absl::Now() + policy_.upstream_timeout, 0);
      log::Info("background 1st Seed Request",
                {{"result", s.ok() ? "ok" : absl::StatusCodeToString(s.code())}, {"error", s}});
    }
    return std::min(absl::Seconds(1), policy_.max_sleep);
  }
  if (!schedule_.has_value() || !SameInfo(schedule_->seed, *held)) Plan(*held);
  const absl::Time now = clock_.Now();
  if (now >= schedule_->renew_at) {
    Renew(*held);
  } else if (now >= schedule_->check_at) {
    Check(*held);
  }
  if (!schedule_.has_value()) return absl::ZeroDuration();  // revoked: look again
  const absl::Time next = std::min(schedule_->renew_at, schedule_->check_at);
  return std::clamp(next - clock_.Now(), absl::ZeroDuration(), policy_.max_sleep);
}

void SeedRefresher::Plan(const HeldSeedInfo& held) {
  const absl::Time now = clock_.Now();
  schedule_ = Schedule{
      held, RenewalTime(held, policy_.refresh_fraction, policy_.refresh_jitter, jitter_()),
      now + CheckDelay(policy_.check_interval, jitter_())};
  failures_ = 0;
  log::Info("1st seed planned", {{"epoch", held.seed_epoch},
                                 {"created_at", FormatSeedTime(held.created_at)},
                                 {"expires_at", FormatSeedTime(held.expires_at)},
                                 {"renew_at", FormatSeedTime(schedule_->renew_at)},
                                 {"check_at", FormatSeedTime(schedule_->check_at)}});
}

void SeedRefresher::Renew(const HeldSeedInfo& held) {
  log::Info("renewing the 1st seed",
            {{"epoch", held.seed_epoch}, {"expires_at", FormatSeedTime(held.expires_at)}});
  const absl::Status status = cache_.Refresh(UpstreamDeadline(), held.seed_epoch);
  if (!status.ok()) {
    const absl::Time retry = AfterFailure("renewal", status);
    if (schedule_.has_value()) schedule_->renew_at = retry;
    return;
  }
  const std::optional<HeldSeedInfo> now_held = cache_.held();
  if (now_held.has_value() && !SameInfo(*now_held, held)) {
    failures_ = 0;  // the next pass plans for the new seed
    return;
  }
  // The server kept the epoch (not due yet by its clock): ask again later.
  ++failures_;
  const absl::Duration wait = Backoff(failures_, policy_.check_interval, jitter_());
  schedule_->renew_at = clock_.Now() + wait;
  log::Info("the CPNS Server kept the 1st seed; asking again later",
            {{"epoch", held.seed_epoch}, {"retry_in_s", absl::ToInt64Seconds(wait)}});
}

void SeedRefresher::Check(const HeldSeedInfo& held) {
  const absl::StatusOr<SeedStatus> status = cache_.QueryStatus(UpstreamDeadline(), held.seed_epoch);
  if (!status.ok()) {
    const absl::Time retry = AfterFailure("status check", status.status());
    if (schedule_.has_value()) schedule_->check_at = retry;
    return;
  }
  revoked_logged_ = false;
  const std::string seen =
      absl::StrCat("epoch ", held.seed_epoch, " is ", SeedStateName(status->epoch_state),
                   " (expires ", FormatSeedTime(status->epoch_expires_at), "), active epoch ",
                   status->active_epoch);
  if (!StillCurrent(held, *status)) return FetchActive(held, seen);
  failures_ = 0;
  schedule_->check_at = clock_.Now() + CheckDelay(policy_.check_interval, jitter_());
  log::Info("1st seed status checked; keeping it",
            {{"status", seen}, {"check_at", FormatSeedTime(schedule_->check_at)}});
}

void SeedRefresher::FetchActive(const HeldSeedInfo& held, const std::string& why) {
  log::Info("1st seed status checked; fetching the active 1st seed", {{"status", why}});
  const absl::Status status = cache_.Refresh(UpstreamDeadline(), 0);
  if (!status.ok()) {
    const absl::Time retry = AfterFailure("fetch of the active seed", status);
    if (schedule_.has_value()) schedule_->check_at = retry;
    return;
  }
  // A new seed is planned afresh on the next pass; an unchanged one (the
  // server disagrees with itself) is checked again after the usual interval.
  failures_ = 0;
  schedule_->check_at = clock_.Now() + CheckDelay(policy_.check_interval, jitter_());
}

absl::Time SeedRefresher::AfterFailure(absl::string_view what, const absl::Status& status) {
  if (absl::IsPermissionDenied(status)) {
    Revoked(status);
    return absl::InfiniteFuture();
  }
  ++failures_;
  const absl::Duration wait = Backoff(failures_, policy_.check_interval, jitter_());
  log::Warn("1st seed upstream call failed",
            {{"operation", what},
             {"result", absl::StatusCodeToString(status.code())},
             {"error", status.message()},
             {"retry_in_s", absl::ToInt64Seconds(wait)}});
  return clock_.Now() + wait;
}

void SeedRefresher::Revoked(const absl::Status& status) {
  if (!revoked_logged_) {
    log::Error("this gateway is revoked; dropping its 1st seed and the seed file",
               {{"epoch", schedule_.has_value() ? schedule_->seed.seed_epoch : 0},
                {"result", "revoked"},
                {"error", status.message()}});
    revoked_logged_ = true;
  }
  if (absl::Status dropped = cache_.Drop(); !dropped.ok()) {
    log::Error("cannot remove the seed file", {{"error", dropped}});
  }
  schedule_.reset();
}

}  // namespace cpns::gateway
