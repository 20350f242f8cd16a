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
// Holders whose wrong codes are counted at once (more than any owner has
// pending codes).
constexpr size_t kMaxCountedHolders = 1024;

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

// The holder of a pairing code: the entity and user it was made for. '\n'
// cannot occur in an identifier.
std::string HolderKey(const Assignee& a) {
  return absl::StrCat(EntityTypeName(a.entity_type), "\n", a.entity_id.value(), "\n",
                      a.user_id.value());
}

std::string HolderName(const Assignee& a) {
  return absl::StrCat(EntityTypeName(a.entity_type), " ", a.entity_id.value(), " (user ",
                      a.user_id.value(), ")");
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

absl::StatusOr<std::string> Admission::Admit(const Assignee& assignee,
                                             absl::string_view pairing_code,
                                             const PeerInfo& peer) {
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
  const std::string peer_key = PeerKey(peer.address);
  const std::string entity_key =
      absl::StrCat(EntityTypeName(assignee.entity_type), "/", assignee.entity_id.value());
  const std::string entity_what = absl::StrCat("entity ", assignee.entity_id.value());
  {
    MutexLock lock(&mu_);
    CPNS_RETURN_IF_ERROR(ChargePeer(peer_key));
    // Only admitted requests count against an entity (charged below): a peer
    // that cannot prove it is the entity must not use up the entity's quota.
    if (auto s = CheckRate(per_entity_, entity_key, policy_.per_entity_per_minute, entity_what);
        !s.ok()) {
      return Tagged(s, "rate-limited-entity");
    }
  }
  absl::StatusOr<std::string> admitted = Authenticate(assignee, pairing_code, peer, peer_key);
  if (admitted.ok()) {
    MutexLock lock(&mu_);
    // Requests for one entity racing past the check above are each charged;
    // the window then holds a few more than the limit and the next requests
    // wait longer. Nothing is admitted without a charge.
    Charge(per_entity_, entity_key, policy_.per_entity_per_minute);
  }
  return admitted;
}

absl::StatusOr<std::string> Admission::Authenticate(const Assignee& assignee,
                                                     absl::string_view pairing_code,
                                                     const PeerInfo& peer,
                                                     const std::string& peer_key) {
  if (policy_.mode == AdmissionMode::kOpen) return std::string("open");
  if (policy_.mode == AdmissionMode::kCertificate) return CheckCertificate(assignee, peer);
  return CheckPairingCode(assignee, pairing_code, peer_key);
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

absl::StatusOr<std::string> Admission::CheckPairingCode(const Assignee& assignee,
                                                         absl::string_view pairing_code,
                                                         const std::string& peer_key) {
  if (pairing_code.empty()) {
    return Tagged(absl::PermissionDeniedError(
                      "this gateway admits devices with a pairing code: ask its owner for one "
                      "(cpns-gw pair add) and send it with the request (cpns-pne request "
                      "--pairing-code)"),
                  "no-pairing-code");
  }
  MutexLock guessing(&pairing_mu_);
  {
    MutexLock lock(&mu_);
    if (auto s = CheckPairingThrottle(peer_key); !s.ok()) {
      return Tagged(s, "wrong-codes-throttled");
    }
  }
  // A holder whose codes could not be withdrawn (the store failed) gets no
  // more guesses: try again, and refuse without looking at the code.
  if (auto it = wrong_by_holder_.find(HolderKey(assignee));
      it != wrong_by_holder_.end() && it->second >= HolderBound()) {
    return Withdraw(assignee, peer_key);
  }
  absl::Status consumed = state_.ConsumePairingCode(pairing_code, assignee);
  if (consumed.ok()) {
    wrong_by_holder_.erase(HolderKey(assignee));
    return std::string("pairing-code");
  }
  if (!absl::IsPermissionDenied(consumed) && !absl::IsInvalidArgument(consumed)) return consumed;
  {
    MutexLock lock(&mu_);
    wrong_codes_[peer_key].push_back(clock_.Now());
  }
  // Not shaped like a code: no guess at any code, so nothing against the holder.
  if (absl::IsInvalidArgument(consumed)) return Tagged(consumed, "wrong-pairing-code");
  return CountWrongCode(assignee, std::move(consumed), peer_key);
}

absl::Status Admission::CountWrongCode(const Assignee& assignee, absl::Status wrong,
                                       const std::string& peer_key) {
  // A code matches only the holder it names, so a guess is a threat only to a
  // holder with pending codes; others are not counted (and their counts,
  // from codes now used, expired or cancelled, are dropped), which also keeps
  // this map as small as the owner's pending codes. If the store cannot say,
  // the guess counts.
  absl::StatusOr<std::vector<PendingPairingCode>> pending = state_.ListPendingPairingCodes();
  const bool has_pending =
      !pending.ok() || std::any_of(pending->begin(), pending->end(), [&](const auto& p) {
        return HolderKey(p.assignee) == HolderKey(assignee);
      });
  const std::string holder = HolderKey(assignee);
  if (!has_pending) {
    wrong_by_holder_.erase(holder);
    return Tagged(std::move(wrong), "wrong-pairing-code");
  }
  // Bounded even when the store cannot say (any name would count then);
  // while it cannot, no code is consumed either, so no guess can succeed.
  if (!wrong_by_holder_.contains(holder) && wrong_by_holder_.size() >= kMaxCountedHolders) {
    return Tagged(std::move(wrong), "wrong-pairing-code");
  }
  if (++wrong_by_holder_[holder] < HolderBound()) {
    return Tagged(std::move(wrong), "wrong-pairing-code");
  }
  return Withdraw(assignee, peer_key);
}

absl::Status Admission::Withdraw(const Assignee& assignee, const std::string& peer_key) {
  const int bound = HolderBound();
  absl::StatusOr<int> withdrawn = state_.CancelPairingCodes(assignee);
  if (!withdrawn.ok()) {
    // The count stays at the bound: the holder gets no guesses until this works.
    wrong_by_holder_[HolderKey(assignee)] = bound;
    log::Error("cannot withdraw the pending pairing codes",
               {{"holder", HolderName(assignee)}, {"error", withdrawn.status()}});
    return Tagged(absl::UnavailableError(
                      "the gateway's state database failed; retry later (the owner sees the log)"),
                  "state-db-error");
  }
  wrong_by_holder_.erase(HolderKey(assignee));
  log::Warn("pending pairing codes withdrawn after wrong codes",
            {{"holder", HolderName(assignee)},
             {"withdrawn", *withdrawn},
             {"wrong_codes", bound},
             {"peer", peer_key},
             {"result", "pairing-codes-withdrawn"}});
  return Tagged(absl::PermissionDeniedError(absl::StrCat(
                    "the pairing code is not valid; after ", bound, " wrong pairing codes for ",
                    HolderName(assignee),
                    " its pending codes are withdrawn: ask the gateway's owner for a new one "
                    "(cpns-gw pair add)")),
                "pairing-codes-withdrawn");
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
      "too many wrong pairing codes from this peer; retry in ",
      RetryIn(wrong.front() + kWrongCodeWindow - now)));
}

}  // namespace cpns::gateway
