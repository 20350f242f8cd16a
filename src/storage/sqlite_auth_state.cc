// SqliteSeedStore: what AuthService shares between replicas (server secrets,
// used challenges).
#include <sqlite3.h>

#include "storage/sqlite_seed_store.h"
#include "storage/sqlite_statement.h"
#include "storage/sealed_seed.h"
#include "storage/store_rules.h"

namespace cpns::storage {

using sqlite::InWriteTransaction;
using sqlite::Statement;

namespace {

// sqlite::InWriteTransaction with its BEGIN IMMEDIATE and COMMIT taken from
// the connection's statement cache: parsing them again on every batch of used
// challenges cost more than the batch's inserts.
template <typename Body>
auto InCachedWriteTransaction(sqlite3* db, sqlite::StatementCache& statements, Body body)
    -> decltype(body()) {
  {
    CPNS_ASSIGN_OR_RETURN(sqlite::Query begin, statements.Get("BEGIN IMMEDIATE"));
    CPNS_RETURN_IF_ERROR(begin.Step().status());
  }
  auto result = body();
  if (!result.ok()) {
    sqlite::Exec(db, "ROLLBACK").IgnoreError();
    return result;
  }
  absl::Status committed;
  {
    absl::StatusOr<sqlite::Query> commit = statements.Get("COMMIT");
    committed = commit.ok() ? commit->Step().status() : commit.status();
  }
  if (!committed.ok()) {
    // A failed COMMIT can leave the transaction open; never wedge the connection.
    if (!sqlite3_get_autocommit(db)) sqlite::Exec(db, "ROLLBACK").IgnoreError();
    return committed;
  }
  return result;
}

}  // namespace

absl::StatusOr<int> SqliteSeedStore::RewrapServerSecretsLocked() {
  return InWriteTransaction(db_, [&]() -> absl::StatusOr<int> {
    std::vector<std::pair<std::string, std::string>> resealed;  // name, sealed
    {
      CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_,
          "SELECT name, sealed_secret, kek_id FROM server_secrets WHERE kek_id != ?"));
      q.Bind(1, keys_->primary().id());
      for (;;) {
        CPNS_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        CPNS_ASSIGN_OR_RETURN(SecretBytes secret,
                              OpenSealedServerSecret(keys_, q.Text(0), q.Blob(1), q.Text(2)));
        CPNS_ASSIGN_OR_RETURN(std::string sealed,
                              keys_->primary().SealServerSecret(secret, q.Text(0)));
        resealed.emplace_back(std::string(q.Text(0)), std::move(sealed));
      }
    }
    for (const auto& [name, sealed] : resealed) {
      CPNS_ASSIGN_OR_RETURN(Statement u, Statement::Prepare(db_,
          "UPDATE server_secrets SET sealed_secret = ?, kek_id = ? WHERE name = ?"));
      u.BindBlob(1, sealed);
      u.Bind(2, keys_->primary().id());
      u.Bind(3, name);
      CPNS_RETURN_IF_ERROR(u.Step().status());
    }
    return static_cast<int>(resealed.size());
  });
}

absl::StatusOr<std::optional<SecretBytes>> SqliteSeedStore::FindServerSecretLocked(
    absl::string_view name) {
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_,
      "SELECT sealed_secret, kek_id FROM server_secrets WHERE name = ?"));
  q.Bind(1, name);
  CPNS_ASSIGN_OR_RETURN(bool found, q.Step());
  if (!found) return std::nullopt;
  return OpenSealedServerSecret(keys_, name, q.Blob(0), q.Text(1));
}

absl::StatusOr<SecretBytes> SqliteSeedStore::GetOrCreateServerSecret(absl::string_view name) {
  CallLock lock(*this);
  if (!lock.ok()) return lock.status();
  CPNS_ASSIGN_OR_RETURN(std::optional<SecretBytes> found, FindServerSecretLocked(name));
  if (found.has_value()) return std::move(*found);
  return InWriteTransaction(db_, [&]() -> absl::StatusOr<SecretBytes> {
    CPNS_ASSIGN_OR_RETURN(std::optional<SecretBytes> again, FindServerSecretLocked(name));
    if (again.has_value()) return std::move(*again);
    CPNS_ASSIGN_OR_RETURN(NewSeed fresh, MakeSealedServerSecret(keys_, name));
    CPNS_ASSIGN_OR_RETURN(Statement insert, Statement::Prepare(db_,
        "INSERT INTO server_secrets (name, sealed_secret, kek_id, created_at) VALUES (?, ?, ?, ?)"));
    insert.Bind(1, name);
    insert.BindBlob(2, fresh.sealed);
    insert.Bind(3, fresh.kek_id);
    insert.Bind(4, absl::ToUnixSeconds(clock_.Now()));
    CPNS_RETURN_IF_ERROR(insert.Step().status());
    return std::move(fresh.seed);
  });
}

absl::Status SqliteSeedStore::ConsumeChallenge(absl::string_view challenge_id,
                                               absl::Time expires_at) {
  const ChallengeUse use{std::string(challenge_id), expires_at};
  CPNS_ASSIGN_OR_RETURN(std::vector<bool> fresh, ConsumeChallenges({&use, 1}));
  if (!fresh[0]) return absl::AlreadyExistsError("challenge already used");
  return absl::OkStatus();
}

// A used challenge is committed on an unsynced connection when the boot is
// known: an operating system crash may lose the last ones, but every
// challenge made before it was under the previous boot's key, which no
// server uses after the crash (all of them restart: they share the host).
std::string SqliteSeedStore::ChallengeKeyName(absl::string_view base) {
  if (boot_id_.empty()) return std::string(base);
  return absl::StrCat(base, "@boot:", boot_id_);
}

// On the auth read connection: seed look-ups never wait for a commit.
absl::StatusOr<AuthRecord> SqliteSeedStore::LookupForAuth(const GatewayId& gw_id,
                                                          uint32_t seed_epoch,
                                                          absl::string_view key_fingerprint) {
  static const std::string kLookup = absl::StrCat(
      "SELECT ", sqlite::kSeedColumns, ", sealed_seed, "
      "EXISTS (SELECT 1 FROM revoked_gateways g WHERE g.gw_id = s.gw_id), "
      "EXISTS (SELECT 1 FROM revoked_keys k WHERE k.key_fingerprint = ?) "
      "FROM first_seeds s WHERE gw_id = ? AND seed_epoch = ?");
  return auth_reads_->Run([&](sqlite3*, sqlite::StatementCache& statements)
                              -> absl::StatusOr<AuthRecord> {
    CPNS_ASSIGN_OR_RETURN(sqlite::Query q, statements.Get(kLookup));
    q.BindBlob(1, key_fingerprint);
    q.Bind(2, gw_id.value());
    q.Bind(3, static_cast<int64_t>(seed_epoch));
    CPNS_ASSIGN_OR_RETURN(bool found, q.Step());
    if (!found) return UnknownEpochError(gw_id, seed_epoch);
    CPNS_ASSIGN_OR_RETURN(SeedRecord record, sqlite::ReadSeedRecord(q, 0));
    CPNS_ASSIGN_OR_RETURN(StoredSeed seed, OpenSealedSeed(keys_, record, q.Blob(6)));
    return AuthRecord{std::move(seed), q.Int(7) != 0, q.Int(8) != 0};
  });
}

// One write transaction, so one sync, for the whole batch, on the
// challenge connection (seed look-ups read meanwhile). BEGIN IMMEDIATE
// serializes it with every other writer of the file, of any process, and
// the primary key on challenge_id makes a second use fail to insert.
absl::StatusOr<std::vector<bool>> SqliteSeedStore::ConsumeChallenges(
    std::span<const ChallengeUse> uses) {
  if (uses.empty()) return std::vector<bool>();
  // Forgetting expired ones is not needed for correctness (an expired
  // challenge fails its own check first); every 64th batch is enough.
  const bool purge = consume_batches_++ % 64 == 0;
  const int64_t purge_before = absl::ToUnixSeconds(clock_.Now()) - 60;
  return challenge_writes_->Run([&](sqlite3* db, sqlite::StatementCache& statements) {
    return InCachedWriteTransaction(db, statements, [&]() -> absl::StatusOr<std::vector<bool>> {
      if (purge) {
        CPNS_ASSIGN_OR_RETURN(sqlite::Query q, statements.Get(
            "DELETE FROM used_challenges WHERE expires_at < ?"));
        q.Bind(1, purge_before);
        CPNS_RETURN_IF_ERROR(q.Step().status());
      }
      std::vector<bool> fresh;
      fresh.reserve(uses.size());
      for (const ChallengeUse& use : uses) {
        CPNS_ASSIGN_OR_RETURN(sqlite::Query insert, statements.Get(
            "INSERT OR IGNORE INTO used_challenges (challenge_id, expires_at) VALUES (?, ?)"));
        const int64_t expires_at = absl::ToUnixSeconds(use.expires_at);
        insert.BindBlob(1, use.id);
        insert.Bind(2, expires_at);
        CPNS_RETURN_IF_ERROR(insert.Step().status());
        fresh.push_back(sqlite3_changes(db) != 0);
      }
      return fresh;
    });
  });
}

}  // namespace cpns::storage
