// Admission: who may get an EUKey from this gateway. The specification leaves
// the PN link to "PN technology"; a gateway cannot hand a key to whatever
// reaches its socket, so every request passes this policy first.
//
// Modes:
//   pairing (the default): the device proves, by the PAKE of PairingService
//     (pairing_service.h, PROTOCOL.md section 11), that it knows a one-time
//     code the owner made for exactly this entity and user (`cpns-gw pair
//     add`). AssignEUKey is refused in this mode. Each failed confirmation
//     counts against the code (the failed_pairings_per_code-th spends it)
//     and against the peer (wrong_codes_before_throttle in 10 minutes, then
//     the peer waits).
//   certificate: the peer presented, on a TLS listener, a device certificate
//     issued by a device maker CA the gateway trusts (--device-ca); the
//     entity id is the one in the certificate (urn:cpns:entity:<id>), and the
//     request may not claim another.
//   open: anyone who reaches the listener; allowed only when every listener
//     is a Unix socket (a link already protected by the PN technology).
// Limits, in every mode: the users and entity types allowed on this gateway,
// and a rate limit per peer and per entity (requests per minute). Relayed
// AuthService calls count against the same per-peer limit (AdmitRelayed).
//
// A peer is an opaque key: the gRPC peer address without its port for TCP,
// or whatever the listener names the caller by (e.g. "uid:1000" on a Unix
// socket).
//
// Refusals: PERMISSION_DENIED (not admitted: says what to do) or
// RESOURCE_EXHAUSTED (throttled: says when to retry), each tagged with a
// short reason for the owner's counters (RefusalReason). Thread-safe.
#ifndef CPNS_GATEWAY_ADMISSION_H_
#define CPNS_GATEWAY_ADMISSION_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/mutex.h"
#include "cpns/core/clock.h"
#include "cpns/core/identifiers.h"

namespace cpns::gateway {

enum class AdmissionMode { kPairing, kCertificate, kOpen };

// "pairing", "certificate" or "open"; InvalidArgument naming --admission
// otherwise.
absl::StatusOr<AdmissionMode> ParseAdmissionMode(absl::string_view text);
absl::string_view AdmissionModeName(AdmissionMode mode);

// The reason of a refusal, for the owner's status: the tag admission put on
// the status ("no-pairing-code", "wrong-pairing-code", "pairing-codes-withdrawn",
// "wrong-codes-throttled", "state-db-error",
// "no-device-certificate", "certificate-for-other-entity",
// "user-not-allowed", "entity-type-not-allowed", "rate-limited-peer",
// "rate-limited-entity"); otherwise one derived from the code:
// "invalid-request" (INVALID_ARGUMENT), "no-seed" (UNAVAILABLE, the only
// other refusal an assignment meets before the key), or the code's name.
std::string RefusalReason(const absl::Status& status);
// `status` tagged with `reason`, for RefusalReason.
absl::Status TagRefusal(absl::Status status, absl::string_view reason);

struct AdmissionPolicy {
  AdmissionMode mode = AdmissionMode::kPairing;
  std::set<std::string> allowed_users;        // empty: any user
  std::set<EntityType> allowed_entity_types;  // empty: any type
  int per_peer_per_minute = 60;               // requests; 0: unlimited
  int per_entity_per_minute = 10;             // admitted requests; 0: unlimited
  // Failed confirmations against one pairing code before it is spent (at
  // least 1). Kept in the state database: a restart does not reset it.
  int failed_pairings_per_code = 20;
  // Failed confirmations from one peer in 10 minutes before the peer must
  // wait.
  int wrong_codes_before_throttle = 20;
};

// The requester as its transport knows it.
struct PeerInfo {
  std::string address;  // the gRPC peer, e.g. "ipv4:10.0.0.7:51234" or "unix:"
  // The entity id of the verified device certificate the peer presented on a
  // TLS listener; an error saying why there is none otherwise.
  absl::StatusOr<EntityId> certified_entity =
      absl::UnauthenticatedError("the peer presented no device certificate");
};

class Admission {
 public:
  // `clock` must outlive the object.
  Admission(AdmissionPolicy policy, const Clock& clock)
      : policy_(std::move(policy)), clock_(clock) {}

  // Decides one AssignEUKey request from `peer`. On success, returns how the
  // requester was admitted ("certificate" or "open"). In pairing mode it
  // refuses: codes go through PairingService.
  absl::StatusOr<std::string> Admit(const Assignee& assignee, const PeerInfo& peer);

  // A pairing exchange's start (StartPairing) for `assignee` from `peer`:
  // the gateway must admit by pairing code; the peer's failed confirmations
  // and the rate limits are checked, and the peer is charged one request.
  // Returns whether the policy allows the user and entity type: a start for
  // one it does not is not refused (that would tell who is allowed) but must
  // get the decoy.
  absl::StatusOr<bool> AdmitPairing(const Assignee& assignee, const PeerInfo& peer);
  // A failed confirmation from `peer`, for its throttle.
  void CountFailedPairing(const PeerInfo& peer);
  // A successful pairing of `assignee`: charged to the entity's rate.
  void ChargePaired(const Assignee& assignee);

  // A relayed AuthService call from `peer`: counts against the peer's
  // requests per minute, shared with its EUKey requests, so a local flood is
  // not forwarded to the CPNS Server unbounded. RESOURCE_EXHAUSTED (tagged
  // "rate-limited-peer") when over.
  absl::Status AdmitRelayed(const PeerInfo& peer);

  const AdmissionPolicy& policy() const { return policy_; }

 private:
  // A sliding one-minute window of request times per key: refuses when
  // `limit` (> 0) requests are already in the window.
  absl::Status CheckRate(std::map<std::string, std::vector<absl::Time>>& windows,
                         const std::string& key, int limit, absl::string_view what)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records a request in the key's window (nothing when `limit` is 0: unlimited).
  void Charge(std::map<std::string, std::vector<absl::Time>>& windows, const std::string& key,
              int limit) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The policy's users and entity types: the refusal, if any.
  absl::Status CheckAllowed(const Assignee& assignee) const;
  // The peer's and the entity's rates (the peer charged).
  absl::Status CheckRates(const Assignee& assignee, const std::string& peer_key);
  // Certificate mode: the peer's device certificate names this entity.
  static absl::StatusOr<std::string> CheckCertificate(const Assignee& assignee,
                                                      const PeerInfo& peer);
  // Charges `peer_key` one request, or refuses when it is over its limit.
  absl::Status ChargePeer(const std::string& peer_key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckPairingThrottle(const std::string& peer) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const AdmissionPolicy policy_;
  const Clock& clock_;
  Mutex mu_;
  std::map<std::string, std::vector<absl::Time>> per_peer_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<absl::Time>> per_entity_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<absl::Time>> wrong_codes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_ADMISSION_H_
