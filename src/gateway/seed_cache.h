// SeedCache: step 2 of the flow. Holds the gateway's 1st seed and makes sure
// that however many assignments arrive while none is held, exactly one 1st
// Seed Request is in flight (single-flight); the others wait for its result.
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
#include "gateway/first_seed.h"

namespace cpns::gateway {

class SeedCache {
 public:
  // `source` must outlive the cache. `seed_file` empty: memory only.
  SeedCache(GatewayId gw_id, FirstSeedSource& source, std::string seed_file);

  // Loads a previously saved seed. OK (holding nothing) if there is no file;
  // the file's error if it is unreadable or belongs to another gateway.
  absl::Status LoadSaved();

  // The 1st seed, fetching it if none is held. Unavailable, with the reason,
  // when it cannot be obtained by `deadline`. Callers waiting on a failed
  // fetch get that failure, unless it failed only because its caller's own
  // deadline passed: then a waiter with time left fetches again. The next
  // call after a failure tries again.
  absl::StatusOr<FirstSeed> Get(absl::Time deadline);

  // Epoch of the held seed, if any (never the bytes).
  std::optional<uint32_t> held_epoch() const;
  // How many 1st Seed Requests this cache has sent.
  uint64_t upstream_requests() const;
  // How many callers are waiting for a 1st Seed Request in flight.
  int waiting_callers() const;

 private:
  // The held seed; or an empty optional when the caller must fetch (it is
  // then the one leader); or the failure it waited for.
  absl::StatusOr<std::optional<FirstSeed>> WaitOrLead(absl::Time deadline) ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<FirstSeed> FetchAsLeader(absl::Time deadline) ABSL_LOCKS_EXCLUDED(mu_);

  const GatewayId gw_id_;
  FirstSeedSource& source_;
  const std::string seed_file_;

  mutable Mutex mu_;
  std::optional<FirstSeed> seed_ ABSL_GUARDED_BY(mu_);
  bool fetching_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t fetches_done_ ABSL_GUARDED_BY(mu_) = 0;  // completed fetches, ok or not
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  bool leader_deadline_failure_ ABSL_GUARDED_BY(mu_) = false;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t upstream_requests_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_SEED_CACHE_H_
