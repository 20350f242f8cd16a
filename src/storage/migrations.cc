#include "storage/migrations.h"

#include <array>

namespace cpns::storage {
namespace {

// Version 1: 1st seeds, sealed under a KEK (AES-256-GCM), one active seed
// per gateway enforced by a partial unique index.
constexpr Migration kV1{
    1, "first_seeds sealed under a KEK",
    R"sql(
CREATE TABLE first_seeds (
  gw_id       TEXT    NOT NULL,
  seed_epoch  INTEGER NOT NULL CHECK (seed_epoch >= 1),
  sealed_seed BLOB    NOT NULL,
  kek_id      TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  state       TEXT    NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'retired', 'revoked')),
  PRIMARY KEY (gw_id, seed_epoch)
);
CREATE UNIQUE INDEX first_seeds_one_active ON first_seeds (gw_id) WHERE state = 'active';
)sql",
    R"sql(
CREATE TABLE first_seeds (
  gw_id       TEXT    NOT NULL,
  seed_epoch  BIGINT  NOT NULL CHECK (seed_epoch >= 1 AND seed_epoch <= 4294967295),
  sealed_seed BYTEA   NOT NULL,
  kek_id      TEXT    NOT NULL,
  created_at  BIGINT  NOT NULL,
  state       TEXT    NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'retired', 'revoked')),
  PRIMARY KEY (gw_id, seed_epoch)
);
CREATE UNIQUE INDEX first_seeds_one_active ON first_seeds (gw_id) WHERE state = 'active';
)sql"};

// Version 2: authentication state shared by replicas: server secrets (sealed
// under a KEK) and the challenges already used.
constexpr Migration kV2{
    2, "server_secrets and used_challenges for AuthService",
    R"sql(
CREATE TABLE server_secrets (
  name          TEXT    PRIMARY KEY,
  sealed_secret BLOB    NOT NULL,
  kek_id        TEXT    NOT NULL,
  created_at    INTEGER NOT NULL
);
CREATE TABLE used_challenges (
  challenge_id  BLOB    PRIMARY KEY,
  expires_at    INTEGER NOT NULL
);
CREATE INDEX used_challenges_expiry ON used_challenges (expires_at);
)sql",
    R"sql(
CREATE TABLE server_secrets (
  name          TEXT    PRIMARY KEY,
  sealed_secret BYTEA   NOT NULL,
  kek_id        TEXT    NOT NULL,
  created_at    BIGINT  NOT NULL
);
CREATE TABLE used_challenges (
  challenge_id  BYTEA   PRIMARY KEY,
  expires_at    BIGINT  NOT NULL
);
CREATE INDEX used_challenges_expiry ON used_challenges (expires_at);
)sql"};

// Version 3: the seed lifecycle. Seeds get expires_at (existing ones: a year
// after creation) and the state 'rotated'; revocations of gateways and keys;
// the audit log. SQLite cannot change a CHECK constraint, so the table is
// rebuilt; PostgreSQL alters it in place.
constexpr Migration kV3{
    3, "seed lifetime, rotation, revocation and the audit log",
    R"sql(
CREATE TABLE first_seeds_v3 (
  gw_id            TEXT    NOT NULL,
  seed_epoch       INTEGER NOT NULL CHECK (seed_epoch >= 1),
  sealed_seed      BLOB    NOT NULL,
  kek_id           TEXT    NOT NULL,
  created_at       INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL,
  state            TEXT    NOT NULL DEFAULT 'active'
                   CHECK (state IN ('active', 'rotated', 'retired', 'revoked')),
  state_changed_at INTEGER,
  PRIMARY KEY (gw_id, seed_epoch)
);
INSERT INTO first_seeds_v3 (gw_id, seed_epoch, sealed_seed, kek_id, created_at, expires_at, state)
  SELECT gw_id, seed_epoch, sealed_seed, kek_id, created_at, created_at + 31536000, state
  FROM first_seeds;
DROP TABLE first_seeds;
ALTER TABLE first_seeds_v3 RENAME TO first_seeds;
CREATE UNIQUE INDEX first_seeds_one_active ON first_seeds (gw_id) WHERE state = 'active';
CREATE TABLE revoked_gateways (
  gw_id      TEXT    PRIMARY KEY,
  revoked_at INTEGER NOT NULL,
  reason     TEXT    NOT NULL,
  actor      TEXT    NOT NULL
);
CREATE TABLE revoked_keys (
  key_fingerprint BLOB    PRIMARY KEY,
  gw_id           TEXT    NOT NULL,
  revoked_at      INTEGER NOT NULL,
  reason          TEXT    NOT NULL,
  actor           TEXT    NOT NULL
);
CREATE TABLE audit_log (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  at         INTEGER NOT NULL,
  actor      TEXT    NOT NULL,
  action     TEXT    NOT NULL,
  gw_id      TEXT    NOT NULL,
  seed_epoch INTEGER NOT NULL,
  detail     TEXT    NOT NULL
);
CREATE INDEX audit_log_gw ON audit_log (gw_id, id);
)sql",
    R"sql(
ALTER TABLE first_seeds ADD COLUMN expires_at BIGINT;
UPDATE first_seeds SET expires_at = created_at + 31536000;
ALTER TABLE first_seeds ALTER COLUMN expires_at SET NOT NULL;
ALTER TABLE first_seeds ADD COLUMN state_changed_at BIGINT;
ALTER TABLE first_seeds DROP CONSTRAINT first_seeds_state_check;
ALTER TABLE first_seeds ADD CONSTRAINT first_seeds_state_check
  CHECK (state IN ('active', 'rotated', 'retired', 'revoked'));
CREATE TABLE revoked_gateways (
  gw_id      TEXT    PRIMARY KEY,
  revoked_at BIGINT  NOT NULL,
  reason     TEXT    NOT NULL,
  actor      TEXT    NOT NULL
);
CREATE TABLE revoked_keys (
  key_fingerprint BYTEA   PRIMARY KEY,
  gw_id           TEXT    NOT NULL,
  revoked_at      BIGINT  NOT NULL,
  reason          TEXT    NOT NULL,
  actor           TEXT    NOT NULL
);
CREATE TABLE audit_log (
  id         BIGSERIAL PRIMARY KEY,
  at         BIGINT  NOT NULL,
  actor      TEXT    NOT NULL,
  action     TEXT    NOT NULL,
  gw_id      TEXT    NOT NULL,
  seed_epoch BIGINT  NOT NULL,
  detail     TEXT    NOT NULL
);
CREATE INDEX audit_log_gw ON audit_log (gw_id, id);
)sql"};

// Version 4: an audit row may stand for several events (refusals of
// unauthenticated callers are aggregated per peer and interval); older rows
// count once. Retention deletes by time, hence the index on `at`.
constexpr Migration kV4{
    4, "audit_log event_count and an index for retention by time",
    R"sql(
ALTER TABLE audit_log ADD COLUMN event_count INTEGER NOT NULL DEFAULT 1;
CREATE INDEX audit_log_at ON audit_log (at);
)sql",
    R"sql(
ALTER TABLE audit_log ADD COLUMN event_count BIGINT NOT NULL DEFAULT 1;
CREATE INDEX audit_log_at ON audit_log (at);
)sql"};

constexpr std::array<Migration, 4> kAll = {kV1, kV2, kV3, kV4};
static_assert(kAll.back().version == kLatestSchemaVersion);

}  // namespace

std::span<const Migration> Migrations() { return kAll; }

}  // namespace cpns::storage
