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

constexpr std::array<Migration, 1> kAll = {kV1};
static_assert(kAll.back().version == kLatestSchemaVersion);

}  // namespace

std::span<const Migration> Migrations() { return kAll; }

}  // namespace cpns::storage
