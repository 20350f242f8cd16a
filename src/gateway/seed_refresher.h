// SeedRefresher: keeps the gateway's 1st seed fresh without an operator.
//
// Its own thread, while the SeedCache holds a seed:
//  - renewal: at created_at + refresh_fraction * lifetime, moved by a uniform
//    jitter of up to refresh_jitter * lifetime (kept between 30% and 95% of
//    the lifetime), it asks for a newer epoch: Refresh(renew_epoch = held);
//  - status poll: every check_interval (+-10%) it asks GetSeedStatus; when the
//    server's active epoch is another one, or the held epoch is no longer
//    ACTIVE (or its expiry changed), it fetches the active seed, so new
//    assignments use it;
//  - PERMISSION_DENIED (the gateway is revoked) drops the seed and its file,
//    logged as an error once;
//  - a failure is retried after an exponential back-off (1 s doubling, capped
//    at check_interval, jittered).
// While no seed is held it does nothing: the first assignment fetches one.
// Schedules are computed on the injected clock; the thread waits in real time,
// at most max_sleep at a time, so a clock that jumps is noticed. Decisions are
// logged at info, with epochs and times, never seed bytes.
//
// Thread-safe: Start once; Stop from any thread, idempotent, also by the
// destructor, prompt (an upstream call in flight ends by its deadline).
#ifndef CPNS_GATEWAY_SEED_REFRESHER_H_
#define CPNS_GATEWAY_SEED_REFRESHER_H_

#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/mutex.h"
#include "cpns/core/clock.h"
#include "gateway/seed_cache.h"

namespace cpns::gateway {

struct RefreshPolicy {
  double refresh_fraction = 0.75;  // of the lifetime, in [0.3, 0.95]
  double refresh_jitter = 0.05;    // of the lifetime, in [0, 0.2]
  absl::Duration check_interval = absl::Minutes(15);  // >= 1 s
  absl::Duration upstream_timeout = absl::Seconds(10);  // per call to the CPNS Server
  absl::Duration max_sleep = absl::Minutes(1);  // longest real wait between looks at the clock
};

// InvalidArgument naming the cpns-gw flag when a value is out of range.
absl::Status ValidateRefreshPolicy(const RefreshPolicy& policy);

// The schedule, as pure functions. `u` is a uniform draw in [-1, 1].
// When to renew `seed`; InfiniteFuture when its lifetime is unknown.
absl::Time RenewalTime(const HeldSeedInfo& seed, double fraction, double jitter, double u);
// The wait until the next status poll: interval +-10%.
absl::Duration CheckDelay(absl::Duration interval, double u);

class SeedRefresher {
 public:
  // Uniform draws in [-1, 1]; called from the refresher's thread only.
  using Jitter = std::function<double()>;

  // `cache` and `clock` must outlive the refresher. `jitter` empty: a
  // pseudo-random generator (jitter spreads load; it is not a secret).
  SeedRefresher(SeedCache& cache, const Clock& clock, RefreshPolicy policy, Jitter jitter = {});
  ~SeedRefresher();
  SeedRefresher(const SeedRefresher&) = delete;
  SeedRefresher& operator=(const SeedRefresher&) = delete;

  void Start();
  void Stop();

  // One pass of the thread: does what is due by the clock and returns the
  // real time to wait before the next pass (at most max_sleep). Exposed so
  // tests can drive the refresher without its thread; not while started.
  absl::Duration RunDue();

 private:
  struct Schedule {
    HeldSeedInfo seed;  // what the plan was made for
    absl::Time renew_at;
    absl::Time check_at;
  };

  void Run();
  bool Stopping(absl::Duration wait);
  void Plan(const HeldSeedInfo& held);
  void Renew(const HeldSeedInfo& held);
  void Check(const HeldSeedInfo& held);
  // Asks the server for its active seed after a status poll showed `why`.
  void FetchActive(const HeldSeedInfo& held, const std::string& why);
  // Handles a failed upstream call; returns when to try again.
  absl::Time AfterFailure(absl::string_view what, const absl::Status& status);
  void Revoked(const absl::Status& status);
  absl::Time UpstreamDeadline() const { return absl::Now() + policy_.upstream_timeout; }

  SeedCache& cache_;
  const Clock& clock_;
  const RefreshPolicy policy_;
  std::mt19937_64 rng_;  // for the default jitter
  const Jitter jitter_;

  // The refresher thread's own state (or a test's, calling RunDue).
  std::optional<Schedule> schedule_;
  int failures_ = 0;  // consecutive
  bool revoked_logged_ = false;

  Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
  std::once_flag joined_;
};

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_SEED_REFRESHER_H_
