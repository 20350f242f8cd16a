#include "storage/pg_seed_store.h"

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "storage/migrations.h"
#include "storage/sealed_seed.h"

namespace cpns::storage {
namespace {

constexpr char kMigrationsTable[] =
    "CREATE TABLE IF NOT EXISTS cpns_schema_migrations (version INTEGER PRIMARY KEY, "
    "description TEXT NOT NULL, applied_at BIGINT NOT NULL)";

pg::Param Text(absl::string_view v) { return {std::string(v), false}; }
pg::Param Int(int64_t v) { return {absl::StrCat(v), false}; }
pg::Param Bytes(absl::string_view v) { return {std::string(v), true}; }

// Runs `op` and, if it failed because a pooled connection had died (the
// database restarted), once more on a fresh connection.
template <typename Op>
auto RetryOnceIfUnavailable(Op op) -> decltype(op()) {
  auto result = op();
  if (!result.ok() && absl::IsUnavailable(result.status())) result = op();
  return result;
}

absl::StatusOr<GatewayId> StoredGatewayId(absl::string_view text) {
  absl::StatusOr<GatewayId> id = GatewayId::Parse(text);
  if (!id.ok()) {
    return absl::DataLossError(absl::StrCat("stored gw_id is invalid: ", id.status().message()));
  }
  return id;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PgSeedStore>> PgSeedStore::Open(const pg::PoolOptions& pool,
                                                              const StoreOptions& options,
                                                              const Clock& clock) {
  std::unique_ptr<PgSeedStore> store(new PgSeedStore(pool, options.keys, clock));
  CPNS_ASSIGN_OR_RETURN(int version, store->SchemaVersion());
  if (options.migrate && version < kLatestSchemaVersion) CPNS_RETURN_IF_ERROR(store->Migrate());
  CPNS_ASSIGN_OR_RETURN(version, store->SchemaVersion());
  CPNS_RETURN_IF_ERROR(CheckSchemaVersion(version));
  return store;
}

absl::StatusOr<int> PgSeedStore::SchemaVersion() {
  return RetryOnceIfUnavailable([&]() -> absl::StatusOr<int> {
    CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
    CPNS_ASSIGN_OR_RETURN(pg::Result exists,
                          c.Exec("SELECT to_regclass('cpns_schema_migrations') IS NOT NULL"));
    if (exists.Text(0, 0) != "t") return 0;
    CPNS_ASSIGN_OR_RETURN(pg::Result r,
                          c.Exec("SELECT coalesce(max(version), 0) FROM cpns_schema_migrations"));
    return static_cast<int>(r.Int(0, 0));
  });
}

absl::Status PgSeedStore::Migrate() {
  CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
  auto body = [&]() -> absl::Status {
    // One migrator at a time across replicas.
    CPNS_RETURN_IF_ERROR(c.Exec("SELECT pg_advisory_xact_lock(7270001)").status());
    CPNS_RETURN_IF_ERROR(c.Exec(kMigrationsTable).status());
    CPNS_ASSIGN_OR_RETURN(pg::Result r,
                          c.Exec("SELECT coalesce(max(version), 0) FROM cpns_schema_migrations"));
    const int64_t version = r.Int(0, 0);
    for (const Migration& m : Migrations()) {
      if (m.version <= version) continue;
      CPNS_RETURN_IF_ERROR(c.Exec(m.postgres_sql).status());
      CPNS_RETURN_IF_ERROR(c.Exec("INSERT INTO cpns_schema_migrations VALUES ($1, $2, $3)",
                                  {Int(m.version), Text(m.description),
                                   Int(absl::ToUnixSeconds(clock_.Now()))})
                               .status());
    }
    return absl::OkStatus();
  };
  CPNS_RETURN_IF_ERROR(c.Exec("BEGIN").status());
  if (absl::Status s = body(); !s.ok()) {
    c.Exec("ROLLBACK").IgnoreError();
    return s;
  }
  return c.Exec("COMMIT").status();
}

absl::StatusOr<std::optional<StoredSeed>> PgSeedStore::FindActive(pg::Connection& c,
                                                                  const GatewayId& gw_id) {
  CPNS_ASSIGN_OR_RETURN(pg::Result r, c.Exec(
      "SELECT seed_epoch, sealed_seed, kek_id, created_at FROM first_seeds "
      "WHERE gw_id = $1 AND state = 'active'", {Text(gw_id.value())}));
  if (r.rows() == 0) return std::nullopt;
  CPNS_ASSIGN_OR_RETURN(std::string sealed, r.Bytes(0, 1));
  return OpenSealedSeed(keys_, gw_id, static_cast<uint32_t>(r.Int(0, 0)), sealed, r.Text(0, 2),
                        r.Int(0, 3));
}

absl::StatusOr<StoredSeed> PgSeedStore::GetOrCreateActive(const GatewayId& gw_id) {
  return RetryOnceIfUnavailable([&] { return GetOrCreateOnce(gw_id); });
}

absl::StatusOr<StoredSeed> PgSeedStore::GetOrCreateOnce(const GatewayId& gw_id) {
  CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
  // A few rounds: a lost race is settled by reading the winner's row.
  for (int attempt = 0; attempt < 3; ++attempt) {
    CPNS_ASSIGN_OR_RETURN(std::optional<StoredSeed> active, FindActive(c, gw_id));
    if (active.has_value()) return std::move(*active);
    CPNS_ASSIGN_OR_RETURN(pg::Result next, c.Exec(
        "SELECT coalesce(max(seed_epoch), 0) + 1 FROM first_seeds WHERE gw_id = $1",
        {Text(gw_id.value())}));
    const int64_t epoch = next.Int(0, 0);
    if (epoch > UINT32_MAX) return absl::ResourceExhaustedError("seed_epoch would exceed 2^32-1");
    CPNS_ASSIGN_OR_RETURN(NewSeed fresh, MakeSealedSeed(keys_, gw_id, static_cast<uint32_t>(epoch)));
    const int64_t now = absl::ToUnixSeconds(clock_.Now());
    CPNS_ASSIGN_OR_RETURN(pg::Result ins, c.Exec(
        "INSERT INTO first_seeds (gw_id, seed_epoch, sealed_seed, kek_id, created_at) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        {Text(gw_id.value()), Int(epoch), Bytes(fresh.sealed), Text(fresh.kek_id), Int(now)}));
    if (ins.affected_rows() == 1) {
      return StoredSeed{gw_id, static_cast<uint32_t>(epoch), std::move(fresh.seed),
                        absl::FromUnixSeconds(now)};
    }
  }
  return absl::AbortedError(absl::StrCat("could not settle the 1st seed of gateway ",
                                         gw_id.value(), " after 3 attempts; retry"));
}

absl::StatusOr<StoredSeed> PgSeedStore::Get(const GatewayId& gw_id, uint32_t seed_epoch) {
  return RetryOnceIfUnavailable([&]() -> absl::StatusOr<StoredSeed> {
    CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
    CPNS_ASSIGN_OR_RETURN(pg::Result r, c.Exec(
        "SELECT sealed_seed, kek_id, created_at FROM first_seeds "
        "WHERE gw_id = $1 AND seed_epoch = $2", {Text(gw_id.value()), Int(seed_epoch)}));
    if (r.rows() == 0) {
      return absl::NotFoundError(
          absl::StrCat("no 1st seed for gateway ", gw_id.value(), " epoch ", seed_epoch));
    }
    CPNS_ASSIGN_OR_RETURN(std::string sealed, r.Bytes(0, 0));
    return OpenSealedSeed(keys_, gw_id, seed_epoch, sealed, r.Text(0, 1), r.Int(0, 2));
  });
}

absl::StatusOr<std::vector<SeedRecord>> PgSeedStore::List() {
  return RetryOnceIfUnavailable([&]() -> absl::StatusOr<std::vector<SeedRecord>> {
    CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
    CPNS_ASSIGN_OR_RETURN(pg::Result r, c.Exec(
        "SELECT gw_id, seed_epoch, created_at, state, kek_id FROM first_seeds "
        "ORDER BY gw_id COLLATE \"C\", seed_epoch"));
    std::vector<SeedRecord> out;
    for (int i = 0; i < r.rows(); ++i) {
      CPNS_ASSIGN_OR_RETURN(GatewayId id, StoredGatewayId(r.Text(i, 0)));
      out.push_back(SeedRecord{id, static_cast<uint32_t>(r.Int(i, 1)),
                               absl::FromUnixSeconds(r.Int(i, 2)), ParseSeedState(r.Text(i, 3)),
                               std::string(r.Text(i, 4))});
    }
    return out;
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
  CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
  if (consumed_++ % 64 == 0) {
    CPNS_RETURN_IF_ERROR(c.Exec("DELETE FROM used_challenges WHERE expires_at < $1",
                                {Int(absl::ToUnixSeconds(clock_.Now()) - 60)})
                             .status());
  }
  CPNS_ASSIGN_OR_RETURN(pg::Result ins, c.Exec(
      "INSERT INTO used_challenges (challenge_id, expires_at) VALUES ($1, $2) "
      "ON CONFLICT DO NOTHING",
      {Bytes(challenge_id), Int(absl::ToUnixSeconds(expires_at))}));
  if (ins.affected_rows() == 0) return absl::AlreadyExistsError("challenge already used");
  return absl::OkStatus();
}

absl::Status PgSeedStore::RewrapOne(const GatewayId& gw_id, uint32_t epoch) {
  CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
  CPNS_ASSIGN_OR_RETURN(pg::Result r, c.Exec(
      "SELECT sealed_seed, kek_id, created_at FROM first_seeds WHERE gw_id = $1 AND seed_epoch = $2",
      {Text(gw_id.value()), Int(epoch)}));
  if (r.rows() == 0) return absl::OkStatus();
  CPNS_ASSIGN_OR_RETURN(std::string sealed, r.Bytes(0, 0));
  const std::string old_kek(r.Text(0, 1));
  CPNS_ASSIGN_OR_RETURN(StoredSeed seed,
                        OpenSealedSeed(keys_, gw_id, epoch, sealed, old_kek, r.Int(0, 2)));
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
