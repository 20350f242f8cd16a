#include "storage/pg_seed_store.h"

#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "storage/pg_statement.h"
#include "storage/sealed_seed.h"
#include "storage/store_schema.h"
#include "storage/store_rules.h"

namespace cpns::storage {

using pg::Bytes;
using pg::Int;
using pg::kSeedColumns;
using pg::ReadSeedRecord;
using pg::RetryOnceIfUnavailable;
using pg::Text;

absl::StatusOr<std::unique_ptr<PgSeedStore>> PgSeedStore::Open(const pg::PoolOptions& pool,
                                                              const StoreOptions& options,
                                                              const Clock& clock) {
  std::unique_ptr<PgSeedStore> store(new PgSeedStore(pool, options.keys, clock));
  if (options.migrate) CPNS_RETURN_IF_ERROR(store->Migrate());  // refuses a newer one, naming it
  CPNS_ASSIGN_OR_RETURN(const int version, store->SchemaVersion());
  CPNS_RETURN_IF_ERROR(CheckSchemaVersion(version));
  return store;
}

absl::StatusOr<int> PgSeedStore::SchemaVersion() {
  return RetryOnceIfUnavailable([&]() -> absl::StatusOr<int> {
    CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
    return PostgresStoreVersion(c, clock_);
  });
}

absl::Status PgSeedStore::Migrate() {
  CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
  return MigratePostgresStore(c, clock_);
}

absl::StatusOr<std::optional<StoredSeed>> PgSeedStore::FindActive(pg::Connection& c,
                                                                  const GatewayId& gw_id) {
  CPNS_ASSIGN_OR_RETURN(pg::Result r, c.Exec(absl::StrCat(
      "SELECT ", kSeedColumns, ", sealed_seed FROM first_seeds "
      "WHERE gw_id = $1 AND state = 'active'"), {Text(gw_id.value())}));
  if (r.rows() == 0) return std::nullopt;
  CPNS_ASSIGN_OR_RETURN(SeedRecord record, ReadSeedRecord(r, 0, 0));
  CPNS_ASSIGN_OR_RETURN(std::string sealed, r.Bytes(0, 6));
  return OpenSealedSeed(keys_, record, sealed);
}

absl::StatusOr<StoredSeed> PgSeedStore::Issue(pg::Connection& c, const GatewayId& gw_id,
                                              absl::Duration lifetime, absl::string_view actor,
                                              absl::string_view why) {
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  CPNS_ASSIGN_OR_RETURN(pg::Result previous, c.Exec(
      "UPDATE first_seeds SET state = 'rotated', state_changed_at = $1 "
      "WHERE gw_id = $2 AND state = 'active'", {Int(now), Text(gw_id.value())}));
  CPNS_ASSIGN_OR_RETURN(pg::Result next, c.Exec(
      "SELECT coalesce(max(seed_epoch), 0) + 1 FROM first_seeds WHERE gw_id = $1",
      {Text(gw_id.value())}));
  const int64_t epoch = next.Int(0, 0);
  if (epoch > UINT32_MAX) return absl::ResourceExhaustedError("seed_epoch would exceed 2^32-1");
  CPNS_ASSIGN_OR_RETURN(NewSeed fresh, MakeSealedSeed(keys_, gw_id, static_cast<uint32_t>(epoch)));
  const int64_t expires = now + absl::ToInt64Seconds(lifetime);
  CPNS_RETURN_IF_ERROR(c.Exec(
      "INSERT INTO first_seeds (gw_id, seed_epoch, sealed_seed, kek_id, created_at, expires_at) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      {Text(gw_id.value()), Int(epoch), Bytes(fresh.sealed), Text(fresh.kek_id), Int(now),
       Int(expires)}).status());
  StoredSeed seed{gw_id, static_cast<uint32_t>(epoch), std::move(fresh.seed),
                  absl::FromUnixSeconds(now), absl::FromUnixSeconds(expires), SeedState::kActive};
  CPNS_RETURN_IF_ERROR(
      AppendAuditOn(c, IssueAuditEvent(seed, previous.affected_rows() > 0, actor, why)));
  return seed;
}

absl::StatusOr<StoredSeed> PgSeedStore::Get(const GatewayId& gw_id, uint32_t seed_epoch) {
  return RetryOnceIfUnavailable([&]() -> absl::StatusOr<StoredSeed> {
    CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
    CPNS_ASSIGN_OR_RETURN(pg::Result r, c.Exec(absl::StrCat(
        "SELECT ", kSeedColumns, ", sealed_seed FROM first_seeds "
        "WHERE gw_id = $1 AND seed_epoch = $2"), {Text(gw_id.value()), Int(seed_epoch)}));
    if (r.rows() == 0) return UnknownEpochError(gw_id, seed_epoch);
    CPNS_ASSIGN_OR_RETURN(SeedRecord record, ReadSeedRecord(r, 0, 0));
    CPNS_ASSIGN_OR_RETURN(std::string sealed, r.Bytes(0, 6));
    return OpenSealedSeed(keys_, record, sealed);
  });
}

absl::StatusOr<int> PgSeedStore::RewrapToPrimary() {
  if (keys_ == nullptr) return absl::FailedPreconditionError("re-wrapping needs the KEKs");
  std::vector<std::pair<GatewayId, uint32_t>> rows;
  {
    CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
    CPNS_ASSIGN_OR_RETURN(pg::Result r, c.Exec(
        "SELECT gw_id, seed_epoch FROM first_seeds WHERE kek_id <> $1",
        {Text(keys_->primary().id())}));
    for (int i = 0; i < r.rows(); ++i) {
      CPNS_ASSIGN_OR_RETURN(GatewayId id, StoredGatewayId(r.Text(i, 0)));
      rows.emplace_back(id, static_cast<uint32_t>(r.Int(i, 1)));
    }
  }
  for (const auto& [gw_id, epoch] : rows) CPNS_RETURN_IF_ERROR(RewrapOne(gw_id, epoch));
  CPNS_ASSIGN_OR_RETURN(int secrets, RewrapServerSecrets());
  return static_cast<int>(rows.size()) + secrets;
}

absl::StatusOr<int> PgSeedStore::RewrapServerSecrets() {
  CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
  CPNS_ASSIGN_OR_RETURN(pg::Result r, c.Exec(
      "SELECT name, sealed_secret, kek_id FROM server_secrets WHERE kek_id <> $1",
      {Text(keys_->primary().id())}));
  for (int i = 0; i < r.rows(); ++i) {
    CPNS_ASSIGN_OR_RETURN(std::string sealed, r.Bytes(i, 1));
    CPNS_ASSIGN_OR_RETURN(SecretBytes secret,
                          OpenSealedServerSecret(keys_, r.Text(i, 0), sealed, r.Text(i, 2)));
    CPNS_ASSIGN_OR_RETURN(std::string resealed,
                          keys_->primary().SealServerSecret(secret, r.Text(i, 0)));
    CPNS_RETURN_IF_ERROR(c.Exec("UPDATE server_secrets SET sealed_secret = $1, kek_id = $2 "
                                "WHERE name = $3 AND kek_id = $4",
                                {Bytes(resealed), Text(keys_->primary().id()), Text(r.Text(i, 0)),
                                 Text(r.Text(i, 2))})
                             .status());
  }
  return r.rows();
}

absl::StatusOr<std::optional<SecretBytes>> PgSeedStore::FindServerSecret(pg::Connection& c,
                                                                         absl::string_view name) {
  CPNS_ASSIGN_OR_RETURN(pg::Result r, c.Exec(
      "SELECT sealed_secret, kek_id FROM server_secrets WHERE name = $1", {Text(name)}));
  if (r.rows() == 0) return std::nullopt;
  CPNS_ASSIGN_OR_RETURN(std::string sealed, r.Bytes(0, 0));
  return OpenSealedServerSecret(keys_, name, sealed, r.Text(0, 1));
}

absl::StatusOr<SecretBytes> PgSeedStore::GetOrCreateServerSecret(absl::string_view name) {
  return RetryOnceIfUnavailable([&]() -> absl::StatusOr<SecretBytes> {
    CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
    CPNS_ASSIGN_OR_RETURN(std::optional<SecretBytes> found, FindServerSecret(c, name));
    if (found.has_value()) return std::move(*found);
    CPNS_ASSIGN_OR_RETURN(NewSeed fresh, MakeSealedServerSecret(keys_, name));
    CPNS_ASSIGN_OR_RETURN(pg::Result ins, c.Exec(
        "INSERT INTO server_secrets (name, sealed_secret, kek_id, created_at) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        {Text(name), Bytes(fresh.sealed), Text(fresh.kek_id),
         Int(absl::ToUnixSeconds(clock_.Now()))}));
    if (ins.affected_rows() == 1) return std::move(fresh.seed);
    // Another replica created it first: use theirs.
    CPNS_ASSIGN_OR_RETURN(std::optional<SecretBytes> theirs, FindServerSecret(c, name));
    if (!theirs.has_value()) return absl::AbortedError("server secret vanished; retry");
    return std::move(*theirs);
  });
}

absl::Status PgSeedStore::ConsumeChallenge(absl::string_view challenge_id, absl::Time expires_at) {
  const ChallengeUse use{std::string(challenge_id), expires_at};
  CPNS_ASSIGN_OR_RETURN(std::vector<bool> fresh, ConsumeChallenges({&use, 1}));
  if (!fresh[0]) return absl::AlreadyExistsError("challenge already used");
  return absl::OkStatus();
}

// One INSERT of every row, so one round trip and one commit for the batch;
// the primary key on challenge_id refuses a second use on any replica, and
// RETURNING names the rows that went in (a repeat within the batch is
// skipped as a conflict with the first).
absl::StatusOr<std::vector<bool>> PgSeedStore::ConsumeChallenges(
    std::span<const ChallengeUse> uses) {
  if (uses.empty()) return std::vector<bool>();
  CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
  if (consumed_++ % 64 == 0) {
    CPNS_RETURN_IF_ERROR(c.Exec("DELETE FROM used_challenges WHERE expires_at < $1",
                                {Int(absl::ToUnixSeconds(clock_.Now()) - 60)})
                             .status());
  }
  std::string sql = "INSERT INTO used_challenges (challenge_id, expires_at) VALUES ";
  std::vector<pg::Param> params;
  for (size_t k = 0; k < uses.size(); ++k) {
    absl::StrAppend(&sql, k == 0 ? "" : ", ", "($", 2 * k + 1, ", $", 2 * k + 2, ")");
    params.push_back(Bytes(uses[k].id));
    params.push_back(Int(absl::ToUnixSeconds(uses[k].expires_at)));
  }
  absl::StrAppend(&sql, " ON CONFLICT DO NOTHING RETURNING challenge_id");
  CPNS_ASSIGN_OR_RETURN(pg::Result ins, c.Exec(sql, params));
  std::unordered_set<std::string> inserted;
  for (int row = 0; row < ins.rows(); ++row) {
    CPNS_ASSIGN_OR_RETURN(std::string id, ins.Bytes(row, 0));
    inserted.insert(std::move(id));
  }
  std::vector<bool> fresh;
  for (const ChallengeUse& use : uses) fresh.push_back(inserted.erase(use.id) == 1);
  return fresh;
}

absl::Status PgSeedStore::RewrapOne(const GatewayId& gw_id, uint32_t epoch) {
  CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
  CPNS_ASSIGN_OR_RETURN(pg::Result r, c.Exec(absl::StrCat(
      "SELECT ", kSeedColumns, ", sealed_seed FROM first_seeds WHERE gw_id = $1 AND seed_epoch = $2"),
      {Text(gw_id.value()), Int(epoch)}));
  if (r.rows() == 0) return absl::OkStatus();
  CPNS_ASSIGN_OR_RETURN(SeedRecord record, ReadSeedRecord(r, 0, 0));
  CPNS_ASSIGN_OR_RETURN(std::string sealed, r.Bytes(0, 6));
  const std::string old_kek = record.kek_id;
  CPNS_ASSIGN_OR_RETURN(StoredSeed seed, OpenSealedSeed(keys_, record, sealed));
  CPNS_ASSIGN_OR_RETURN(std::string resealed,
                        keys_->primary().SealSeed(seed.first_seed, gw_id, epoch));
  // Only if nobody re-sealed it meanwhile (compare-and-set on kek_id).
  return c.Exec("UPDATE first_seeds SET sealed_seed = $1, kek_id = $2 "
                "WHERE gw_id = $3 AND seed_epoch = $4 AND kek_id = $5",
                {Bytes(resealed), Text(keys_->primary().id()), Text(gw_id.value()), Int(epoch),
                 Text(old_kek)})
      .status();
}

}  // namespace cpns::storage
