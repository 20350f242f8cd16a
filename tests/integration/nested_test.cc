// A PN GW as assignee and as intermediate, with the real programs: gateway B
// gets its own EUKey from gateway A (entity type PNGW) while it serves its
// own PNEs from its own 1st seed, obtained with its own WAN identity.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cpns/assignee/key_file.h"
#include "core/file_util.h"
#include "flow_fixture.h"

namespace cpns::test {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;


class NestedTest : public FlowTest {};

TEST_F(NestedTest, GatewayBIsAnAssigneeOfAAndAnIntermediateForItsOwnPnes) {
  Daemon server = StartServer();
  Daemon a = StartGateway("gw-A", server.address, "", {"--admission", "pairing"});
  const RunResult pair = RunProgram({Program("cpns-gw"), "pair", "add", "--state-dir",
                                     StateDir("gw-A"), "--entity-type", "PNGW", "--entity-id",
                                     "gw-B", "--user-id", "alice", "--json"});
  ASSERT_EQ(pair.exit_code, 0) << pair.err;
  const std::string code = json::parse(pair.out)["code"];
  // The code reaches B in a file of its own, not on its command line.
  const std::string code_file = dir_ + "/b.code";
  ASSERT_TRUE(WriteFileAtomically(code_file, code + "\n", 0600).ok());
  Daemon b = StartGateway("gw-B", server.address, "",
                          {"--uplink-gateway", a.address, "--uplink-user-id", "alice",
                           "--uplink-pairing-code-file", code_file, "--seal-key-file",
                           dir_ + "/b.key"});

  // B as an assignee of A: its uplink key is bound to A's seed, as PNGW gw-B.
  const std::string uplink_file = StateDir("gw-B") + "/uplink.key";
  const auto uplink = assignee::LoadAssignment(uplink_file);
  ASSERT_TRUE(uplink.ok()) << uplink.status() << b.process->log();
  EXPECT_EQ(uplink->gw_id.value(), "gw-A");
  EXPECT_EQ(uplink->assignee.entity_type, EntityType::kPnGw);
  EXPECT_EQ(uplink->assignee.entity_id.value(), "gw-B");
  // B as an intermediate: its PNE's key is bound to B's own seed.
  const std::string pne_file = dir_ + "/lamp.key";
  ASSERT_EQ(Request(b.address, "lamp", "alice", {"--save", pne_file}).exit_code, 0);
  const auto pne = *assignee::LoadAssignment(pne_file);
  EXPECT_EQ(pne.gw_id.value(), "gw-B");
  EXPECT_FALSE(pne.eukey == uplink->eukey);

  // Both keys are real credentials at the CPNS Server: B's through A's
  // relay, the PNE's directly.
  const RunResult b_auth = RunProgram({Program("cpns-pne"), "authenticate", "--key-file",
                                       uplink_file, "--gateway", a.address});
  EXPECT_EQ(b_auth.exit_code, 0) << b_auth.err;
  const RunResult pne_auth =
      RunProgram({Program("cpns-pne"), "authenticate", "--key-file", pne_file, "--server",
                  server.address, "--server-ca", Pki("ca.crt")});
  EXPECT_EQ(pne_auth.exit_code, 0) << pne_auth.err;

  // Each owner sees their own side.
  const RunResult a_list = RunProgram({Program("cpns-gw"), "assignments", "list", "--state-dir",
                                       StateDir("gw-A"), "--json"});
  const json a_records = json::parse(a_list.out);
  ASSERT_EQ(a_records.size(), 1u);
  EXPECT_EQ(a_records[0]["entity_type"], "PNGW");
  EXPECT_EQ(a_records[0]["entity_id"], "gw-B");
  EXPECT_EQ(a_records[0]["admitted_by"], "pairing-code");
  // B's uplink ran the pairing exchange (A refuses a code any other way):
  // one exchange, nothing refused on the way.
  const std::string a_log = a.process->log();
  EXPECT_THAT(a_log, HasSubstr("EUKey assigned entity_type=PNGW entity_id=gw-B user_id=alice "
                               "gw_id=gw-A"));
  EXPECT_THAT(a_log, ::testing::Not(HasSubstr("refused")));
  const RunResult b_status = RunProgram({Program("cpns-gw"), "status", "--state-dir",
                                         StateDir("gw-B"), "--json"});
  const json status = json::parse(b_status.out);
  EXPECT_EQ(status["uplink"]["held"], true);
  EXPECT_EQ(status["uplink"]["gw_id"], "gw-A");
  // The server issued one seed to each gateway, each to its own identity.
  const json seeds = SeedsList();
  ASSERT_EQ(seeds.size(), 2u);
  EXPECT_EQ(seeds[0]["gw_id"], "gw-A");
  EXPECT_EQ(seeds[1]["gw_id"], "gw-B");
  // B's seed file is sealed under B's gateway key; its uplink key is not
  // derived from it and lives in its own file.
  EXPECT_THAT(ReadFileOrEmpty(StateDir("gw-B") + "/first_seed"),
              HasSubstr("cpns-gateway-first-seed-sealed 1"));
}

// The upstream gateway admits by certificate: B presents a device
// certificate for the entity gw-B on A's TLS listener instead of a code.
TEST_F(NestedTest, GatewayBPresentsADeviceCertificateToA) {
  Daemon server = StartServer();
  Daemon a = StartGateway("gw-A", server.address, "",
                          {"--admission", "certificate", "--device-ca", Pki("device-ca.crt"),
                           "--pn-listen", "tls:127.0.0.1:0", "--pn-cert", Pki("gw-gw-A.crt"),
                           "--pn-key", Pki("gw-gw-A.key")});
  const std::string a_tls = TlsAddress(a);
  ASSERT_FALSE(a_tls.empty());
  Daemon b = StartGateway("gw-B", server.address, "",
                          {"--uplink-gateway", a_tls, "--uplink-gateway-ca", Pki("ca.crt"),
                           "--uplink-user-id", "alice", "--uplink-cert",
                           Pki("device-gw-B.crt"), "--uplink-key", Pki("device-gw-B.key")});
  const auto uplink = assignee::LoadAssignment(StateDir("gw-B") + "/uplink.key");
  ASSERT_TRUE(uplink.ok()) << uplink.status() << b.process->log() << a.process->log();
  EXPECT_EQ(uplink->gw_id.value(), "gw-A");
  EXPECT_EQ(uplink->assignee.entity_id.value(), "gw-B");
  const json a_records = json::parse(RunProgram({Program("cpns-gw"), "assignments", "list",
                                                 "--state-dir", StateDir("gw-A"), "--json"})
                                         .out);
  ASSERT_EQ(a_records.size(), 1u);
  EXPECT_EQ(a_records[0]["admitted_by"], "certificate");
  EXPECT_EQ(a_records[0]["entity_type"], "PNGW");
}

}  // namespace
}  // namespace cpns::test
