// Interoperation from the specification alone: tests/interop/pairing_client.py,
// a device side of pairing by code written only from docs/PROTOCOL.md (its own
// protobuf encoding, P-256 and SPAKE2+), pairs with the real cpns-gw over
// plain TCP, and the key it gets authenticates at the real cpns-server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "cpns/assignee/key_file.h"
#include "cpns/core/hex.h"
#include "cpns/core/identifiers.h"
#include "pairing_fixture.h"
#include "pairing_proxies.h"

namespace cpns::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using nlohmann::json;

class InteropTest : public PairingTest {
 protected:
  static std::string Source(const std::string& path) {
    return std::string(CPNS_SOURCE_DIR) + "/" + path;
  }
  // The Python client with `args`; not skipped when Python lacks grpc or
  // cryptography: scripts/install-deps installs both, so that fails the test.
  static RunResult Client(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {CPNS_INTEROP_PYTHON,
                                     Source("tests/interop/pairing_client.py")};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProgram(argv);
  }
  // Pairs as `type` `entity` for `user` over the tcp: listener with `code`.
  RunResult ClientPair(const std::string& entity, const std::string& user,
                       const std::string& code, const std::string& type = "PNE") {
    const std::string code_file = dir_ + "/code-" + entity;
    EXPECT_TRUE(WriteFileAtomically(code_file, code + "\n", 0600).ok());
    return Client({"--gateway", tcp_.substr(4), "--entity-type", type, "--entity-id", entity,
                   "--user-id", user, "--code-file", code_file, "--timeout", "20"});
  }
};

TEST_F(InteropTest, TheClientReproducesThePublishedVectors) {
  const RunResult r = Client({"--self-test", Source("tests/vectors/pairing_vectors.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("pne-headset, pngw-uplink reproduce"));
}

// The client's self-test is worth something only if it fails on a wrong value.
TEST_F(InteropTest, TheSelfTestNamesTheFirstValueThatDiffers) {
  json vectors = json::parse(ReadFileOrEmpty(Source("tests/vectors/pairing_vectors.json")));
  ASSERT_FALSE(vectors.is_null());
  vectors["pairing"][1]["outputs"]["confirmV"] = std::string(64, '0');
  const std::string changed = dir_ + "/vectors.json";
  ASSERT_TRUE(WriteFileAtomically(changed, vectors.dump(), 0600).ok());
  const RunResult r = Client({"--self-test", changed});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("MISMATCH pngw-uplink: confirmV is "));
}

TEST_F(InteropTest, TheClientPairsOverTcpAndItsKeyAuthenticatesAtTheServer) {
  StartPairingGateway();
  ASSERT_FALSE(tcp_.empty());
  // As a person types it: lowercase, the dash replaced by a space.
  std::string typed = absl::AsciiStrToLower(PairAdd("headset", "alice"));
  ASSERT_EQ(typed.size(), 11u);
  typed[5] = ' ';
  const RunResult r = ClientPair("headset", "alice", typed);
  ASSERT_EQ(r.exit_code, 0) << r.err << gw_.process->log();
  const json out = json::parse(r.out);
  EXPECT_EQ(out["gw_id"], "gw-A");
  EXPECT_EQ(out["entity_type"], "PNE");
  EXPECT_EQ(out["entity_id"], "headset");
  EXPECT_EQ(out["user_id"], "alice");
  EXPECT_EQ(out["seed_epoch"], 1);
  EXPECT_EQ(out["echo"], json({{"entity_type", "PNE"}, {"entity_id", "headset"},
                               {"user_id", "alice"}}))
      << "the sealed assignment names the identity the key is bound to";

  const json records = OwnerJson({"assignments", "list"});
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["second_seed_fingerprint"], out["fingerprint"]);
  EXPECT_EQ(records[0]["not_after"], out["not_after"]);
  EXPECT_EQ(records[0]["admitted_by"], "pairing-code");

  const assignee::EUKeyAssignment a{
      GatewayId::Parse(out["gw_id"].get<std::string>()).value(),
      out["seed_epoch"].get<uint32_t>(),
      Assignee{EntityType::kPne, EntityId::Parse("headset").value(),
               UserId::Parse("alice").value()},
      out["not_after"].get<int64_t>(),
      HexDecodeSecret("second_seed", out["second_seed"].get<std::string>()).value(),
      HexDecodeSecret("eukey", out["eukey"].get<std::string>()).value()};
  const std::string key_file = dir_ + "/headset.key";
  ASSERT_TRUE(assignee::SaveAssignment(key_file, a).ok());
  const RunResult auth = RunProgram({Program("cpns-pne"), "authenticate", "--key-file", key_file,
                                     "--server", server_.address, "--server-ca", Pki("ca.crt")});
  EXPECT_EQ(auth.exit_code, 0) << auth.err;
  EXPECT_THAT(auth.out, HasSubstr("authenticated: the CPNS Server accepted the proof"));
  EXPECT_THAT(auth.out, HasSubstr("headset"));
}

TEST_F(InteropTest, AWrongCodeIsPermissionDeniedAndCounted) {
  StartPairingGateway();
  ASSERT_FALSE(tcp_.empty());
  std::string wrong = PairAdd("headset", "alice");
  ASSERT_EQ(wrong.size(), 11u);
  wrong[0] = wrong[0] == 'Z' ? 'Y' : 'Z';  // still a well-formed code
  const RunResult r = ClientPair("headset", "alice", wrong);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_THAT(r.err, StartsWith("PERMISSION_DENIED: the pairing code is not valid"));
  EXPECT_EQ(FailedAttempts("headset", "alice"), 1);
  EXPECT_EQ(Assignments(), 0u);
}

// A PN GW as assignee: idProver starts "PNGW", and the echo carries type 2.
// An identity with no code gets the gateway's decoy and the same refusal.
TEST_F(InteropTest, APngwPairsAndAnIdentityWithoutACodeIsRefusedAsAWrongCode) {
  StartPairingGateway();
  ASSERT_FALSE(tcp_.empty());
  const RunResult add = RunProgram({Program("cpns-gw"), "pair", "add", "--state-dir",
                                    StateDir("gw-A"), "--entity-type", "PNGW", "--entity-id",
                                    "car-unit-7", "--user-id", "alice", "--json"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  const std::string code = json::parse(add.out)["code"];
  const RunResult none = ClientPair("car-unit-7", "bob", code, "PNGW");
  EXPECT_EQ(none.exit_code, 1) << none.out;
  EXPECT_THAT(none.err, StartsWith("PERMISSION_DENIED: the pairing code is not valid"));
  EXPECT_EQ(FailedAttempts("car-unit-7", "alice"), 0) << "bob's failure is not alice's code's";

  const RunResult r = ClientPair("car-unit-7", "alice", code, "PNGW");
  ASSERT_EQ(r.exit_code, 0) << r.err << gw_.process->log();
  const json out = json::parse(r.out);
  EXPECT_EQ(out["entity_type"], "PNGW");
  EXPECT_EQ(out["echo"]["entity_type"], "PNGW");
  EXPECT_EQ(out["echo"]["entity_id"], "car-unit-7");
  const json records = OwnerJson({"assignments", "list"});
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["entity_id"], "car-unit-7");
  EXPECT_EQ(records[0]["second_seed_fingerprint"], out["fingerprint"]);
  // The code is used: the same code again is refused.
  const RunResult again = ClientPair("car-unit-7", "alice", code, "PNGW");
  EXPECT_EQ(again.exit_code, 1) << again.out;
  EXPECT_THAT(again.err, StartsWith("PERMISSION_DENIED: "));
}

// The device's checks of 11.4 run: a man in the middle that changes the
// gateway's share or name makes the gateway refuse the confirmation; one that
// changes either part of the last answer is caught by the device alone.
TEST_F(InteropTest, TheClientRefusesAChangedAnswer) {
  StartPairingGateway();
  ASSERT_FALSE(tcp_.empty());
  // M of PROTOCOL.md 11.5: a valid point that no exchange carries.
  const std::string m = HexDecode("M",
                                  "04886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa1"
                                  "2f5ff355163e43ce224e0b0e65ff02ac8e5c7be09419c785e0ca547d55a12e2d"
                                  "20").value();
  PairingMitm mitm(absl::StrCat("127.0.0.1:", tcp_port_), m);
  ASSERT_NE(mitm.port(), 0);
  tcp_ = absl::StrCat("tcp:127.0.0.1:", mitm.port());
  const RunResult control = ClientPair("headset", "alice", PairAdd("headset", "alice"));
  ASSERT_EQ(control.exit_code, 0) << control.err << gw_.process->log();
  struct Case {
    Alteration alteration;
    const char* device_error;
    int failed_attempts;  // -1: the gateway answered, the code is used
  };
  const Case cases[] = {
      {Alteration::kStartResponseShare, "PERMISSION_DENIED: the pairing code is not valid", 1},
      {Alteration::kStartResponseGwId, "PERMISSION_DENIED: the pairing code is not valid", 1},
      {Alteration::kFinishResponseConfirm, "UNAUTHENTICATED: pairing: confirm_v does not match",
       -1},
      {Alteration::kFinishResponseSealed,
       "UNAUTHENTICATED: pairing: sealed_assignment does not open", -1},
  };
  size_t assignments = 1;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.device_error);
    mitm.set_alteration(c.alteration);
    const RunResult r = ClientPair("headset", "alice", PairAdd("headset", "alice"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, StartsWith(c.device_error));
    EXPECT_EQ(r.out, "") << "no key is printed";
    EXPECT_EQ(FailedAttempts("headset", "alice"), c.failed_attempts);
    if (c.failed_attempts < 0) ++assignments;
    EXPECT_EQ(Assignments(), assignments);
  }
}

}  // namespace
}  // namespace cpns::test
