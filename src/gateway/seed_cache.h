// SeedCache: step 2 of the flow. Holds the gateway's 1st seed and makes sure
// that however many assignments arrive while none is held, exactly one 1st
// Seed Request is in flight (single-flight); the others wait for its result.
// Refresh() (the SeedRefresher's renewal) takes part in the same single
// flight, so the cache never has two 1st Seed Requests in flight.
//
// A seed past its expires_at (by the injected clock) is not served: the next
// Get fetches, as if none were held.
//
// Thread-safe. A fetched seed is saved to `seed_file` (when set) before any
// caller uses it, so a restart does not reach the server again.
#ifndef CPNS_GATEWAY_SEED_CACHE_H_
#define CPNS_GATEWAY_SEED_CACHE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/mutex.h"
#include "cpns/core/clock.h"
#include "gateway/first_seed.h"
#include "observe/metrics.h"

namespace cpns::gateway {

// What may be shown of the held seed: never its bytes.
struct HeldSeedInfo {
  uint32_t seed_epoch;
  absl::Time created_at;  // the Unix epoch when unknown
  absl::Time expires_at;  // InfiniteFuture when unknown
};

class SeedCache {
 public:
  // `source` and `clock` must outlive the cache. `seed_file` empty: memory
  // only. `clock` decides when a seed has expired.
  SeedCache(GatewayId gw_id, FirstSeedSource& source, std::string seed_file, const Clock& clock);

  // Seals the seed file under `key` (the gateway key) from now on. Call
  // before LoadSaved.
  void SetSealKey(SecretBytes key) { seal_key_ = std::move(key); }

  // Where the cache shows its seed and its upstream (null members: not
  // shown). Call before LoadSaved; they must outlive the cache.
  struct Metrics {
    observe::Gauge* seed_epoch = nullptr;   // 0: none held
    observe::Gauge* seed_expiry = nullptr;  // Unix seconds; 0: none held
    observe::Gauge* upstream_up = nullptr;  // 0 while the server cannot be reached
    observe::Labeled<observe::Counter>* requests = nullptr;  // 1st Seed Requests by result
  };
  void SetMetrics(Metrics metrics);

  // Loads a previously saved seed. OK (holding nothing) if there is no file;
  // the file's error if it is unreadable or belongs to another gateway.
  absl::Status LoadSaved();

  // The 1st seed, fetching it if none is held (or the held one has expired).
  // Unavailable, with the reason, when it cannot be obtained by `deadline`.
  // Callers waiting on a failed fetch get that failure, unless it failed only
  // because its caller's own deadline passed: then a waiter with time left
  // fetches again. The next call after a failure tries again.
  absl::StatusOr<FirstSeed> Get(absl::Time deadline);

  // Asks the server for its current seed (`renew_epoch` as in
  // FirstSeedSource::Fetch) and keeps it if it differs from the held one
  // (saved first). If a 1st Seed Request is already in flight, waits for it
  // instead and returns its outcome (DeadlineExceeded if it does not end by
  // `deadline`). On failure the held seed stays in use. PermissionDenied: the
  // gateway is revoked (see Drop).
  absl::Status Refresh(absl::Time deadline, uint32_t renew_epoch);

  // GetSeedStatus about `held_epoch`; a success counts as upstream contact.
  absl::StatusOr<SeedStatus> QueryStatus(absl::Time deadline, uint32_t held_epoch);

  // For a revoked gateway: forgets the seed and removes the seed file (a
  // fetch in flight is discarded). The next Get fetches again. The error of
  // the removal, if any; the seed is forgotten regardless.
  absl::Status Drop();

  // Whether the seed was dropped as revoked (Drop) and no seed has been
  // obtained since.
  bool revoked() const;

  // The held seed, possibly expired (Get does not serve it then).
  std::optional<HeldSeedInfo> held() const;
  std::optional<uint32_t> held_epoch() const;
  // When the CPNS Server last answered successfully (by the clock);
  // InfinitePast if never since start.
  absl::Time last_upstream_contact() const;
  // While no seed is held and the CPNS Server cannot be reached: since when
  // (InfinitePast when it is not so). Requests then fail fast, without an
  // upstream call, until the next attempt (exponential back-off, 1 s doubling
  // up to kRetryCap, jittered), which the SeedRefresher makes in the
  // background (BackgroundFetchDue).
  absl::Time unreachable_since() const;
  absl::Time next_attempt() const;
  bool BackgroundFetchDue() const;
  static constexpr absl::Duration kRetryCap = absl::Seconds(30);
  // How many 1st Seed Requests this cache has sent.
  uint64_t upstream_requests() const;
  // How many callers are waiting for a 1st Seed Request in flight.
  int waiting_callers() const;

 private:
  bool Usable() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The held seed; or an empty optional when the caller must fetch (it is
  // then the one leader); or the failure it waited for.
  absl::StatusOr<std::optional<FirstSeed>> WaitOrLead(absl::Time deadline) ABSL_LOCKS_EXCLUDED(mu_);
  // Waits until the fetch in flight completes; false if `deadline` passed.
  bool AwaitFetch(absl::Time deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void BeginFetch() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sends the 1st Seed Request as the leader and publishes the outcome.
  absl::StatusOr<FirstSeed> LeadFetch(absl::Time deadline, uint32_t renew_epoch)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Saves and installs a fetched seed unless it is expired or was dropped.
  absl::StatusOr<FirstSeed> Keep(FirstSeed fetched) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Replace(FirstSeed fetched) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EndFetch(const absl::Status& outcome, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const GatewayId gw_id_;
  FirstSeedSource& source_;
  const std::string seed_file_;
  std::optional<SecretBytes> seal_key_;  // set before use; then read-only
  Metrics metrics_;                      // set before use; then read-only
  void ShowSeed() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CountFetch(const absl::Status& outcome, bool counts_against_upstream);
  // cpns_gateway_upstream_up: 1 after the server answered, 0 after it could
  // not be reached (Unavailable, DeadlineExceeded).
  void ShowUpstream(bool answered);
  const Clock& clock_;

  mutable Mutex mu_;
  std::optional<FirstSeed> seed_ ABSL_GUARDED_BY(mu_);
  bool fetching_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t fetches_done_ ABSL_GUARDED_BY(mu_) = 0;  // completed fetches, ok or not
  absl::Status last_outcome_ ABSL_GUARDED_BY(mu_);  // of the last completed fetch
  bool leader_deadline_failure_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t drops_ ABSL_GUARDED_BY(mu_) = 0;
  bool revoked_ ABSL_GUARDED_BY(mu_) = false;  // dropped, nothing obtained since
  uint64_t drops_at_fetch_ ABSL_GUARDED_BY(mu_) = 0;  // drops_ when the fetch in flight began
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t upstream_requests_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_contact_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int failures_ ABSL_GUARDED_BY(mu_) = 0;  // consecutive failed fetches
  absl::Time unreachable_since_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time next_attempt_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t jitter_state_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_SEED_CACHE_H_
