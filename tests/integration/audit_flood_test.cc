// The audit log under a flood of refused authentications from callers
// without a certificate, and audit retention: the real cpns-server on a
// real SQLite file (and PostgreSQL for retention).
#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "core/fake_clock.h"
#include "cpns/core/identifiers.h"
#include "cpns/v1/cpns.grpc.pb.h"
#include "flow_fixture.h"
#include "pg_util.h"
#include "seed_client.h"
#include "storage/open_store.h"
#include "wire/tls.h"

namespace cpns::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

int64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

class AuditFloodTest : public FlowTest {
 protected:
  int64_t StoreSize() { return FileSize(db_) + FileSize(db_ + "-wal"); }

  nlohmann::json Audit(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {Program("cpns-server"), "audit", "list", "--db", db_,
                                     "--json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const RunResult r = RunProgram(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }

  // `calls` refused Authenticate calls with 255-byte ids, as an assignee
  // without a certificate; returns how many were refused.
  int Flood(const std::string& server, int calls) {
    auto creds = wire::MakeChannelCredentials({.ca_file = Pki("ca.crt")});
    auto stub = cpns::v1::AuthService::NewStub(grpc::CreateChannel(server, *creds));
    cpns::v1::ChallengeResponse challenge;
    {
      grpc::ClientContext ctx;
      EXPECT_TRUE(stub->GetChallenge(&ctx, {}, &challenge).ok());
    }
    cpns::v1::AuthenticateRequest r;
    r.set_challenge(challenge.challenge());
    r.set_client_nonce(std::string(16, 'n'));
    r.set_gw_id(std::string(255, 'g'));
    r.set_seed_epoch(1);
    r.set_entity_type(cpns::v1::ENTITY_TYPE_PNE);
    r.set_entity_id(std::string(255, 'e'));
    r.set_user_id(std::string(255, 'u'));
    r.set_second_seed(std::string(32, 's'));
    r.set_not_after(absl::ToUnixSeconds(absl::Now()) + 3600);
    r.set_proof(std::string(32, 'p'));
    int refused = 0;
    for (int i = 0; i < calls; ++i) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
      cpns::v1::AuthenticateResponse response;
      const grpc::Status s = stub->Authenticate(&ctx, r, &response);
      if (s.error_code() == grpc::StatusCode::NOT_FOUND) ++refused;
    }
    return refused;
  }

  // Revokes `gw_id` with the admin command: one audit row.
  void Revoke(const std::string& gw_id) {
    const RunResult r = RunProgram(
        {Program("cpns-server"), "gateways", "revoke", "--db", db_, "--gw-id", gw_id});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Revokes `gw_id` as an administrator did an hour ago: one audit row.
  void RevokeAnHourAgo(const std::string& gw_id) {
    FakeClock an_hour_ago(absl::Now() - absl::Hours(1));
    auto store = storage::OpenSeedStore(db_, {.writable = true}, an_hour_ago);
    ASSERT_TRUE(store.ok()) << store.status();
    const absl::Status s = (*store)->RevokeGateway(*GatewayId::Parse(gw_id), "test", "admin:test");
    ASSERT_TRUE(s.ok()) << s;
  }

  // Rows before the second of a first batch go; rows of a later second,
  // and the prune's own row, stay.
  void PruneKeepsWhatIsNewer() {
    RevokeAnHourAgo("gw-old-1");
    RevokeAnHourAgo("gw-old-2");
    const int64_t old_at = Audit().back()["at"].get<int64_t>();
    Revoke("gw-new");
    const nlohmann::json before = Audit();
    const int64_t new_at = before.back()["at"].get<int64_t>();
    ASSERT_GT(new_at, old_at);

    const RunResult r = RunProgram({Program("cpns-server"), "audit", "prune", "--db", db_,
                                    "--before", before.back()["at_utc"].get<std::string>()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("removed 2 audit row(s)"));
    const nlohmann::json after = Audit();
    ASSERT_EQ(after.size(), 2u) << after.dump();
    EXPECT_EQ(after[0]["gw_id"], "gw-new");
    EXPECT_EQ(after[1]["action"], "audit.prune");
    EXPECT_THAT(after[1]["actor"].get<std::string>(), HasSubstr("admin:"));
    EXPECT_THAT(after[1]["detail"].get<std::string>(), HasSubstr("removed 2"));

    const RunResult future = RunProgram({Program("cpns-server"), "audit", "prune", "--db", db_,
                                         "--before", "2999-01-01T00:00:00Z"});
    EXPECT_EQ(future.exit_code, 1);
    EXPECT_THAT(future.err, HasSubstr("in the future"));
    // An age and a date: nothing is that old.
    for (const char* when : {"1d", "2000-01-01"}) {
      const RunResult none =
          RunProgram({Program("cpns-server"), "audit", "prune", "--db", db_, "--before", when});
      EXPECT_EQ(none.exit_code, 0) << none.err;
      EXPECT_THAT(none.out, HasSubstr("removed 0 audit row(s)")) << when;
    }
    EXPECT_EQ(Audit({"--action", "audit.prune"}).size(), 3u);
  }
};

TEST_F(AuditFloodTest, AFloodOfRefusalsIsCountedNotWrittenAndSeedsKeepFlowing) {
  Daemon server = StartServer();
  cpns::v1::FirstSeedResponse seed;
  ASSERT_TRUE(RequestSeed(*GatewayStub(server.address, pki_dir_, "gw-00"), "gw-00", &seed).ok());
  const int64_t size_before = StoreSize();

  constexpr int kThreads = 4, kPerThread = 750;  // 3,000 refused calls
  std::atomic<int> refused{0};
  std::atomic<int> issued_during{0};
  std::atomic<bool> flooding{true};
  std::thread gateways([&] {
    // New gateways ask for their 1st seed while the flood goes on.
    for (int i = 1; i <= 20 && flooding.load(); ++i) {
      const std::string gw = absl::StrFormat("gw-%02d", i);
      cpns::v1::FirstSeedResponse r;
      if (RequestSeed(*GatewayStub(server.address, pki_dir_, gw), gw, &r).ok()) ++issued_during;
    }
  });
  std::vector<std::thread> flood;
  for (int t = 0; t < kThreads; ++t) {
    flood.emplace_back([&] { refused += Flood(server.address, kPerThread); });
  }
  for (std::thread& t : flood) t.join();
  flooding = false;
  gateways.join();
  EXPECT_EQ(refused.load(), kThreads * kPerThread);
  EXPECT_GT(issued_during.load(), 0) << "no gateway got a seed during the flood";

  cpns::v1::FirstSeedResponse after;
  ASSERT_TRUE(RequestSeed(*GatewayStub(server.address, pki_dir_, "gw-90"), "gw-90", &after).ok());
  EXPECT_EQ(after.seed_epoch(), 1u);
  ASSERT_EQ(server.process->Terminate(), 0) << server.process->log();
  EXPECT_LT(StoreSize() - size_before, 1 << 20) << "the store grew by 1 MiB or more";

  // Written at shutdown: rows with counts, none holding the 255-byte ids.
  const nlohmann::json rows = Audit({"--action", "auth.refused"});
  int64_t counted = 0, largest = 0;
  for (const auto& row : rows) {
    counted += row["count"].get<int64_t>();
    largest = std::max(largest, row["count"].get<int64_t>());
    EXPECT_THAT(row["actor"].get<std::string>(), HasSubstr("peer:ipv4:127.0.0.1"));
    EXPECT_THAT(row["detail"].get<std::string>(), HasSubstr("NOT_FOUND"));
    EXPECT_THAT(row.dump(), Not(HasSubstr(std::string(64, 'g'))));
  }
  EXPECT_EQ(counted, kThreads * kPerThread);
  EXPECT_GT(largest, 1);
  EXPECT_LE(rows.size(), 4u) << rows.dump();
  EXPECT_THAT(server.process->log(), Not(HasSubstr(std::string(64, 'e'))))
      << "a refusal logged an attacker's long id";
}

TEST_F(AuditFloodTest, PruneRemovesOlderRowsOnSqlite) {
  const RunResult m = RunProgram({Program("cpns-server"), "migrate", "--db", db_});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  PruneKeepsWhatIsNewer();
}

TEST_F(AuditFloodTest, PruneRemovesOlderRowsOnPostgres) {
  ASSERT_NO_FATAL_FAILURE(UsePostgres());
  PruneKeepsWhatIsNewer();
}

TEST_F(AuditFloodTest, PruneRefusesATimeItCannotRead) {
  const RunResult r = RunProgram(
      {Program("cpns-server"), "audit", "prune", "--db", db_, "--before", "last tuesday"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("--before 'last tuesday' is neither"));
}

}  // namespace
}  // namespace cpns::test
