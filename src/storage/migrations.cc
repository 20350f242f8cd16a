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

constexpr std::array<Migration, 2> kAll = {kV1, kV2};
static_assert(kAll.back().version == kLatestSchemaVersion);

}  // namespace

std::span<const Migration> Migrations() { return kAll; }

}  // namespace cpns::storage
