// Admission: who may get an EUKey from this gateway. The specification leaves
// the PN link to "PN technology"; a gateway cannot hand a key to whatever
// reaches its socket, so every request passes this policy first.
//
// Modes:
//   pairing (the default): the request carries a one-time pairing code that
//     the owner made for exactly this entity and user (`cpns-gw pair add`).
//     Wrong codes are bounded per code holder (the entity and user a code was
//     made for): after `wrong_codes_per_holder` wrong codes naming a holder
//     that has pending codes, those codes are withdrawn and the owner makes a
//     new one. Below that bound a holder's valid code is accepted, whoever
//     guessed wrong before; other holders are never affected. Wrong codes are
//     also throttled per peer, a second, larger limit.
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

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/mutex.h"
#include "cpns/core/clock.h"
#include "cpns/core/identifiers.h"
#include "gateway/state_db.h"

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

struct AdmissionPolicy {
  AdmissionMode mode = AdmissionMode::kPairing;
  std::set<std::string> allowed_users;        // empty: any user
  std::set<EntityType> allowed_entity_types;  // empty: any type
  int per_peer_per_minute = 60;               // requests; 0: unlimited
  int per_entity_per_minute = 10;             // admitted requests; 0: unlimited
  // Wrong codes naming one holder (entity type, entity id, user) while it has
  // pending codes, before those codes are withdrawn (at least 1). The count
  // restarts when the holder pairs or has no pending code.
  int wrong_codes_per_holder = 5;
  // Wrong codes from one peer in 10 minutes before the peer must wait; larger
  // than the per-holder bound, so that guessing at one holder withdraws its
  // codes before its peer is throttled.
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
  // `state` and `clock` must outlive the object.
  Admission(AdmissionPolicy policy, GatewayStateDb& state, const Clock& clock)
      : policy_(std::move(policy)), state_(state), clock_(clock) {}

  // Decides one request from `peer`. On success, returns how the requester
  // was admitted ("pairing-code", "certificate" or "open"); a pairing code is
  // consumed.
  absl::StatusOr<std::string> Admit(const Assignee& assignee, absl::string_view pairing_code,
                                    const PeerInfo& peer);

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
  // The mode's proof: a pairing code (consumed), a device certificate, or
  // none (open).
  absl::StatusOr<std::string> Authenticate(const Assignee& assignee,
                                           absl::string_view pairing_code, const PeerInfo& peer,
                                           const std::string& peer_key);
  // Certificate mode: the peer's device certificate names this entity.
  static absl::StatusOr<std::string> CheckCertificate(const Assignee& assignee,
                                                      const PeerInfo& peer);
  // Charges `peer_key` one request, or refuses when it is over its limit.
  absl::Status ChargePeer(const std::string& peer_key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Pairing mode: the code, checked (and consumed) under the bounds on wrong
  // codes per peer and per holder.
  absl::StatusOr<std::string> CheckPairingCode(const Assignee& assignee,
                                               absl::string_view pairing_code,
                                               const std::string& peer_key);
  // A wrong code naming `assignee`: counted against it while it has pending
  // codes; the last one allowed withdraws them. Returns the refusal.
  absl::Status CountWrongCode(const Assignee& assignee, absl::Status wrong,
                              const std::string& peer_key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(pairing_mu_);
  // Withdraws the pending codes of a holder that used up its wrong codes.
  absl::Status Withdraw(const Assignee& assignee, const std::string& peer_key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(pairing_mu_);
  absl::Status CheckPairingThrottle(const std::string& peer) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int HolderBound() const { return std::max(1, policy_.wrong_codes_per_holder); }

  const AdmissionPolicy policy_;
  GatewayStateDb& state_;
  const Clock& clock_;
  // Held across a pairing code's whole check (look-up, consumption, count),
  // so that parallel requests cannot slip guesses past the per-holder bound.
  // Acquired before mu_.
  Mutex pairing_mu_;
  // Wrong codes per holder (HolderKey) that had pending codes.
  std::map<std::string, int> wrong_by_holder_ ABSL_GUARDED_BY(pairing_mu_);
  Mutex mu_;
  std::map<std::string, std::vector<absl::Time>> per_peer_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<absl::Time>> per_entity_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<absl::Time>> wrong_codes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_ADMISSION_H_
