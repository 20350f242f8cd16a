// A store that goes bad under a running server, and `cpns-server check`: the
// real cpns-server on a real SQLite file (and PostgreSQL for the KEK check).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "flow_fixture.h"
#include "pg_util.h"
#include "seed_client.h"

namespace cpns::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class StoreFaultTest : public FlowTest {
 protected:
  grpc::Status Seed(const Daemon& server, const std::string& gw_id) {
    cpns::v1::FirstSeedResponse r;
    return RequestSeed(*GatewayStub(server.address, pki_dir_, gw_id), gw_id, &r);
  }
  RunResult Check(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {Program("cpns-server"), "check", "--db", db_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunProgram(argv);
  }
  // Every page of the database file but the first becomes garbage, as a
  // failing disk or a stray writer would leave it.
  void ScribbleOverPages() {
    std::fstream f(db_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(0, std::ios::end);
    const std::streamoff size = f.tellg();
    ASSERT_GT(size, 4 * 4096);
    f.seekp(4096);
    const std::string garbage(static_cast<size_t>(size - 4096), '\x5A');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
};

TEST_F(StoreFaultTest, AStoreCorruptedWhileServingFailsTheRequestAndEndsTheServer) {
  // Migrated and closed first, so the schema is in the file, not its WAL.
  const RunResult m = RunProgram({Program("cpns-server"), "migrate", "--db", db_});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  Daemon server = StartServer();
  ASSERT_TRUE(Seed(server, "gw-00").ok());

  ScribbleOverPages();
  const grpc::Status s = Seed(server, "gw-01");
  EXPECT_FALSE(s.ok()) << "a corrupt store issued a seed";
  const std::optional<int> code = server.process->WaitForExit(10000);
  ASSERT_TRUE(code.has_value()) << "the server lingers on a corrupt store\n"
                                << server.process->log();
  EXPECT_EQ(*code, 3) << server.process->log();
  EXPECT_THAT(server.process->log(), HasSubstr("the store is corrupt"));

  const RunResult check = Check();
  EXPECT_EQ(check.exit_code, 1) << check.out << check.err;
  EXPECT_THAT(check.out, HasSubstr("FAULT: "));
  EXPECT_THAT(check.out, HasSubstr("corrupt"));

  Process restart({Program("cpns-server"), "serve", "--listen", "127.0.0.1:0", "--db", db_,
                   "--cert", Pki("server.crt"), "--key", Pki("server.key"), "--client-ca",
                   Pki("ca.crt")},
                  dir_ + "/restart.log");
  const std::optional<int> restart_code = restart.WaitForExit(10000);
  ASSERT_TRUE(restart_code.has_value()) << "a corrupt store was served again";
  EXPECT_NE(*restart_code, 0);
  EXPECT_THAT(restart.log(), HasSubstr("DATA_LOSS"));
}

TEST_F(StoreFaultTest, CheckPassesASoundSqliteStoreAndNamesAGarbageHeader) {
  Daemon server = StartServer();
  ASSERT_TRUE(Seed(server, "gw-00").ok());
  ASSERT_TRUE(Seed(server, "gw-01").ok());
  ASSERT_EQ(server.process->Terminate(), 0);

  const RunResult good = Check();
  EXPECT_EQ(good.exit_code, 0) << good.out << good.err;
  EXPECT_THAT(good.out, HasSubstr("integrity_check and schema tables: ok"));
  EXPECT_THAT(good.out, HasSubstr("3 checked, 0 do not open"));  // 2 seeds, the challenge key
  EXPECT_THAT(good.out, HasSubstr("store is sound"));

  {
    std::fstream f(db_, std::ios::in | std::ios::out | std::ios::binary);
    f.write("this is not SQLite", 18);
  }
  const RunResult bad = Check();
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.out, HasSubstr("FAULT: "));
  EXPECT_THAT(bad.out, HasSubstr("not a database"));
}

TEST_F(StoreFaultTest, CheckOnPostgresNamesEverySeedThatDoesNotOpenUnderTheKek) {
  ASSERT_NO_FATAL_FAILURE(UsePostgres());
  const std::string kek = NewKek("kek"), other = NewKek("other");
  Daemon server = StartServer({"--kek-file", kek});
  ASSERT_TRUE(Seed(server, "gw-00").ok());
  ASSERT_TRUE(Seed(server, "gw-01").ok());
  ASSERT_EQ(server.process->Terminate(), 0);

  const RunResult good = Check({"--kek-file", kek});
  EXPECT_EQ(good.exit_code, 0) << good.out << good.err;
  EXPECT_THAT(good.out, HasSubstr("3 checked, 0 do not open"));

  const RunResult wrong = Check({"--kek-file", other});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.out << wrong.err;
  EXPECT_THAT(wrong.out, HasSubstr("FAULT: 1st seed of gateway gw-00 epoch 1"));
  EXPECT_THAT(wrong.out, HasSubstr("FAULT: 1st seed of gateway gw-01 epoch 1"));
  EXPECT_THAT(wrong.out, HasSubstr("does not open"));
  EXPECT_THAT(wrong.out, HasSubstr("3 fault(s) found"));

  // Without a KEK there is nothing to check on PostgreSQL: not "sound".
  const RunResult none = Check();
  EXPECT_EQ(none.exit_code, 1) << none.out << none.err;
  EXPECT_THAT(none.err, HasSubstr("checking a PostgreSQL store needs its KEKs"));
  EXPECT_THAT(none.out, Not(HasSubstr("store is sound")));
}

}  // namespace
}  // namespace cpns::test
