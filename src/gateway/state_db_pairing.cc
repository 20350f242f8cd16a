// GatewayStateDb's pairing codes: kept as SPAKE2+ verifiers (state_db.h).
#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "core/pairing_code.h"
#include "core/sqlite.h"
#include "core/status_macros.h"
#include "cpns/core/random.h"
#include "gateway/pairing_decoy.h"
#include "gateway/state_db.h"

namespace cpns::gateway {

using sqlite::InWriteTransaction;
using sqlite::Statement;

namespace {

// A code is pending while unused, unexpired and not spent.
constexpr char kPending[] = "used_at IS NULL AND spent_at IS NULL AND expires_at > ?";

void BindHolder(Statement& q, int first, const Assignee& a) {
  q.Bind(first, EntityTypeName(a.entity_type));
  q.Bind(first + 1, a.entity_id.value());
  q.Bind(first + 2, a.user_id.value());
}

// The verifier of a fresh code under `salt` and `iterations`: w0 and L. The
// code itself is dropped by the caller once shown.
absl::StatusOr<PairingVerifier> MakeVerifier(const SecretBytes& code, std::string salt,
                                             uint32_t iterations) {
  CPNS_ASSIGN_OR_RETURN(SecretBytes canonical, NormalizePairingCode(code.RevealSecret()));
  PairingVerifier v{.salt = std::move(salt), .iterations = iterations};
  CPNS_ASSIGN_OR_RETURN(spake2plus::ProverSecrets secrets,
                        pairing::ProverSecretsFromCode(canonical, v.salt, iterations));
  CPNS_ASSIGN_OR_RETURN(v.record, spake2plus::MakeVerifierRecord(secrets));
  return v;
}

}  // namespace

absl::StatusOr<SecretBytes> GatewayStateDb::AddPairingCode(const Assignee& assignee,
                                                           absl::Duration ttl,
                                                           uint32_t iterations) {
  if (ttl <= absl::ZeroDuration() || ttl > absl::Hours(24 * 7)) {
    return absl::InvalidArgumentError("--ttl must be positive and at most 7 days");
  }
  CPNS_ASSIGN_OR_RETURN(SecretBytes code, NewPairingCode());
  // The identity's salt, the one its decoy shows too (pairing_decoy.h).
  CPNS_ASSIGN_OR_RETURN(SecretBytes decoy_key, PairingDecoyKey());
  // PBKDF2 takes its time (that is its point): outside the lock.
  CPNS_ASSIGN_OR_RETURN(PairingVerifier v,
                        MakeVerifier(code, PairingSalt(decoy_key, assignee), iterations));
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  MutexLock lock(&mu_);
  auto replace = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
    CPNS_RETURN_IF_ERROR(WithdrawCodes(assignee).status());
    CPNS_ASSIGN_OR_RETURN(Statement add, Statement::Prepare(db_,
        "INSERT INTO pairing_codes (entity_type, entity_id, user_id, salt, iterations, w0, l, "
        "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    BindHolder(add, 1, assignee);
    add.BindBlob(4, v.salt);
    add.Bind(5, static_cast<int64_t>(v.iterations));
    add.BindBlob(6, v.record.w0.RevealSecret());
    add.BindBlob(7, v.record.l);
    add.Bind(8, now);
    add.Bind(9, now + absl::ToInt64Seconds(ttl));
    return add.Step().status();
  };
  CPNS_RETURN_IF_ERROR(InWriteTransaction(db_, replace));
  return code;
}

absl::StatusOr<std::optional<PairingVerifier>> GatewayStateDb::FindPairingVerifier(
    const Assignee& assignee) {
  MutexLock lock(&mu_);
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_, absl::StrCat(
      "SELECT id, salt, iterations, w0, l FROM pairing_codes WHERE entity_type = ? AND "
      "entity_id = ? AND user_id = ? AND ", kPending, " ORDER BY id DESC LIMIT 1")));
  BindHolder(q, 1, assignee);
  q.Bind(4, absl::ToUnixSeconds(clock_.Now()));
  CPNS_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::nullopt;
  PairingVerifier v{.id = q.Int(0),
                    .salt = std::string(q.Blob(1)),
                    .iterations = static_cast<uint32_t>(q.Int(2))};
  v.record.w0 = SecretBytes::CopyFrom(q.Blob(3));
  v.record.l = std::string(q.Blob(4));
  if (v.record.w0.size() != spake2plus::kScalarSize || v.record.l.size() != spake2plus::kPointSize ||
      v.salt.size() != pairing::kSaltSize) {
    return absl::DataLossError(absl::StrCat("gateway state: pairing code ", v.id,
                                            " has a verifier of the wrong size"));
  }
  return v;
}

absl::StatusOr<FailedPairing> GatewayStateDb::CountFailedPairing(int64_t id, int limit) {
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  MutexLock lock(&mu_);
  return InWriteTransaction(db_, [&]() -> absl::StatusOr<FailedPairing> {
    CPNS_ASSIGN_OR_RETURN(Statement count, Statement::Prepare(db_,
        "UPDATE pairing_codes SET failures = failures + 1 WHERE id = ? RETURNING failures, "
        "spent_at IS NOT NULL"));
    count.Bind(1, id);
    CPNS_ASSIGN_OR_RETURN(bool row, count.Step());
    if (!row) return FailedPairing{};  // cancelled meanwhile: nothing to count against
    FailedPairing failed{.failures = static_cast<int>(count.Int(0))};
    const bool was_spent = count.Int(1) != 0;
    CPNS_RETURN_IF_ERROR(count.Step().status());  // runs the statement to its end
    if (was_spent || failed.failures < limit) return failed;
    CPNS_ASSIGN_OR_RETURN(Statement spend, Statement::Prepare(db_,
        "UPDATE pairing_codes SET spent_at = ? WHERE id = ?"));
    spend.Bind(1, now);
    spend.Bind(2, id);
    CPNS_RETURN_IF_ERROR(spend.Step().status());
    failed.spent = true;
    return failed;
  });
}

absl::Status GatewayStateDb::UsePairingCode(int64_t id) {
  MutexLock lock(&mu_);
  CPNS_ASSIGN_OR_RETURN(Statement use, Statement::Prepare(db_, absl::StrCat(
      "UPDATE pairing_codes SET used_at = ? WHERE id = ? AND ", kPending)));
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  use.Bind(1, now);
  use.Bind(2, id);
  use.Bind(3, now);
  CPNS_RETURN_IF_ERROR(use.Step().status());
  if (sqlite3_changes(db_) != 1) {
    return absl::PermissionDeniedError(
        "the pairing code was used, spent, cancelled or expired during the exchange; ask the "
        "gateway's owner for a new one (cpns-gw pair add)");
  }
  return absl::OkStatus();
}

absl::Status GatewayStateDb::UnusePairingCode(int64_t id) {
  MutexLock lock(&mu_);
  CPNS_ASSIGN_OR_RETURN(Statement unuse, Statement::Prepare(db_,
      "UPDATE pairing_codes SET used_at = NULL WHERE id = ? AND used_at IS NOT NULL"));
  unuse.Bind(1, id);
  return unuse.Step().status();
}

absl::StatusOr<int> GatewayStateDb::CountPairingCodes(absl::string_view where) {
  MutexLock lock(&mu_);
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_, absl::StrCat(
      "SELECT count(*) FROM pairing_codes WHERE ", where)));
  q.Bind(1, absl::ToUnixSeconds(clock_.Now()));
  CPNS_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? static_cast<int>(q.Int(0)) : 0;
}

absl::StatusOr<int> GatewayStateDb::PendingPairingCodes() { return CountPairingCodes(kPending); }

absl::StatusOr<int> GatewayStateDb::SpentPairingCodes() {
  return CountPairingCodes("used_at IS NULL AND spent_at IS NOT NULL AND expires_at > ?");
}

absl::StatusOr<std::vector<PendingPairingCode>> GatewayStateDb::ListPendingPairingCodes() {
  MutexLock lock(&mu_);
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_,
      "SELECT created_at, expires_at, entity_type, entity_id, user_id, failures, "
      "spent_at IS NOT NULL FROM pairing_codes WHERE used_at IS NULL AND expires_at > ? "
      "ORDER BY created_at, id"));
  q.Bind(1, absl::ToUnixSeconds(clock_.Now()));
  std::vector<PendingPairingCode> out;
  for (;;) {
    CPNS_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    CPNS_ASSIGN_OR_RETURN(Assignee assignee, ReadAssignee(q, 2));
    out.push_back({.assignee = std::move(assignee),
                   .created_at = absl::FromUnixSeconds(q.Int(0)),
                   .expires_at = absl::FromUnixSeconds(q.Int(1)),
                   .failures = static_cast<int>(q.Int(5)),
                   .spent = q.Int(6) != 0});
  }
  return out;
}

absl::StatusOr<int> GatewayStateDb::CancelPairingCodes(const Assignee& assignee) {
  MutexLock lock(&mu_);
  return InWriteTransaction(
      db_, [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return WithdrawCodes(assignee); });
}

absl::StatusOr<int> GatewayStateDb::WithdrawCodes(const Assignee& assignee) {
  // A code in use by an exchange right now (marked used, its key not yet
  // recorded) is expired too: if that exchange fails and puts it back
  // (UnusePairingCode), it must not come back pending.
  CPNS_ASSIGN_OR_RETURN(Statement expire, Statement::Prepare(db_,
      "UPDATE pairing_codes SET expires_at = min(expires_at, ?) WHERE used_at IS NOT NULL AND "
      "entity_type = ? AND entity_id = ? AND user_id = ?"));
  expire.Bind(1, absl::ToUnixSeconds(clock_.Now()));
  BindHolder(expire, 2, assignee);
  CPNS_RETURN_IF_ERROR(expire.Step().status());
  CPNS_ASSIGN_OR_RETURN(Statement del, Statement::Prepare(db_,
      "DELETE FROM pairing_codes WHERE used_at IS NULL AND entity_type = ? AND entity_id = ? "
      "AND user_id = ?"));
  BindHolder(del, 1, assignee);
  CPNS_RETURN_IF_ERROR(del.Step().status());
  return sqlite3_changes(db_);
}

absl::StatusOr<SecretBytes> GatewayStateDb::PairingDecoyKey() {
  CPNS_ASSIGN_OR_RETURN(SecretBytes fresh, SecureRandomBytes(32));
  MutexLock lock(&mu_);
  return InWriteTransaction(db_, [&]() -> absl::StatusOr<SecretBytes> {
    // The first key made is kept: every later call, in any process, reads it.
    CPNS_ASSIGN_OR_RETURN(Statement add, Statement::Prepare(db_,
        "INSERT OR IGNORE INTO pairing_decoy_key (id, key) VALUES (1, ?)"));
    add.BindBlob(1, fresh.RevealSecret());
    CPNS_RETURN_IF_ERROR(add.Step().status());
    CPNS_ASSIGN_OR_RETURN(Statement get, Statement::Prepare(db_,
        "SELECT key FROM pairing_decoy_key WHERE id = 1"));
    CPNS_ASSIGN_OR_RETURN(bool row, get.Step());
    if (!row || get.Blob(0).size() != 32) {
      return absl::DataLossError("gateway state: the pairing decoy key is missing or damaged");
    }
    return SecretBytes::CopyFrom(get.Blob(0));
  });
}

absl::Status GatewayStateDb::CountDecoyFailure() {
  MutexLock lock(&mu_);
  CPNS_ASSIGN_OR_RETURN(Statement count, Statement::Prepare(db_,
      "UPDATE pairing_decoy_key SET failures = failures + 1 WHERE id = 1"));
  return count.Step().status();
}

absl::StatusOr<int64_t> GatewayStateDb::DecoyFailures() {
  MutexLock lock(&mu_);
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_,
      "SELECT failures FROM pairing_decoy_key WHERE id = 1"));
  CPNS_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? q.Int(0) : 0;
}

}  // namespace cpns::gateway
