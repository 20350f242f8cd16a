// EUKeyServiceImpl: steps 1, 2, 6 and 7 of the flow, gateway side.
//
// Thread-safe. Validates the request (INVALID_ARGUMENT naming the field),
// obtains the 1st seed through the SeedCache within the caller's deadline
// (capped by upstream_timeout), draws a fresh nonce, derives the 2nd seed and
// the EUKey, and answers. Logs each assignment without any key material.
// not_after is the issue time plus key_lifetime, capped at the 1st seed's
// expires_at: an EUKey never outlives the epoch it is derived from.
#ifndef CPNS_GATEWAY_EUKEY_SERVICE_H_
#define CPNS_GATEWAY_EUKEY_SERVICE_H_

#include <atomic>
#include <map>
#include <string>

#include "absl/time/time.h"
#include "cpns/core/clock.h"
#include "cpns/v1/cpns.grpc.pb.h"
#include "core/mutex.h"
#include "gateway/admission.h"
#include "gateway/seed_cache.h"
#include "gateway/state_db.h"
#include "wire/unix_peers.h"

namespace cpns::gateway {

struct AssignmentPolicy {
  absl::Duration key_lifetime = absl::Hours(24 * 30);
  absl::Duration upstream_timeout = absl::Seconds(10);
};

class EUKeyServiceImpl final : public cpns::v1::EUKeyService::Service {
 public:
  // All must outlive the service. Every request passes `admission` first;
  // every assignment is recorded in `state` before it is answered. `peers`
  // names the users of Unix socket connections.
  // Each request counts on `results` (cpns_eukey_assignments_total{result}:
  // "ok" or the RefusalReason, as `cpns-gw status` shows) when not null.
  EUKeyServiceImpl(SeedCache& cache, Admission& admission, GatewayStateDb& state,
                   const wire::UnixPeers& peers, const Clock& clock, AssignmentPolicy policy,
                   observe::Labeled<observe::Counter>* results = nullptr)
      : cache_(cache), admission_(admission), state_(state), peers_(peers), clock_(clock),
        policy_(policy),
        results_(results), ok_(results != nullptr ? &results->With("ok") : nullptr) {}

  grpc::Status AssignEUKey(grpc::ServerContext* context,
                           const cpns::v1::EUKeyAssignmentRequest* request,
                           cpns::v1::EUKeyAssignmentResponse* response) override;

  uint64_t assignments_issued() const { return issued_.load(); }
  // Refused requests since start, by reason (RefusalReason).
  std::map<std::string, uint64_t> refusals() const;

 private:
  // The deadline for obtaining the 1st seed on behalf of a caller.
  absl::Time UpstreamDeadline(absl::Time caller_deadline) const;
  // not_after of a key issued now from a seed expiring at `seed_expires_at`.
  int64_t NotAfter(absl::Time seed_expires_at) const;
  // Step 6's 2nd seed from `seed`, through its prepared state when it has one.
  static absl::StatusOr<SecretBytes> SecondSeed(const FirstSeed& seed, const Assignee& assignee,
                                                const SecretBytes& nonce);
  absl::Status Assign(const cpns::v1::EUKeyAssignmentRequest& request, absl::Time deadline,
                      const PeerInfo& peer, cpns::v1::EUKeyAssignmentResponse& response,
                      absl::Time start);  // `start`: when the call came, for the log
  void CountRefusal(const absl::Status& status);

  SeedCache& cache_;
  Admission& admission_;
  GatewayStateDb& state_;
  const wire::UnixPeers& peers_;
  const Clock& clock_;
  const AssignmentPolicy policy_;
  observe::Labeled<observe::Counter>* const results_;  // may be null
  observe::Counter* const ok_;                         // null when results_ is
  std::atomic<uint64_t> issued_{0};
  mutable Mutex mu_;
  std::map<std::string, uint64_t> refusals_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_EUKEY_SERVICE_H_
