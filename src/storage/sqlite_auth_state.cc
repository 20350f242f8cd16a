// SqliteSeedStore: what AuthService shares between replicas (server secrets,
// used challenges).
#include <sqlite3.h>

#include "storage/sqlite_seed_store.h"
#include "storage/sqlite_statement.h"
#include "storage/store_deadline.h"

namespace cpns::storage {

using sqlite::InWriteTransaction;
using sqlite::Statement;

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

void SqliteSeedStore::CloseSqlite::operator()(sqlite3* db) const { sqlite3_close(db); }

absl::StatusOr<sqlite3*> SqliteSeedStore::ChallengeDbLocked() {
  if (challenge_db_ != nullptr) return challenge_db_.get();
  const char* path = sqlite3_db_filename(db_, "main");  // constant for the connection's life
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path == nullptr ? "" : path, &db,
                                 SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_READWRITE, nullptr);
  std::unique_ptr<sqlite3, CloseSqlite> opened(db);
  if (rc != SQLITE_OK) {
    return absl::UnavailableError(absl::StrCat(
        "cannot open SQLite database for used challenges: ",
        db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_handler(db, sqlite::BusyUntilStoreDeadline, nullptr);
  // The file is in WAL mode already (set by the main connection).
  CPNS_RETURN_IF_ERROR(sqlite::Exec(db, "PRAGMA synchronous=FULL"));
  challenge_db_ = std::move(opened);
  return db;
}

// One write transaction, so one sync, for the whole batch. BEGIN IMMEDIATE
// serializes it with every other process's writers, and the primary key on
// challenge_id makes a second use fail to insert on any replica.
absl::StatusOr<std::vector<bool>> SqliteSeedStore::ConsumeChallenges(
    std::span<const ChallengeUse> uses) {
  if (uses.empty()) return std::vector<bool>();
  if (!challenge_mu_.LockUntil(CurrentStoreDeadline())) {
    return StoreDeadlineError("SQLite (another request of this server records challenges)");
  }
  absl::StatusOr<std::vector<bool>> fresh = ConsumeChallengesLocked(uses);
  challenge_mu_.Unlock();
  return fresh;
}

absl::StatusOr<std::vector<bool>> SqliteSeedStore::ConsumeChallengesLocked(
    std::span<const ChallengeUse> uses) {
  CPNS_ASSIGN_OR_RETURN(sqlite3* db, ChallengeDbLocked());
  sqlite3_db_release_memory(db);  // read the file as it is now, as CallLock does
  return InWriteTransaction(db, [&]() -> absl::StatusOr<std::vector<bool>> {
    // Forgetting expired ones is not needed for correctness (an expired
    // challenge fails its own check first); every 64th batch is enough.
    if (consume_batches_++ % 64 == 0) {
      CPNS_ASSIGN_OR_RETURN(Statement purge, Statement::Prepare(db,
          "DELETE FROM used_challenges WHERE expires_at < ?"));
      purge.Bind(1, absl::ToUnixSeconds(clock_.Now()) - 60);
      CPNS_RETURN_IF_ERROR(purge.Step().status());
    }
    std::vector<bool> fresh;
    fresh.reserve(uses.size());
    for (const ChallengeUse& use : uses) {
      CPNS_ASSIGN_OR_RETURN(Statement insert, Statement::Prepare(db,
          "INSERT OR IGNORE INTO used_challenges (challenge_id, expires_at) VALUES (?, ?)"));
      insert.BindBlob(1, use.id);
      insert.Bind(2, absl::ToUnixSeconds(use.expires_at));
      CPNS_RETURN_IF_ERROR(insert.Step().status());
      fresh.push_back(sqlite3_changes(db) != 0);
    }
    return fresh;
  });
}

}  // namespace cpns::storage
