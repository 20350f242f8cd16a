// PgSeedStore: what the operator runs now and then (audit retention, the
// check that every sealed row opens).
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "storage/pg_seed_store.h"
#include "storage/pg_statement.h"

namespace cpns::storage {

using pg::Int;
using pg::kSeedColumns;
using pg::Text;

namespace {

// Seeds are read in pages, so a large table is never held in memory at once.
constexpr int kCheckPage = 500;

}  // namespace

absl::StatusOr<int64_t> PgSeedStore::PruneAudit(absl::Time before, absl::string_view actor) {
  CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
  return pg::InTransaction(c, [&]() -> absl::StatusOr<int64_t> {
    CPNS_ASSIGN_OR_RETURN(pg::Result r, c.Exec("DELETE FROM audit_log WHERE at < $1",
                                               {Int(absl::ToUnixSeconds(before))}));
    const int64_t removed = r.affected_rows();
    CPNS_RETURN_IF_ERROR(AppendAuditOn(c, PruneAuditEvent(before, removed, actor)));
    return removed;
  });
}

absl::Status PgSeedStore::CheckSealedSeeds(pg::Connection& c, SealCheck& check) {
  std::string after_gw;
  int64_t after_epoch = 0;
  for (;;) {
    CPNS_ASSIGN_OR_RETURN(pg::Result r, c.Exec(absl::StrCat(
        "SELECT ", kSeedColumns, ", sealed_seed FROM first_seeds "
        "WHERE (gw_id, seed_epoch) > ($1, $2) ORDER BY gw_id, seed_epoch LIMIT ", kCheckPage),
        {Text(after_gw), Int(after_epoch)}));
    for (int i = 0; i < r.rows(); ++i) {
      ++check.checked;
      absl::StatusOr<SeedRecord> record = pg::ReadSeedRecord(r, i, 0);
      absl::StatusOr<std::string> sealed = r.Bytes(i, 6);
      if (!record.ok() || !sealed.ok()) {
        const absl::Status why = !record.ok() ? record.status() : sealed.status();
        check.faults.push_back(absl::StrCat("a first_seeds row: ", why.message()));
        continue;
      }
      absl::StatusOr<StoredSeed> seed = OpenSealedSeed(keys_, *record, *sealed);
      if (!seed.ok()) check.faults.push_back(SeedSealFault(*record, seed.status()));
    }
    if (r.rows() < kCheckPage) return absl::OkStatus();
    after_gw = std::string(r.Text(r.rows() - 1, 0));
    after_epoch = r.Int(r.rows() - 1, 1);
  }
}

absl::Status PgSeedStore::CheckServerSecrets(pg::Connection& c, SealCheck& check) {
  CPNS_ASSIGN_OR_RETURN(pg::Result r, c.Exec(
      "SELECT name, sealed_secret, kek_id FROM server_secrets ORDER BY name"));
  for (int i = 0; i < r.rows(); ++i) {
    ++check.checked;
    absl::StatusOr<std::string> sealed = r.Bytes(i, 1);
    absl::StatusOr<SecretBytes> secret =
        sealed.ok() ? OpenSealedServerSecret(keys_, r.Text(i, 0), *sealed, r.Text(i, 2))
                    : absl::StatusOr<SecretBytes>(sealed.status());
    if (!secret.ok()) {
      check.faults.push_back(ServerSecretSealFault(r.Text(i, 0), r.Text(i, 2), secret.status()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<SealCheck> PgSeedStore::CheckSealed() {
  if (keys_ == nullptr) return absl::FailedPreconditionError("checking seals needs the KEKs");
  CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
  // One snapshot: a seed re-sealed meanwhile is seen once, under one KEK.
  return pg::InTransaction(
      c,
      [&]() -> absl::StatusOr<SealCheck> {
        SealCheck check;
        CPNS_RETURN_IF_ERROR(CheckSealedSeeds(c, check));
        CPNS_RETURN_IF_ERROR(CheckServerSecrets(c, check));
        return check;
      },
      "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}

}  // namespace cpns::storage
