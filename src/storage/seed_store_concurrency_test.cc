// SeedStore conformance: several replicas (store handles) at once on one database.
#include "storage/seed_store_conformance.h"

#include <atomic>

#include "cpns/core/hex.h"

namespace cpns::storage::conformance {
namespace {

TEST_P(SeedStoreConformanceTest, ConcurrentRequestsOnSeveralHandlesMakeOneSeed) {
  constexpr int kHandles = 4;
  constexpr int kThreadsPerHandle = 8;
  std::vector<std::unique_ptr<SeedStore>> handles;
  for (int i = 0; i < kHandles; ++i) handles.push_back(Open());
  std::vector<std::string> seen(kHandles * kThreadsPerHandle);
  std::vector<std::thread> threads;
  for (int i = 0; i < kHandles * kThreadsPerHandle; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<StoredSeed> s = handles[i % kHandles]->GetOrCreateActive(Gw("gw-race"));
      seen[i] = s.ok() ? absl::StrCat(s->first_seed.RevealSecret(), "/", s->seed_epoch)
                       : "error: " + s.status().ToString();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 1u) << seen[0];
  EXPECT_EQ(seen[0].size(), 34u) << seen[0];
  EXPECT_EQ(handles[0]->List()->size(), 1u);
}

// New gateways' seeds are issued in group commits: a batch mixes gateways
// asked for by several threads, a revoked one and one with an older epoch;
// each gets what it would alone, and every fresh gateway exactly one epoch
// with one seed.issue row.
TEST_P(SeedStoreConformanceTest, ConcurrentNewGatewaysInOneBatchEachGetWhatTheyWouldAlone) {
  constexpr int kHandles = 2;  // replicas
  constexpr int kThreads = 18;
  std::vector<std::unique_ptr<SeedStore>> handles;
  for (int i = 0; i < kHandles; ++i) handles.push_back(Open());
  ASSERT_TRUE(handles[0]->RevokeGateway(Gw("gw-revoked"), "stolen", "admin:test").ok());
  ASSERT_EQ(Ok(handles[0]->GetOrCreateActive(Gw("gw-old"))).seed_epoch, 1u);
  ASSERT_TRUE(handles[0]->RevokeEpoch(Gw("gw-old"), 1, "leaked", "admin:test").ok());
  const std::vector<std::string> names = {"gw-n0", "gw-n1", "gw-n2", "gw-n3", "gw-revoked",
                                          "gw-old"};
  std::vector<absl::StatusOr<StoredSeed>> got(kThreads, absl::UnknownError("not run"));
  // What another replica reads right after each call returned: a seed
  // returned before its commit would be missing there.
  std::vector<absl::StatusOr<StoredSeed>> read_back(kThreads, absl::UnknownError("not run"));
  RunTogether(kThreads, [&](int i) {
    got[i] = handles[i % kHandles]->GetOrCreateActive(Gw(names[i % names.size()]));
    if (got[i].ok()) {
      read_back[i] = handles[(i + 1) % kHandles]->Get(Gw(names[i % names.size()]),
                                                      got[i]->seed_epoch);
    }
  });
  for (int i = 0; i < kThreads; ++i) {
    const std::string& name = names[i % names.size()];
    if (name == "gw-revoked") {
      EXPECT_TRUE(absl::IsPermissionDenied(got[i].status())) << got[i].status();
      continue;
    }
    ASSERT_TRUE(got[i].ok()) << name << ": " << got[i].status();
    EXPECT_EQ(got[i]->seed_epoch, name == "gw-old" ? 2u : 1u) << name;
    const StoredSeed& first = *got[i % names.size()];
    EXPECT_EQ(got[i]->first_seed.RevealSecret(), first.first_seed.RevealSecret()) << name;
    ASSERT_TRUE(read_back[i].ok()) << name << " was returned before it was stored: "
                                   << read_back[i].status();
    EXPECT_EQ(read_back[i]->first_seed.RevealSecret(), got[i]->first_seed.RevealSecret())
        << name;
  }
  for (int n = 0; n < 4; ++n) {
    const std::string name = names[n];
    EXPECT_EQ(Ok(handles[0]->ListGateways(Gw(name)))[0].seeds.size(), 1u) << name;
    EXPECT_EQ(Ok(handles[0]->ListAudit({.gw_id = name, .action = kAuditSeedIssue})).size(), 1u)
        << name;
  }
  EXPECT_TRUE(Ok(handles[0]->ListGateways(Gw("gw-revoked")))[0].seeds.empty());
}

TEST_P(SeedStoreConformanceTest, ConcurrentRenewalsOfOneEpochMakeExactlyOneNewEpoch) {
  constexpr int kHandles = 3;  // replicas
  constexpr int kThreads = 12;
  std::vector<std::unique_ptr<SeedStore>> handles;
  for (int i = 0; i < kHandles; ++i) handles.push_back(Open());
  const IssueOptions renew{.lifetime = absl::Hours(100), .renew_epoch = 1};
  ASSERT_EQ(Ok(handles[0]->GetOrCreateActive(Gw("gw-a"), renew)).seed_epoch, 1u);
  clock_.Advance(absl::Hours(30));
  std::vector<std::string> seen(kThreads);
  RunTogether(kThreads, [&](int i) {
    absl::StatusOr<StoredSeed> s = handles[i % kHandles]->GetOrCreateActive(Gw("gw-a"), renew);
    seen[i] = s.ok() ? absl::StrCat(s->seed_epoch, "/", HexEncode(s->first_seed.RevealSecret()))
                     : s.status().ToString();
  });
  EXPECT_THAT(seen, Each(Eq(seen[0])));
  EXPECT_THAT(seen[0], StartsWith("2/"));
  EXPECT_THAT(States(Ok(handles[0]->List())), ElementsAre(SeedState::kRotated, SeedState::kActive));
  EXPECT_EQ(Ok(handles[0]->ListAudit({.action = kAuditSeedRotate})).size(), 1u);
}

// Whether `s` is what an issuer or rotator may get while a revocation races
// it: success, PermissionDenied, or NotFound (Rotate before the first seed).
bool ExpectedDuringRevocation(const absl::Status& s) {
  return s.ok() || absl::IsPermissionDenied(s) || absl::IsNotFound(s);
}

TEST_P(SeedStoreConformanceTest, RevokingAGatewayWhileReplicasIssueAndRotateLeavesNoActiveSeed) {
  constexpr int kHandles = 3;  // replicas
  constexpr int kIssuers = 4;
  constexpr int kRotators = 2;
  std::vector<std::unique_ptr<SeedStore>> handles;
  for (int i = 0; i < kHandles; ++i) handles.push_back(Open());
  for (int round = 0; round < 4; ++round) {
    const GatewayId gw = Gw(absl::StrCat("gw-race-", round));
    std::atomic<int> ops{0};
    std::atomic<bool> revoked{false};
    std::vector<std::string> errors(1 + kIssuers + kRotators);
    // One operation by worker i; records what it must not have returned.
    auto work = [&](int i, uint32_t& epoch) -> absl::Status {
      SeedStore& store = *handles[i % kHandles];
      if (i > kIssuers) return store.Rotate(gw, absl::Hours(1), "admin:race").status();
      // Seeds live 4 s and the clock moves 1 s per request, so renewals and
      // expiries keep issuing new epochs.
      clock_.Advance(absl::Seconds(1));
      absl::StatusOr<StoredSeed> s =
          store.GetOrCreateActive(gw, {.lifetime = absl::Seconds(4), .renew_epoch = epoch});
      if (s.ok()) epoch = s->seed_epoch;
      return s.status();
    };
    RunTogether(1 + kIssuers + kRotators, [&](int i) {
      if (i == 0) {  // the revoker, after a few operations (none in round 0)
        while (ops.load() < 4 * round) std::this_thread::yield();
        absl::Status s = handles[0]->RevokeGateway(gw, "race", "admin:race");
        if (!s.ok()) errors[i] = s.ToString();
        revoked.store(true);
        return;
      }
      uint32_t epoch = 0;
      while (!revoked.load()) {
        absl::Status s = work(i, epoch);
        if (!ExpectedDuringRevocation(s)) errors[i] = s.ToString();
        ++ops;
      }
      absl::Status after = work(i, epoch);
      if (!absl::IsPermissionDenied(after)) errors[i] = "after revocation: " + after.ToString();
    });
    EXPECT_THAT(errors, Each(IsEmpty())) << gw.value();
    const std::vector<GatewayRecord> found = Ok(Open()->ListGateways(gw));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_TRUE(found[0].revoked_at.has_value());
    EXPECT_EQ(found[0].active(), nullptr) << gw.value() << " has an active seed";
    EXPECT_THAT(States(found[0].seeds), Each(SeedState::kRevoked));
  }
}

}  // namespace
}  // namespace cpns::storage::conformance
