// PairingSessions: the pairing exchanges between their two rounds
// (StartPairing made the gateway's share; FinishPairing consumes it). Each
// session is used once (one guess per exchange), belongs to the peer that
// started it, and lives `lifetime`. Bounded: at most `max_sessions` at
// once and `max_per_peer` per peer, so that a flood of starts costs the
// gateway a fixed amount of memory; a start beyond either bound is refused
// (RESOURCE_EXHAUSTED) rather than evicting a device's exchange in progress.
// Thread-safe.
#ifndef CPNS_GATEWAY_PAIRING_SESSIONS_H_
#define CPNS_GATEWAY_PAIRING_SESSIONS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/mutex.h"
#include "core/spake2plus.h"
#include "cpns/core/clock.h"
#include "cpns/core/identifiers.h"

namespace cpns::gateway {

struct PairingSession {
  Assignee assignee;
  std::string peer_key;
  std::optional<int64_t> code_id;  // nullopt: no code pending (decoy parameters)
  spake2plus::Verifier verifier;   // holds y, w0 and L
  absl::Time expires_at;
};

struct PairingSessionLimits {
  size_t max_sessions = 256;
  size_t max_per_peer = 8;
  absl::Duration lifetime = absl::Seconds(60);
};

class PairingSessions {
 public:
  // `clock` must outlive the table.
  PairingSessions(PairingSessionLimits limits, const Clock& clock)
      : limits_(limits), clock_(clock) {}

  // Keeps `session` (its expires_at set here); returns its id (16 random
  // bytes). RESOURCE_EXHAUSTED saying when to retry when a bound is reached.
  absl::StatusOr<std::string> Add(Assignee assignee, std::string peer_key,
                                  std::optional<int64_t> code_id, spake2plus::Verifier verifier);
  // Removes and returns session `id`; NotFound when it is unknown, expired,
  // or another peer's (left in place for its peer).
  absl::StatusOr<PairingSession> Take(absl::string_view id, absl::string_view peer_key);
  size_t size() const;

 private:
  void DropExpired() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const PairingSessionLimits limits_;
  const Clock& clock_;
  mutable Mutex mu_;
  std::map<std::string, PairingSession, std::less<>> sessions_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, size_t, std::less<>> per_peer_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_PAIRING_SESSIONS_H_
