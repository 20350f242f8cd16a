#include "gateway/admission.h"

#include "core/logging.h"

#include <algorithm>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/types/optional.h"
#include "core/status_macros.h"
#include "wire/unix_peers.h"

namespace cpns::gateway {
namespace {

constexpr absl::Duration kRateWindow = absl::Minutes(1);
constexpr absl::Duration kWrongCodeWindow = absl::Minutes(10);

// Drops the entries of `times` older than `window` before `now`.
void Expire(std::vector<absl::Time>& times, absl::Time now, absl::Duration window) {
  times.erase(std::remove_if(times.begin(), times.end(),
                             [&](absl::Time t) { return t <= now - window; }),
              times.end());
}

// The rate-limit key of a gRPC peer: its address without the port
// ("ipv4:10.0.0.7:51234" -> "ipv4:10.0.0.7"), so a client cannot escape the
// limit by reconnecting; on a Unix socket, the user that connected ("uid:1000").
std::string PeerKey(absl::string_view peer) { return wire::PeerKey(peer); }

// Forgets keys with no recent entries once a map grows, so that many peers
// or entities over time do not grow memory without bound.
void Sweep(std::map<std::string, std::vector<absl::Time>>& windows, absl::Time now,
           absl::Duration window) {
  if (windows.size() < 4096) return;
  for (auto it = windows.begin(); it != windows.end();) {
    Expire(it->second, now, window);
    it = it->second.empty() ? windows.erase(it) : std::next(it);
  }
}

std::string EntityKey(const Assignee& a) {
  return absl::StrCat(EntityTypeName(a.entity_type), "/", a.entity_id.value());
}

constexpr absl::string_view kReasonPayload = "type.cpns.dev/gateway.refusal-reason";

// `status` tagged with `reason` for RefusalReason.
absl::Status Tagged(absl::Status status, absl::string_view reason) {
  status.SetPayload(kReasonPayload, absl::Cord(reason));
  return status;
}

std::string RetryIn(absl::Duration d) {
  return absl::StrCat(std::max<int64_t>(1, absl::ToInt64Seconds(d) + 1), " s");
}

}  // namespace

absl::Status TagRefusal(absl::Status status, absl::string_view reason) {
  return Tagged(std::move(status), reason);
}

std::string RefusalReason(const absl::Status& status) {
  if (absl::optional<absl::Cord> tag = status.GetPayload(kReasonPayload); tag.has_value()) {
    return std::string(*tag);
  }
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return "invalid-request";
    case absl::StatusCode::kUnavailable:
      return "no-seed";
    default:
      return absl::StatusCodeToString(status.code());
  }
}

absl::StatusOr<AdmissionMode> ParseAdmissionMode(absl::string_view text) {
  if (text == "pairing") return AdmissionMode::kPairing;
  if (text == "certificate") return AdmissionMode::kCertificate;
  if (text == "open") return AdmissionMode::kOpen;
  return absl::InvalidArgumentError(
      absl::StrCat("--admission '", text, "' is not one of: pairing, certificate, open"));
}

absl::string_view AdmissionModeName(AdmissionMode mode) {
  switch (mode) {
    case AdmissionMode::kPairing:
      return "pairing";
    case AdmissionMode::kCertificate:
      return "certificate";
    case AdmissionMode::kOpen:
      return "open";
  }
  return "unknown";
}

absl::Status Admission::CheckAllowed(const Assignee& assignee) const {
  if (!policy_.allowed_users.empty() &&
      !policy_.allowed_users.contains(assignee.user_id.value())) {
    return Tagged(absl::PermissionDeniedError(absl::StrCat(
                      "user ", assignee.user_id.value(),
                      " is not allowed on this gateway; its owner allows: ",
                      absl::StrJoin(policy_.allowed_users, ", "))),
                  "user-not-allowed");
  }
  if (!policy_.allowed_entity_types.empty() &&
      !policy_.allowed_entity_types.contains(assignee.entity_type)) {
    return Tagged(absl::PermissionDeniedError(absl::StrCat(
                      "entity type ", EntityTypeName(assignee.entity_type),
                      " is not allowed on this gateway")),
                  "entity-type-not-allowed");
  }
  return absl::OkStatus();
}

absl::Status Admission::CheckRates(const Assignee& assignee, const std::string& peer_key) {
  MutexLock lock(&mu_);
  CPNS_RETURN_IF_ERROR(ChargePeer(peer_key));
  // Only admitted requests count against an entity (charged by the caller):
  // a peer that cannot prove it is the entity must not use up the entity's
  // quota.
  if (auto s = CheckRate(per_entity_, EntityKey(assignee), policy_.per_entity_per_minute,
                         absl::StrCat("entity ", assignee.entity_id.value()));
      !s.ok()) {
    return Tagged(s, "rate-limited-entity");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Admission::Admit(const Assignee& assignee, const PeerInfo& peer) {
  if (policy_.mode == AdmissionMode::kPairing) {
    // Also what a device of a release before pairing by PAKE meets when it
    // sends its code in the request's retired field 4.
    return Tagged(absl::PermissionDeniedError(
                      "this gateway admits devices by pairing code, through the pairing "
                      "exchange (PairingService, PROTOCOL.md section 11): run cpns-pne request "
                      "--pairing-code with cpns 0.2 or later; a code in AssignEUKey is not read"),
                  "no-pairing-code");
  }
  CPNS_RETURN_IF_ERROR(CheckAllowed(assignee));
  CPNS_RETURN_IF_ERROR(CheckRates(assignee, PeerKey(peer.address)));
  absl::StatusOr<std::string> admitted = policy_.mode == AdmissionMode::kOpen
                                             ? absl::StatusOr<std::string>("open")
                                             : CheckCertificate(assignee, peer);
  // Requests for one entity racing past the check are each charged; the
  // window then holds a few more than the limit and the next requests wait
  // longer. Nothing is admitted without a charge.
  if (admitted.ok()) ChargePaired(assignee);
  return admitted;
}

absl::StatusOr<bool> Admission::AdmitPairing(const Assignee& assignee, const PeerInfo& peer) {
  if (policy_.mode != AdmissionMode::kPairing) {
    return Tagged(absl::FailedPreconditionError(absl::StrCat(
                      "this gateway does not admit devices by pairing code (its admission is ",
                      AdmissionModeName(policy_.mode), ")")),
                  "not-pairing");
  }
  const std::string peer_key = PeerKey(peer.address);
  {
    MutexLock lock(&mu_);
    if (auto s = CheckPairingThrottle(peer_key); !s.ok()) {
      return Tagged(s, "wrong-codes-throttled");
    }
  }
  CPNS_RETURN_IF_ERROR(CheckRates(assignee, peer_key));
  return CheckAllowed(assignee).ok();
}

void Admission::CountFailedPairing(const PeerInfo& peer) {
  MutexLock lock(&mu_);
  wrong_codes_[PeerKey(peer.address)].push_back(clock_.Now());
}

void Admission::ChargePaired(const Assignee& assignee) {
  MutexLock lock(&mu_);
  Charge(per_entity_, EntityKey(assignee), policy_.per_entity_per_minute);
}

absl::Status Admission::AdmitRelayed(const PeerInfo& peer) {
  MutexLock lock(&mu_);
  return ChargePeer(PeerKey(peer.address));
}

absl::Status Admission::ChargePeer(const std::string& peer_key) {
  if (auto s = CheckRate(per_peer_, peer_key, policy_.per_peer_per_minute, "this peer");
      !s.ok()) {
    return Tagged(s, "rate-limited-peer");
  }
  Charge(per_peer_, peer_key, policy_.per_peer_per_minute);
  return absl::OkStatus();
}

absl::StatusOr<std::string> Admission::CheckCertificate(const Assignee& assignee,
                                                         const PeerInfo& peer) {
  if (!peer.certified_entity.ok()) {
    std::string why;
    if (!absl::IsUnauthenticated(peer.certified_entity.status())) {
      why = absl::StrCat(" (yours is not usable: ", peer.certified_entity.status().message(), ")");
    }
    return Tagged(absl::PermissionDeniedError(absl::StrCat(
                      "this gateway admits devices by their device certificate: connect to its "
                      "TLS listener with the certificate your device's maker issued (cpns-pne "
                      "request --cert --key)",
                      why)),
                  "no-device-certificate");
  }
  if (*peer.certified_entity != assignee.entity_id) {
    return Tagged(absl::PermissionDeniedError(absl::StrCat(
                      "the device certificate is for entity ", peer.certified_entity->value(),
                      "; it cannot request a key for entity ", assignee.entity_id.value())),
                  "certificate-for-other-entity");
  }
  return std::string("certificate");
}

absl::Status Admission::CheckRate(std::map<std::string, std::vector<absl::Time>>& windows,
                                  const std::string& key, int limit, absl::string_view what) {
  if (limit <= 0) return absl::OkStatus();
  const absl::Time now = clock_.Now();
  Sweep(windows, now, kRateWindow);
  // Look, do not insert: only Charge makes entries.
  const auto it = windows.find(key);
  if (it == windows.end()) return absl::OkStatus();
  std::vector<absl::Time>& times = it->second;
  Expire(times, now, kRateWindow);
  if (static_cast<int>(times.size()) >= limit) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "too many requests from ", what, " (at most ", limit, " a minute); retry in ",
        RetryIn(times.front() + kRateWindow - now)));
  }
  return absl::OkStatus();
}

void Admission::Charge(std::map<std::string, std::vector<absl::Time>>& windows,
                       const std::string& key, int limit) {
  if (limit > 0) windows[key].push_back(clock_.Now());
}

absl::Status Admission::CheckPairingThrottle(const std::string& peer) {
  const absl::Time now = clock_.Now();
  Sweep(wrong_codes_, now, kWrongCodeWindow);
  std::vector<absl::Time>& wrong = wrong_codes_[peer];
  Expire(wrong, now, kWrongCodeWindow);
  if (static_cast<int>(wrong.size()) < policy_.wrong_codes_before_throttle) {
    return absl::OkStatus();
  }
  return absl::ResourceExhaustedError(absl::StrCat(
      "too many failed pairing attempts from this peer; retry in ",
      RetryIn(wrong.front() + kWrongCodeWindow - now)));
}

}  // namespace cpns::gateway
