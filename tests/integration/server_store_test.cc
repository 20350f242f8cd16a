// The CPNS Server on its two stores, with the real programs: replicas on one
// PostgreSQL database, a database outage, encryption at rest, KEK handling.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cpns/core/hex.h"
#include "flow_fixture.h"
#include "pg_util.h"
#include "seed_client.h"

namespace cpns::test {
namespace {

using ::testing::HasSubstr;

class ServerStoreTest : public FlowTest {
 protected:
};

TEST_F(ServerStoreTest, ReplicasOnOnePostgresDatabaseAgreeOnOneSeed) {
  ASSERT_NO_FATAL_FAILURE(UsePostgres());
  const std::string kek = NewKek();
  Daemon r1 = StartServer({"--kek-file", kek});
  Daemon r2 = StartServer({"--kek-file", kek});
  Daemon r3 = StartServer({"--kek-file", kek});
  const std::vector<std::string> replicas = {r1.address, r2.address, r3.address};

  constexpr int kThreads = 12, kPerThread = 25;  // 300 concurrent-ish requests
  std::vector<std::string> seen(kThreads * kPerThread);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto stub = GatewayStub(replicas[t % replicas.size()], pki_dir_, "gw-A");
      for (int i = 0; i < kPerThread; ++i) {
        cpns::v1::FirstSeedResponse r;
        const grpc::Status s = RequestSeed(*stub, "gw-A", &r);
        seen[t * kPerThread + i] =
            s.ok() ? absl::StrCat(HexEncode(r.first_seed()), "/", r.seed_epoch())
                   : "error: " + s.error_message();
      }
    });
  }
  for (auto& t : threads) t.join();
  const std::set<std::string> distinct(seen.begin(), seen.end());
  EXPECT_EQ(distinct.size(), 1u) << *distinct.begin();
  EXPECT_EQ(seen[0].substr(64), "/1");
  EXPECT_EQ(SeedsList().size(), 1u);
}

TEST_F(ServerStoreTest, PostgresOutageGivesQuickUnavailableThenRecoversWithoutRestart) {
  PrivatePgCluster cluster(dir_ + "/pg");
  ASSERT_NO_FATAL_FAILURE(UsePostgres(cluster.url()));
  Daemon server = StartServer({"--kek-file", NewKek()});
  auto stub = GatewayStub(server.address, pki_dir_, "gw-A");
  auto stub_b = GatewayStub(server.address, pki_dir_, "gw-B");
  cpns::v1::FirstSeedResponse before;
  ASSERT_TRUE(RequestSeed(*stub, "gw-A", &before).ok());

  ASSERT_TRUE(cluster.Stop());
  cpns::v1::FirstSeedResponse r;
  // A 20 s deadline: a hang would show up as DEADLINE_EXCEEDED.
  grpc::Status down = RequestSeed(*stub, "gw-A", &r, 20);
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE) << down.error_message();
  EXPECT_THAT(down.error_message(), HasSubstr("store is unavailable"));
  EXPECT_THAT(server.process->log(), HasSubstr("PostgreSQL")) << "details stay in the log";
  down = RequestSeed(*stub_b, "gw-B", &r, 20);
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE) << down.error_message();
  EXPECT_TRUE(server.process->running());

  ASSERT_TRUE(cluster.Start());
  cpns::v1::FirstSeedResponse after, b;
  const grpc::Status up = RequestSeed(*stub, "gw-A", &after);
  ASSERT_TRUE(up.ok()) << up.error_message();
  EXPECT_EQ(after.first_seed(), before.first_seed());
  EXPECT_TRUE(RequestSeed(*stub_b, "gw-B", &b).ok());
  EXPECT_EQ(SeedsList().size(), 2u);

  // A dump of the database does not contain a seed, in any encoding.
  const std::string dump = cluster.Dump(db_.substr(db_.rfind('/') + 1));
  EXPECT_THAT(dump, HasSubstr("first_seeds"));
  for (const std::string& seed : {after.first_seed(), b.first_seed()}) {
    EXPECT_EQ(dump.find(HexEncode(seed)), std::string::npos);
    EXPECT_EQ(dump.find(seed), std::string::npos);
  }
}

TEST_F(ServerStoreTest, SqliteFileAndWalHoldNoPlaintextSeed) {
  Daemon server = StartServer({"--kek-file", NewKek()});
  auto stub = GatewayStub(server.address, pki_dir_, "gw-A");
  cpns::v1::FirstSeedResponse r;
  ASSERT_TRUE(RequestSeed(*stub, "gw-A", &r).ok());
  const std::string bytes = ReadFileOrEmpty(db_) + ReadFileOrEmpty(db_ + "-wal");
  ASSERT_FALSE(bytes.empty());
  EXPECT_NE(bytes.find("gw-A"), std::string::npos) << "the row is there";
  EXPECT_EQ(bytes.find(r.first_seed()), std::string::npos);
  EXPECT_EQ(bytes.find(HexEncode(r.first_seed())), std::string::npos);
}

TEST_F(ServerStoreTest, KekFileMustBePrivateAndIsNeverOverwritten) {
  const std::string kek = NewKek();
  struct stat st;
  ASSERT_EQ(stat(kek.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const RunResult again = RunProgram({Program("cpns-server"), "init", "--kek-file", kek});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("exists; not overwriting"));

  ASSERT_EQ(chmod(kek.c_str(), 0644), 0);
  const RunResult serve = RunProgram({Program("cpns-server"), "serve", "--listen", "127.0.0.1:0",
                                      "--db", db_, "--cert", Pki("server.crt"), "--key",
                                      Pki("server.key"), "--client-ca", Pki("ca.crt"),
                                      "--kek-file", kek});
  EXPECT_EQ(serve.exit_code, 1);
  EXPECT_THAT(serve.err, HasSubstr("KEK file: " + kek +
                                    " is readable by group or others (mode 0644); chmod 600 it"));
}

// The procedure of docs/OPERATIONS.md: the server holds both KEKs while
// `kek rotate` runs, keeps serving throughout, and then runs on the new one.
TEST_F(ServerStoreTest, KekRotationKeepsEverySeedAndRetiresTheOldKek) {
  const std::string old_kek = NewKek("old.kek");
  const std::string new_kek = NewKek("new.kek");
  std::string seed_a;
  {
    Daemon server = StartServer({"--kek-file", old_kek, "--kek-file", new_kek});
    auto stub = GatewayStub(server.address, pki_dir_, "gw-A");
    cpns::v1::FirstSeedResponse r;
    ASSERT_TRUE(RequestSeed(*stub, "gw-A", &r).ok());
    seed_a = r.first_seed();
    const std::string old_id = SeedsList()[0]["kek_id"];
    const RunResult rotate = RunProgram({Program("cpns-server"), "kek", "rotate", "--db", db_,
                                         "--kek-file", old_kek, "--new-kek-file", new_kek});
    ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
    EXPECT_THAT(rotate.out, HasSubstr("re-sealed 2 secrets"));  // the seed, the challenge key
    // The running server still serves the re-sealed row.
    cpns::v1::FirstSeedResponse during;
    ASSERT_TRUE(RequestSeed(*stub, "gw-A", &during).ok());
    EXPECT_EQ(during.first_seed(), seed_a);
    EXPECT_NE(SeedsList()[0]["kek_id"], old_id);
  }
  Daemon server = StartServer({"--kek-file", new_kek});
  auto stub = GatewayStub(server.address, pki_dir_, "gw-A");
  cpns::v1::FirstSeedResponse r;
  ASSERT_TRUE(RequestSeed(*stub, "gw-A", &r).ok());
  EXPECT_EQ(r.first_seed(), seed_a);
  EXPECT_THAT(server.process->log(), HasSubstr(SeedsList()[0]["kek_id"].get<std::string>()))
      << "the new KEK, which this server seals with, is the row's KEK";
}

TEST_F(ServerStoreTest, KekFromTheEnvironmentSealsAndNoKekFileIsCreated) {
  // This test runs in its own process (one ctest entry per test).
  ASSERT_EQ(setenv("CPNS_KEK", std::string(64, 'a').c_str(), 1), 0);
  Daemon server = StartServer();
  unsetenv("CPNS_KEK");
  auto stub = GatewayStub(server.address, pki_dir_, "gw-A");
  cpns::v1::FirstSeedResponse r;
  ASSERT_TRUE(RequestSeed(*stub, "gw-A", &r).ok());
  struct stat st;
  EXPECT_NE(stat((db_ + ".kek").c_str(), &st), 0) << "no default KEK file when $CPNS_KEK is set";
  // A server given another KEK refuses to start: it cannot open the store's
  // sealed server secret, and says which KEK it lacks.
  server.process->Terminate();
  const RunResult other = RunProgram(
      {Program("cpns-server"), "serve", "--listen", "127.0.0.1:0", "--db", db_, "--cert",
       Pki("server.crt"), "--key", Pki("server.key"), "--client-ca", Pki("ca.crt"),
       "--kek-file", NewKek()});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_THAT(other.err, HasSubstr("does not hold KEK"));
}

TEST_F(ServerStoreTest, PostgresServerRefusesAnUnmigratedDatabase) {
  ASSERT_FALSE(test::PgFixtureUrl().empty());
  db_ = test::NewPgDatabase();
  const RunResult r = RunProgram({Program("cpns-server"), "serve", "--listen", "127.0.0.1:0",
                                  "--db", db_, "--cert", Pki("server.crt"), "--key",
                                  Pki("server.key"), "--client-ca", Pki("ca.crt"), "--kek-file",
                                  NewKek()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("run: cpns-server migrate --db URL"));
}

}  // namespace
}  // namespace cpns::test
