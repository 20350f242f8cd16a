// SeedStore conformance: sealing under the KEKs, KEK rewrap, seal checks and schema versions.
#include "storage/seed_store_conformance.h"

#include "storage/migrations.h"

namespace cpns::storage::conformance {
namespace {

TEST_P(SeedStoreConformanceTest, NoPlaintextSeedAndARowMovedToAnotherGatewayFailsToOpen) {
  auto store = Open();
  const StoredSeed a = *store->GetOrCreateActive(Gw("gw-a"));
  ASSERT_TRUE(store->GetOrCreateActive(Gw("gw-b")).ok());
  // An attacker with write access copies gw-a's sealed seed onto gw-b.
  GetParam().raw_sql(url_, "UPDATE first_seeds SET sealed_seed = (SELECT sealed_seed FROM "
                           "first_seeds WHERE gw_id = 'gw-a') WHERE gw_id = 'gw-b'");
  auto reopened = Open();
  absl::StatusOr<StoredSeed> b = reopened->GetOrCreateActive(Gw("gw-b"));
  EXPECT_EQ(b.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(b.status().message()), HasSubstr("gateway gw-b epoch 1 does not decrypt"));
  EXPECT_EQ(reopened->GetOrCreateActive(Gw("gw-a"))->first_seed, a.first_seed);
}

TEST_P(SeedStoreConformanceTest, WithoutKeysListWorksAndSeedsAreRefused) {
  ASSERT_TRUE(Open()->GetOrCreateActive(Gw("gw-a")).ok());
  auto metadata_only = Open(nullptr);
  EXPECT_EQ(metadata_only->List()->size(), 1u);
  EXPECT_EQ(metadata_only->GetOrCreateActive(Gw("gw-a")).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_P(SeedStoreConformanceTest, RewrapMovesEveryRowToTheNewKekAndKeepsTheSeeds) {
  const Kek new_kek = *Kek::Generate();
  SecretBytes a, b;
  {
    auto store = Open();
    a = store->GetOrCreateActive(Gw("gw-a"))->first_seed;
    b = store->GetOrCreateActive(Gw("gw-b"))->first_seed;
  }
  const KeyRing both = Ring({&new_kek, &kek_});
  EXPECT_EQ(*Open(&both)->RewrapToPrimary(), 2);
  EXPECT_EQ(*Open(&both)->RewrapToPrimary(), 0) << "nothing left under the old KEK";
  const KeyRing only_new = Ring({&new_kek});
  auto store = Open(&only_new);
  EXPECT_EQ(store->GetOrCreateActive(Gw("gw-a"))->first_seed, a);
  EXPECT_EQ(store->GetOrCreateActive(Gw("gw-b"))->first_seed, b);
  const std::vector<SeedRecord> records = *store->List();
  for (const SeedRecord& r : records) EXPECT_EQ(r.kek_id, new_kek.id());
  const KeyRing only_old = Ring({&kek_});
  EXPECT_EQ(Open(&only_old)->GetOrCreateActive(Gw("gw-a")).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_P(SeedStoreConformanceTest, SchemaVersionsAreCheckedAtOpen) {
  auto unmigrated = OpenSeedStore(url_, {.keys = &ring_, .migrate = false}, clock_);
  ASSERT_EQ(unmigrated.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(unmigrated.status().message()), HasSubstr("cpns-server migrate"));
  EXPECT_EQ(*Open()->SchemaVersion(), kLatestSchemaVersion);
  GetParam().raw_sql(url_, "INSERT INTO cpns_schema_migrations VALUES (99, 'future', 0)");
  auto future = OpenSeedStore(url_, {.keys = &ring_, .migrate = true}, clock_);
  ASSERT_EQ(future.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(future.status().message()), HasSubstr("newer than this cpns-server"));
}

TEST_P(SeedStoreConformanceTest, AuditRowsOfSchemaVersion3CountOnceAfterMigration) {
  const bool sqlite = GetParam().name == "sqlite";
  std::string sql =
      "CREATE TABLE cpns_schema_migrations (version INTEGER PRIMARY KEY, "
      "description TEXT NOT NULL, applied_at BIGINT NOT NULL);";
  for (const Migration& m : Migrations()) {
    if (m.version > 3) break;
    absl::StrAppend(&sql, sqlite ? m.sqlite_sql : m.postgres_sql,
                    "INSERT INTO cpns_schema_migrations VALUES (", m.version, ", 'v', 0);");
  }
  absl::StrAppend(&sql, "INSERT INTO audit_log (at, actor, action, gw_id, seed_epoch, detail) "
                        "VALUES (1, 'admin', 'seed.retire', 'gw-a', 1, 'retired');");
  GetParam().raw_sql(url_, sql);
  auto store = Open();  // migrates
  EXPECT_EQ(Ok(store->SchemaVersion()), kLatestSchemaVersion);
  const std::vector<AuditEvent> rows = Ok(store->ListAudit({}));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].detail, "retired");
  EXPECT_EQ(rows[0].count, 1);
}

TEST_P(SeedStoreConformanceTest, CheckSealedNamesEveryRowThatDoesNotOpenUnderTheKeys) {
  {
    auto store = Open();
    ASSERT_TRUE(store->GetOrCreateActive(Gw("gw-a")).ok());
    ASSERT_TRUE(store->GetOrCreateActive(Gw("gw-b")).ok());
    ASSERT_TRUE(store->GetOrCreateServerSecret("challenge").ok());
    const SealCheck good = Ok(store->CheckSealed());
    EXPECT_EQ(good.checked, 3);
    EXPECT_THAT(good.faults, IsEmpty());
  }
  const Kek other = *Kek::Generate();
  const KeyRing wrong = Ring({&other});
  const SealCheck bad = Ok(Open(&wrong)->CheckSealed());
  EXPECT_EQ(bad.checked, 3);
  ASSERT_EQ(bad.faults.size(), 3u);
  EXPECT_THAT(bad.faults[0], HasSubstr("1st seed of gateway gw-a epoch 1 (KEK "));
  EXPECT_THAT(bad.faults[1], HasSubstr("gateway gw-b epoch 1"));
  EXPECT_THAT(bad.faults[2], HasSubstr("server secret 'challenge'"));
  EXPECT_EQ(Open(nullptr, false)->CheckSealed().status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace cpns::storage::conformance
