// KeyIssuer: steps 2 to 7 of the flow for an assignee already admitted, the
// same for both ways in (AssignEUKey, eukey_service.h; pairing,
// pairing_service.h): the 1st seed from the SeedCache within the caller's
// deadline (capped by upstream_timeout), a fresh nonce, the 2nd seed and the
// EUKey, the owner's record (committed before the key leaves), and the log
// line (never the key). Counts every outcome for `cpns-gw status` and
// cpns_eukey_assignments_total{result}. Thread-safe.
//
// not_after is the issue time plus key_lifetime, capped at the 1st seed's
// expires_at: an EUKey never outlives the epoch it is derived from.
#ifndef CPNS_GATEWAY_KEY_ISSUER_H_
#define CPNS_GATEWAY_KEY_ISSUER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/mutex.h"
#include "cpns/core/clock.h"
#include "cpns/v1/cpns.pb.h"
#include "gateway/admission.h"
#include "gateway/seed_cache.h"
#include "gateway/state_db.h"
#include "observe/metrics.h"

namespace cpns::gateway {

struct AssignmentPolicy {
  absl::Duration key_lifetime = absl::Hours(24 * 30);
  absl::Duration upstream_timeout = absl::Seconds(10);
};

class KeyIssuer {
 public:
  // All must outlive the issuer. `results` may be null (no metrics).
  KeyIssuer(SeedCache& cache, GatewayStateDb& state, const Clock& clock, AssignmentPolicy policy,
            observe::Labeled<observe::Counter>* results = nullptr)
      : cache_(cache), state_(state), clock_(clock), policy_(policy), results_(results),
        ok_(results != nullptr ? &results->With("ok") : nullptr) {}

  // Steps 2-5: the 1st seed, obtained on behalf of a caller whose deadline
  // is `caller_deadline` (UNAVAILABLE when there is none in time).
  absl::StatusOr<FirstSeed> Seed(absl::Time caller_deadline) const;
  // Steps 6 and 7 under `seed`: fills `response`, runs `before_record` when
  // given (the last step that may fail: the pairing service seals the
  // response there), then records the assignment (admitted by
  // `admitted_by`, from `peer`) before returning, so that nothing can fail
  // between the record and the answer. `start`: when the request came, for
  // the log.
  absl::Status Issue(const Assignee& assignee, const FirstSeed& seed,
                     absl::string_view admitted_by, const PeerInfo& peer,
                     cpns::v1::EUKeyAssignmentResponse& response, absl::Time start,
                     const std::function<absl::Status()>& before_record = nullptr);

  // Counts a request's outcome: Issued after an answered key, Refused (by
  // RefusalReason) otherwise; Refused also logs it (`what`: the request,
  // e.g. "EUKey Assignment Request"; `start`: when it came).
  void CountIssued();
  void Refused(absl::string_view what, const absl::Status& status, const PeerInfo& peer,
               absl::Time start);

  uint64_t assignments_issued() const { return issued_.load(); }
  // Refused requests since start, by reason (RefusalReason).
  std::map<std::string, uint64_t> refusals() const;
  const AssignmentPolicy& policy() const { return policy_; }

 private:
  absl::Time UpstreamDeadline(absl::Time caller_deadline) const;
  int64_t NotAfter(absl::Time seed_expires_at) const;
  static absl::StatusOr<SecretBytes> SecondSeed(const FirstSeed& seed, const Assignee& assignee,
                                                const SecretBytes& nonce);
  void LogIssued(const Assignee& assignee, const FirstSeed& seed, int64_t not_after,
                 absl::string_view admitted_by, const PeerInfo& peer, absl::Time start) const;

  SeedCache& cache_;
  GatewayStateDb& state_;
  const Clock& clock_;
  const AssignmentPolicy policy_;
  observe::Labeled<observe::Counter>* const results_;  // may be null
  observe::Counter* const ok_;                         // null when results_ is
  std::atomic<uint64_t> issued_{0};
  mutable Mutex mu_;
  std::map<std::string, uint64_t> refusals_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_KEY_ISSUER_H_
