// The EUKey lifecycle with the real programs: seed rotation and the
// gateway's own refresh, retirement, revocation of a key, an epoch and a
// gateway (also across two replicas on one PostgreSQL store), the admin
// commands and the audit log.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cpns/assignee/key_file.h"
#include "cpns/core/hex.h"
#include "cpns/core/kdf.h"
#include "flow_fixture.h"
#include "pg_util.h"
#include "seed_client.h"

namespace cpns::test {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

class LifecycleTest : public FlowTest {
 protected:
  // A gateway that polls the server for its seed status every second.
  Daemon StartPollingGateway(const std::string& server, std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"--seed-check-interval", "1s"});
    return StartGateway("gw-A", server, "", extra);
  }
  // `cpns-pne request --save` into dir_/<name>.key; returns the path.
  std::string Assign(const Daemon& gw, const std::string& name) {
    const std::string file = absl::StrCat(dir_, "/", name, ".key");
    const RunResult r = Request(gw.address, name, "alice", {"--save", file});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return file;
  }
  uint32_t EpochOf(const std::string& key_file) {
    auto a = assignee::LoadAssignment(key_file);
    EXPECT_TRUE(a.ok()) << a.status();
    return a.ok() ? a->seed_epoch : 0;
  }
  // Assigns until a key of `epoch` comes back (the gateway refreshes on its
  // own), for at most 30 s; returns its file or "".
  std::string AssignUntilEpoch(const Daemon& gw, uint32_t epoch) {
    int probes = 0;
    std::string file;
    const bool got = WaitUntil([&] {
      file = Assign(gw, absl::StrCat("probe", probes++));
      return EpochOf(file) == epoch;
    }, absl::Seconds(30), absl::Milliseconds(100));
    return got ? file : "";
  }
  RunResult Authenticate(const std::string& key_file, const Daemon& server) {
    return RunProgram({Program("cpns-pne"), "authenticate", "--key-file", key_file, "--server",
                       server.address, "--server-ca", Pki("ca.crt")});
  }
  // cpns-server <args...> --db db_; expects exit 0 and returns stdout as JSON
  // when --json is among the args.
  RunResult Admin(std::vector<std::string> args) {
    std::vector<std::string> argv = {Program("cpns-server")};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--db", db_});
    return RunProgram(argv);
  }
  json AdminJson(std::vector<std::string> args) {
    args.push_back("--json");
    const RunResult r = Admin(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json();
  }
  // The actions in the audit log, oldest first.
  std::vector<std::string> AuditActions() {
    std::vector<std::string> out;
    for (const json& e : AdminJson({"audit", "list"})) out.push_back(e["action"]);
    return out;
  }
};

TEST_F(LifecycleTest, RotationGatewayRefreshOldKeyValidUntilRetired) {
  Daemon server = StartServer();
  Daemon gw = StartPollingGateway(server.address);
  const std::string old_key = Assign(gw, "headset");
  ASSERT_EQ(EpochOf(old_key), 1u);

  const json rotated = AdminJson({"seeds", "rotate", "--gw-id", "gw-A"});
  EXPECT_EQ(rotated["seed_epoch"], 2);
  EXPECT_EQ(rotated["state"], "active");
  // No operator touches the gateway: it learns of epoch 2 by itself.
  const std::string new_key = AssignUntilEpoch(gw, 2);
  ASSERT_FALSE(new_key.empty()) << gw.process->log();
  EXPECT_THAT(gw.process->log(), HasSubstr("epoch=2"));

  // Both keys authenticate while epoch 1 is only rotated.
  EXPECT_EQ(Authenticate(old_key, server).exit_code, 0) << Authenticate(old_key, server).err;
  EXPECT_EQ(Authenticate(new_key, server).exit_code, 0);

  // Retiring the active epoch is refused; retiring epoch 1 stops its keys.
  const RunResult active = Admin({"seeds", "retire", "--gw-id", "gw-A", "--epoch", "2"});
  EXPECT_EQ(active.exit_code, 1);
  EXPECT_THAT(active.err, HasSubstr("FAILED_PRECONDITION"));
  EXPECT_THAT(active.err, HasSubstr("rotate first"));
  ASSERT_EQ(Admin({"seeds", "retire", "--gw-id", "gw-A", "--epoch", "1"}).exit_code, 0);
  const RunResult refused = Authenticate(old_key, server);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("PERMISSION_DENIED"));
  EXPECT_THAT(refused.err, HasSubstr("seed epoch 1 of gateway gw-A is retired"));
  EXPECT_EQ(Authenticate(new_key, server).exit_code, 0);

  const json shown = AdminJson({"gateways", "show", "--gw-id", "gw-A"});
  EXPECT_EQ(shown["active_epoch"], 2);
  ASSERT_EQ(shown["seeds"].size(), 2u);
  EXPECT_EQ(shown["seeds"][0]["state"], "retired");
  EXPECT_EQ(shown["seeds"][1]["state"], "active");

  const json audit = AdminJson({"audit", "list"});
  std::vector<std::string> actions;
  for (const json& e : audit) actions.push_back(e["action"]);
  EXPECT_THAT(actions, ::testing::IsSupersetOf({"seed.issue", "seed.rotate", "seed.retire",
                                                "auth.refused"}));
  for (const json& e : audit) {
    if (e["action"] == "seed.issue") {
      EXPECT_EQ(e["actor"], "gw:gw-A");
    }
    if (e["action"] == "seed.retire") {
      EXPECT_THAT(std::string(e["actor"]), HasSubstr("admin:"));
      EXPECT_EQ(e["seed_epoch"], 1);
    }
  }
  // Never a secret: no 64-hex-digit run (a seed or key) anywhere in the audit
  // (no key was revoked here, so not even a fingerprint), and in particular
  // not the old key's 2nd seed or EUKey.
  const std::string dump = audit.dump();
  EXPECT_THAT(dump, ::testing::Not(::testing::ContainsRegex("[0-9a-fA-F]{64}")));
  const auto old_assignment = assignee::LoadAssignment(old_key);
  ASSERT_TRUE(old_assignment.ok()) << old_assignment.status();
  EXPECT_EQ(dump.find(HexEncode(old_assignment->second_seed.RevealSecret())), std::string::npos);
  EXPECT_EQ(dump.find(HexEncode(old_assignment->eukey.RevealSecret())), std::string::npos);
}

TEST_F(LifecycleTest, TheGatewayRenewsItsSeedBeforeItExpires) {
  // Seeds live 8 s; the gateway renews at half their life.
  Daemon server = StartServer({"--seed-lifetime", "8s"});
  Daemon gw = StartGateway("gw-A", server.address, "",
                           {"--refresh-at", "0.5", "--refresh-jitter", "0",
                            "--seed-check-interval", "1h"});
  const std::string first = Assign(gw, "headset");
  ASSERT_EQ(EpochOf(first), 1u);
  // An EUKey never outlives its seed epoch.
  const json seeds = SeedsList();
  ASSERT_EQ(seeds.size(), 1u);
  EXPECT_LE(assignee::LoadAssignment(first)->not_after, seeds[0]["expires_at"].get<int64_t>());

  ASSERT_FALSE(AssignUntilEpoch(gw, 2).empty()) << gw.process->log();
  const json after = SeedsList();
  ASSERT_GE(after.size(), 2u);
  EXPECT_EQ(after[0]["state"], "rotated");
  bool renewal_audited = false;
  for (const json& e : AdminJson({"audit", "list", "--gw-id", "gw-A", "--action", "seed.rotate"})) {
    renewal_audited |= std::string(e["detail"]).find("renewal of epoch 1") != std::string::npos;
  }
  EXPECT_TRUE(renewal_audited);
}

TEST_F(LifecycleTest, RevokingOneKeyLeavesTheOthers) {
  Daemon server = StartServer();
  Daemon gw = StartGateway("gw-A", server.address);
  const std::string revoked = Assign(gw, "headset");
  const std::string by_seed = Assign(gw, "watch");
  const std::string kept = Assign(gw, "phone");
  ASSERT_EQ(Admin({"keys", "revoke", "--key-file", revoked, "--reason", "lost"}).exit_code, 0);
  const auto watch = *assignee::LoadAssignment(by_seed);
  const json r = AdminJson({"keys", "revoke", "--second-seed",
                            HexEncode(watch.second_seed.RevealSecret())});
  EXPECT_EQ(r["fingerprint"], HexEncode(SecondSeedFingerprint(watch.second_seed)));

  for (const std::string& file : {revoked, by_seed}) {
    const RunResult refused = Authenticate(file, server);
    EXPECT_NE(refused.exit_code, 0);
    EXPECT_THAT(refused.err, HasSubstr("PERMISSION_DENIED: this EUKey is revoked"));
  }
  EXPECT_EQ(Authenticate(kept, server).exit_code, 0);
  const json revocations = AdminJson({"audit", "list", "--action", "key.revoke"});
  ASSERT_EQ(revocations.size(), 2u);
  EXPECT_THAT(std::string(revocations[0]["detail"]), HasSubstr("reason: lost"));
  EXPECT_EQ(revocations[0]["gw_id"], "gw-A");
}

TEST_F(LifecycleTest, RevokingTheActiveEpochMovesTheGatewayToANewOne) {
  Daemon server = StartServer();
  Daemon gw = StartPollingGateway(server.address);
  const std::string old_key = Assign(gw, "headset");
  ASSERT_EQ(Admin({"seeds", "revoke", "--gw-id", "gw-A", "--epoch", "1", "--reason", "leak"})
                .exit_code,
            0);
  const RunResult refused = Authenticate(old_key, server);
  EXPECT_THAT(refused.err, HasSubstr("PERMISSION_DENIED: seed epoch 1 of gateway gw-A is revoked"));
  const std::string new_key = AssignUntilEpoch(gw, 2);
  ASSERT_FALSE(new_key.empty()) << gw.process->log();
  EXPECT_EQ(Authenticate(new_key, server).exit_code, 0);
}

TEST_F(LifecycleTest, ARevokedGatewayGetsNoSeedAndItsKeysFail) {
  Daemon server = StartServer();
  Daemon gw = StartPollingGateway(server.address);
  const std::string key = Assign(gw, "headset");
  ASSERT_EQ(Admin({"gateways", "revoke", "--gw-id", "gw-A", "--reason", "stolen"}).exit_code, 0);
  EXPECT_THAT(Authenticate(key, server).err,
              HasSubstr("PERMISSION_DENIED: gateway gw-A is revoked"));
  auto stub = GatewayStub(server.address, pki_dir_, "gw-A");
  cpns::v1::FirstSeedResponse response;
  const grpc::Status s = RequestSeed(*stub, "gw-A", &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("revoked"));
  EXPECT_TRUE(response.first_seed().empty());
  // A gateway revoked before its first request is refused too.
  ASSERT_EQ(Admin({"gateways", "revoke", "--gw-id", "gw-B"}).exit_code, 0);
  EXPECT_EQ(RequestSeed(*GatewayStub(server.address, pki_dir_, "gw-B"), "gw-B", &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  const json listed = AdminJson({"gateways", "list"});
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0]["gw_id"], "gw-A");
  EXPECT_EQ(listed[0]["revoked"], true);
  EXPECT_EQ(listed[0]["active_epoch"], nullptr);
  EXPECT_EQ(listed[1]["gw_id"], "gw-B");
  EXPECT_EQ(listed[1]["epochs"], 0);
  // The gateway hears of it at its next status poll and forgets its seed.
  EXPECT_TRUE(WaitUntil([&] { return ReadFileOrEmpty(StateDir("gw-A") + "/first_seed").empty(); },
                        absl::Seconds(30)))
      << gw.process->log();
  EXPECT_NE(Request(gw.address, "watch", "alice").exit_code, 0);
}

TEST_F(LifecycleTest, AdminCommandsRefuseWhatTheyCannotDo) {
  Daemon server = StartServer();
  const RunResult unknown = Admin({"seeds", "rotate", "--gw-id", "gw-A"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("NOT_FOUND"));
  EXPECT_THAT(unknown.err, HasSubstr("has no 1st seed yet"));
  const RunResult no_epoch = Admin({"seeds", "retire", "--gw-id", "gw-A", "--epoch", "7"});
  EXPECT_EQ(no_epoch.exit_code, 1);
  EXPECT_THAT(no_epoch.err, HasSubstr("NOT_FOUND"));
  const RunResult two_keys = Admin({"keys", "revoke", "--second-seed", std::string(64, 'a'),
                                    "--fingerprint", std::string(64, 'b')});
  EXPECT_EQ(two_keys.exit_code, 1);
  EXPECT_THAT(two_keys.err, HasSubstr("exactly one of"));
  const RunResult bad_hex = Admin({"keys", "revoke", "--second-seed", "xyz"});
  EXPECT_EQ(bad_hex.exit_code, 1);
  EXPECT_THAT(bad_hex.err, HasSubstr("--second-seed"));
  EXPECT_EQ(Admin({"seeds", "retire", "--gw-id", "gw-A", "--epoch", "0"}).exit_code, 2);
  EXPECT_TRUE(AuditActions().empty()) << "refused commands change nothing";
}

// Two replicas on one PostgreSQL store: a revocation made through the store
// is enforced by both, at the next authentication.
TEST_F(LifecycleTest, RevocationsAreEnforcedByEveryReplica) {
  ASSERT_NO_FATAL_FAILURE(UsePostgres());
  const std::string kek = NewKek();
  Daemon r1 = StartServer({"--kek-file", kek});
  Daemon r2 = StartServer({"--kek-file", kek});
  Daemon gw = StartGateway("gw-A", r1.address);
  const std::string key = Assign(gw, "headset");
  const std::string other = Assign(gw, "watch");
  EXPECT_EQ(Authenticate(key, r2).exit_code, 0);
  ASSERT_EQ(Admin({"keys", "revoke", "--key-file", key}).exit_code, 0);
  for (const Daemon* r : {&r1, &r2}) {
    EXPECT_THAT(Authenticate(key, *r).err, HasSubstr("PERMISSION_DENIED: this EUKey is revoked"));
    EXPECT_EQ(Authenticate(other, *r).exit_code, 0);
  }
  ASSERT_EQ(Admin({"gateways", "revoke", "--gw-id", "gw-A"}).exit_code, 0);
  for (const Daemon* r : {&r1, &r2}) {
    EXPECT_THAT(Authenticate(other, *r).err,
                HasSubstr("PERMISSION_DENIED: gateway gw-A is revoked"));
  }
  const json audit = AdminJson({"audit", "list", "--gw-id", "gw-A"});
  std::vector<std::string> actions;
  for (const json& e : audit) actions.push_back(e["action"]);
  EXPECT_THAT(actions, ::testing::IsSupersetOf({"seed.issue", "key.revoke", "gateway.revoke",
                                                "auth.refused"}));
}

}  // namespace
}  // namespace cpns::test
