// Who may get a key from a gateway, with the real programs: pairing codes
// (the default) and the bounds on wrong ones, device certificates, the open
// mode, the owner's limits (also on relayed authentication), and the owner's
// record and status.
#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "cpns/assignee/key_file.h"
#include "core/fake_clock.h"
#include "cpns/core/hex.h"
#include "cpns/core/kdf.h"
#include "cpns/v1/cpns.grpc.pb.h"
#include "flow_fixture.h"
#include "gateway/seed_file.h"
#include "gateway/state_db.h"

namespace cpns::test {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

class AdmissionTest : public FlowTest {
 protected:
  void StartPairing(std::vector<std::string> extra = {}) {
    server_ = StartServer();
    extra.insert(extra.begin(), {"--admission", "pairing"});
    gw_ = StartGateway("gw-A", server_.address, "", extra);
  }
  std::string PairAdd(const std::string& entity, const std::string& user,
                      std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {Program("cpns-gw"), "pair", "add", "--state-dir",
                                     StateDir("gw-A"), "--entity-id", entity, "--user-id", user,
                                     "--json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const RunResult r = RunProgram(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out)["code"].get<std::string>() : "";
  }
  RunResult RequestWithCode(const std::string& entity, const std::string& user,
                            const std::string& code) {
    return Request(gw_.address, entity, user, {"--pairing-code", code});
  }
  json OwnerJson(std::vector<std::string> args) {
    std::vector<std::string> argv = {Program("cpns-gw")};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--state-dir", StateDir("gw-A"), "--json"});
    const RunResult r = RunProgram(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json();
  }

  Daemon server_, gw_;
};

TEST_F(AdmissionTest, WithoutACodeTheDefaultPolicyRefuses) {
  server_ = StartServer();
  // No --admission: the default of a new installation.
  gw_ = StartGateway("gw-A", server_.address, "", {"--admission", "pairing"});
  const RunResult r = Request(gw_.address, "headset", "alice");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("PERMISSION_DENIED"));
  EXPECT_THAT(r.err, HasSubstr("pairing code"));
  // The default really is pairing: a gateway started without --admission.
  const std::string sock = dir_ + "/default.sock";
  Process plain({Program("cpns-gw"), "serve", "--gw-id", "gw-B", "--server", server_.address,
                 "--server-ca", Pki("ca.crt"), "--cert", Pki("gw-gw-B.crt"), "--key",
                 Pki("gw-gw-B.key"), "--state-dir", dir_ + "/state-default", "--pn-listen",
                 "unix:" + sock, "--ready-file", dir_ + "/default.ready"},
                dir_ + "/default.log");
  ASSERT_TRUE(WaitForFile(dir_ + "/default.ready")) << plain.log();
  EXPECT_THAT(Request("unix:" + sock, "headset", "alice").err, HasSubstr("pairing code"));
}

TEST_F(AdmissionTest, ACodeWorksOnceAndOnlyForItsEntityAndUser) {
  StartPairing();
  const std::string code = PairAdd("headset", "alice");
  ASSERT_EQ(code.size(), 11u) << code;  // XXXXX-XXXXX
  for (const auto& [entity, user] : std::vector<std::pair<std::string, std::string>>{
           {"watch", "alice"}, {"headset", "bob"}}) {
    const RunResult other = RequestWithCode(entity, user, code);
    EXPECT_EQ(other.exit_code, 1) << entity << " " << user;
    EXPECT_THAT(other.err, HasSubstr("PERMISSION_DENIED: the pairing code is not valid"));
  }
  // Typed in lower case without the dash: still the same code.
  std::string typed = code.substr(0, 5) + code.substr(6);
  for (char& c : typed) c = static_cast<char>(std::tolower(c));
  const RunResult ok = RequestWithCode("headset", "alice", typed);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  const RunResult again = RequestWithCode("headset", "alice", code);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("the pairing code is not valid"));
  EXPECT_THAT(gw_.process->log(), ::testing::Not(HasSubstr(code))) << "codes are never logged";
}

TEST_F(AdmissionTest, ACodeFromAFileWorksAndOnlyFromAFileOfTheUsersOwn) {
  StartPairing();
  const std::string code = PairAdd("headset", "alice");
  const std::string file = dir_ + "/headset.code";
  ASSERT_TRUE(WriteFileAtomically(file, code + "\n", 0644).ok());
  const RunResult loose = Request(gw_.address, "headset", "alice", {"--pairing-code-file", file});
  EXPECT_EQ(loose.exit_code, 1);
  EXPECT_THAT(loose.err, HasSubstr("--pairing-code-file: " + file +
                                   " is readable by group or others (mode 0644)"));
  const RunResult both = Request(gw_.address, "headset", "alice",
                                 {"--pairing-code-file", file, "--pairing-code", code});
  EXPECT_EQ(both.exit_code, 2) << "one or the other";
  ASSERT_EQ(chmod(file.c_str(), 0600), 0);
  const RunResult ok = Request(gw_.address, "headset", "alice", {"--pairing-code-file", file});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  const RunResult again = RequestWithCode("headset", "alice", code);
  EXPECT_THAT(again.err, HasSubstr("the pairing code is not valid")) << "the file's code was used";
}

// Expiry itself is tested with a fake clock (StateTest in
// src/gateway/admission_test.cc); here, that --ttl reaches the code and that
// the daemon judges a code by the time now.
TEST_F(AdmissionTest, AnExpiredCodeIsRefused) {
  StartPairing();
  PairAdd("watch", "bob", {"--ttl", "90s"});
  const json pending = OwnerJson({"pair", "list"});
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0]["expires_at"].get<int64_t>() - pending[0]["created_at"].get<int64_t>(), 90);

  // Made by the owner's tool an hour ago, valid for ten minutes.
  FakeClock an_hour_ago(absl::Now() - absl::Hours(1));
  auto state = gateway::GatewayStateDb::Open(StateDir("gw-A"), an_hour_ago);
  ASSERT_TRUE(state.ok()) << state.status();
  const Assignee holder{EntityType::kPne, *EntityId::Parse("headset"), *UserId::Parse("alice")};
  absl::StatusOr<SecretBytes> code = (*state)->AddPairingCode(holder, absl::Minutes(10));
  ASSERT_TRUE(code.ok()) << code.status();
  const RunResult r = RequestWithCode("headset", "alice", std::string(code->RevealSecret()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("the pairing code is not valid"));
}

// Failed attempts against one code spend it (here after 5, --pairing-attempts;
// 20 by default): the owner sees it spent in `pair list` and `status`, the
// right code no longer works, and another holder's code still does from the
// same socket.
TEST_F(AdmissionTest, FailedAttemptsSpendTheCodeOnly) {
  server_ = StartServer();
  gw_ = StartGateway("gw-A", server_.address, "", {"--admission", "pairing", "--pairing-attempts", "5"});
  const std::string headset = PairAdd("headset", "alice");
  const std::string watch = PairAdd("watch", "bob");
  for (int i = 0; i < 4; ++i) {
    const RunResult wrong = RequestWithCode("headset", "alice", "AAAAA-AAAAA");
    EXPECT_EQ(wrong.exit_code, 1) << i;
    EXPECT_THAT(wrong.err, HasSubstr("PERMISSION_DENIED: the pairing code is not valid")) << i;
  }
  json listed = OwnerJson({"pair", "list"});
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0]["failed_attempts"], 4);
  EXPECT_EQ(listed[0]["state"], "pending");
  EXPECT_EQ(listed[1]["failed_attempts"], 0) << "another holder's code is not touched";
  const RunResult fifth = RequestWithCode("headset", "alice", "AAAAA-AAAAA");
  EXPECT_THAT(fifth.err, HasSubstr("PERMISSION_DENIED: the pairing code is not valid"))
      << "the same answer as any wrong code";
  listed = OwnerJson({"pair", "list"});
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0]["state"], "spent");
  EXPECT_EQ(listed[0]["failed_attempts"], 5);
  EXPECT_EQ(OwnerJson({"status"})["spent_pairing_codes"], 1);
  const RunResult text = RunProgram({Program("cpns-gw"), "pair", "list", "--state-dir",
                                     StateDir("gw-A")});
  EXPECT_THAT(text.out, HasSubstr("5 failed attempt(s); SPENT by failed attempts"));
  const RunResult right = RequestWithCode("headset", "alice", headset);
  EXPECT_EQ(right.exit_code, 1);
  EXPECT_THAT(right.err, HasSubstr("PERMISSION_DENIED: the pairing code is not valid"));
  const RunResult other = RequestWithCode("watch", "bob", watch);
  EXPECT_EQ(other.exit_code, 0) << other.err;
  EXPECT_THAT(gw_.process->log(),
              HasSubstr("pairing code spent by failed attempts entity_type=PNE "
                        "entity_id=headset user_id=alice failures=5"));
  const RunResult renewed = RequestWithCode("headset", "alice", PairAdd("headset", "alice"));
  EXPECT_EQ(renewed.exit_code, 0) << renewed.err;
}

// The second limit: a client spraying wrong codes over many holders waits.
TEST_F(AdmissionTest, ASprayOfWrongCodesIsThrottled) {
  StartPairing();
  const std::string code = PairAdd("headset", "alice");
  for (int i = 0; i < 20; ++i) {
    const RunResult wrong = RequestWithCode("thing-" + std::to_string(i), "alice", "AAAAA-AAAAA");
    EXPECT_THAT(wrong.err, HasSubstr("PERMISSION_DENIED")) << i;
  }
  const RunResult throttled = RequestWithCode("headset", "alice", code);
  EXPECT_EQ(throttled.exit_code, 1);
  EXPECT_THAT(throttled.err, HasSubstr("RESOURCE_EXHAUSTED: too many failed pairing attempts "
                                       "from this peer; retry in"));
  EXPECT_EQ(OwnerJson({"pair", "list"}).size(), 1u) << "the code was not judged";
}

// A local flood of relayed Authenticate calls: the gateway forwards the
// peer's budget and refuses the rest itself; the server sees only those.
TEST_F(AdmissionTest, ARelayedFloodIsRefusedBeforeTheServer) {
  server_ = StartServer();
  gw_ = StartGateway("gw-A", server_.address, "", {"--rate-limit-per-peer", "10"});
  auto stub = cpns::v1::AuthService::NewStub(
      grpc::CreateChannel(gw_.address, grpc::InsecureChannelCredentials()));
  int forwarded = 0, exhausted = 0;
  for (int i = 0; i < 40; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    cpns::v1::AuthenticateRequest request;  // judged (and refused) by the server
    request.set_entity_id("headset");
    cpns::v1::AuthenticateResponse response;
    const grpc::Status s = stub->Authenticate(&ctx, request, &response);
    if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++exhausted;
      EXPECT_THAT(s.error_message(), HasSubstr("too many requests from this peer (at most 10 a "
                                               "minute); retry in"));
    } else {
      ++forwarded;
      EXPECT_NE(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    }
  }
  EXPECT_EQ(forwarded, 10);
  EXPECT_EQ(exhausted, 30);
  const std::string log = server_.process->log();
  int judged = 0;
  for (size_t at = 0; (at = log.find("authentication refused peer=gw:", at)) != std::string::npos; ++at) {
    ++judged;
  }
  EXPECT_EQ(judged, 10) << log;
  EXPECT_THAT(gw_.process->log(), HasSubstr("relayed request refused rpc=Authenticate peer="));
}

TEST_F(AdmissionTest, TheOwnerListsAndCancelsPendingCodes) {
  StartPairing();
  const std::string code = PairAdd("headset", "alice");
  PairAdd("watch", "bob");
  const json pending = OwnerJson({"pair", "list"});
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0]["entity_id"], "headset");
  EXPECT_EQ(pending[0]["user_id"], "alice");
  EXPECT_EQ(pending.dump().find(code), std::string::npos) << "never the code";
  const RunResult cancel = RunProgram({Program("cpns-gw"), "pair", "cancel", "--state-dir",
                                       StateDir("gw-A"), "--entity-id", "headset", "--user-id",
                                       "alice"});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.err;
  EXPECT_THAT(cancel.out, HasSubstr("cancelled 1 pending pairing code"));
  const RunResult r = RequestWithCode("headset", "alice", code);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("PERMISSION_DENIED: the pairing code is not valid"));
  ASSERT_EQ(OwnerJson({"pair", "list"}).size(), 1u);
  const RunResult again = RunProgram({Program("cpns-gw"), "pair", "cancel", "--state-dir",
                                      StateDir("gw-A"), "--entity-id", "headset", "--user-id",
                                      "alice"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("NOT_FOUND: no pending pairing code for PNE headset"));
}

TEST_F(AdmissionTest, TheOwnersLimitsApply) {
  server_ = StartServer();
  gw_ = StartGateway("gw-A", server_.address, "",
                     {"--allow-user", "alice", "--allow-entity-type", "PNE",
                      "--rate-limit-per-entity", "2"});
  const RunResult bob = Request(gw_.address, "headset", "bob");
  EXPECT_THAT(bob.err, HasSubstr("PERMISSION_DENIED: user bob is not allowed on this gateway"));
  const RunResult pngw = RunProgram({Program("cpns-pne"), "request", "--gateway", gw_.address,
                                     "--entity-type", "PNGW", "--entity-id", "car",
                                     "--user-id", "alice"});
  EXPECT_THAT(pngw.err, HasSubstr("PERMISSION_DENIED: entity type PNGW is not allowed"));
  EXPECT_EQ(Request(gw_.address, "headset", "alice").exit_code, 0);
  EXPECT_EQ(Request(gw_.address, "headset", "alice").exit_code, 0);
  const RunResult third = Request(gw_.address, "headset", "alice");
  EXPECT_THAT(third.err, HasSubstr("RESOURCE_EXHAUSTED: too many requests from entity headset"));
  EXPECT_EQ(Request(gw_.address, "watch", "alice").exit_code, 0) << "other entities go on";
}

TEST_F(AdmissionTest, OpenIsOnlyForUnixSockets) {
  server_ = StartServer();
  const RunResult r = RunProgram(
      {Program("cpns-gw"), "serve", "--gw-id", "gw-A", "--server", server_.address,
       "--server-ca", Pki("ca.crt"), "--cert", Pki("gw-gw-A.crt"), "--key", Pki("gw-gw-A.key"),
       "--state-dir", StateDir("gw-A"), "--pn-listen", "tls:127.0.0.1:0", "--pn-cert",
       Pki("server.crt"), "--pn-key", Pki("server.key"), "--admission", "open"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("--admission open is allowed only when every --pn-listen is a unix:"));
}

// Certificate admission: a device certificate from the trusted maker CA, on
// the TLS listener, for its own entity only.
TEST_F(AdmissionTest, DeviceCertificatesFromTheTrustedMakerOnlyAndForTheirOwnEntity) {
  server_ = StartServer();
  gw_ = StartGateway("gw-A", server_.address, "",
                     {"--admission", "certificate", "--device-ca", Pki("device-ca.crt"),
                      "--pn-listen", "tls:127.0.0.1:0", "--pn-cert", Pki("gw-gw-A.crt"),
                      "--pn-key", Pki("gw-gw-A.key")});
  const std::string tls = TlsAddress(gw_);
  ASSERT_FALSE(tls.empty());
  auto with_cert = [&](const std::string& entity, const std::string& cert_base) {
    return Request(tls, entity, "alice",
                   {"--gateway-ca", Pki("ca.crt"), "--cert", cert_base + ".crt", "--key",
                    cert_base + ".key"});
  };
  const RunResult ok = with_cert("headset-42", Pki("device-headset-42"));
  ASSERT_EQ(ok.exit_code, 0) << ok.err << gw_.process->log();
  EXPECT_EQ(json::parse(ok.out)["entity_id"], "headset-42");

  const RunResult other = with_cert("watch-7", Pki("device-headset-42"));
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_THAT(other.err, HasSubstr("PERMISSION_DENIED: the device certificate is for entity "
                                   "headset-42; it cannot request a key for entity watch-7"));
  const RunResult no_cert = Request(tls, "headset-42", "alice", {"--gateway-ca", Pki("ca.crt")});
  EXPECT_EQ(no_cert.exit_code, 1);
  EXPECT_THAT(no_cert.err, HasSubstr("PERMISSION_DENIED: this gateway admits devices by their "
                                     "device certificate"));
  const RunResult unix_socket = Request(gw_.address, "headset-42", "alice");
  EXPECT_EQ(unix_socket.exit_code, 1);
  EXPECT_THAT(unix_socket.err, HasSubstr("PERMISSION_DENIED: this gateway admits devices by"));
  // A gateway certificate from the operator CA is not a device certificate:
  // the operator CA is not a maker CA, so the handshake fails.
  const RunResult gw_cert = with_cert("gw-B", Pki("gw-gw-B"));
  EXPECT_EQ(gw_cert.exit_code, 1);
  EXPECT_THAT(gw_cert.err, HasSubstr("cpns-pne: UNAVAILABLE"));
  EXPECT_EQ(gw_cert.out, "");

  // The same entity, certified by a maker CA the gateway does not trust.
  const std::string other_pki = dir_ + "/other-maker";
  const RunResult made = RunProgram({Program("cpns-keytool"), "pki", "init", "--out", other_pki,
                                     "--server-name", "x.test", "--gateway", "gw-A", "--device",
                                     "headset-42"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const RunResult untrusted = with_cert("headset-42", other_pki + "/device-headset-42");
  EXPECT_EQ(untrusted.exit_code, 1);
  EXPECT_THAT(untrusted.err, HasSubstr("cpns-pne: UNAVAILABLE"));
  EXPECT_EQ(untrusted.out, "");

  // The gateway goes on serving, and its owner sees how each was admitted.
  EXPECT_EQ(with_cert("watch-7", Pki("device-watch-7")).exit_code, 0);
  const json records = OwnerJson({"assignments", "list"});
  ASSERT_EQ(records.size(), 2u);
  for (const json& r : records) EXPECT_EQ(r["admitted_by"], "certificate");
  EXPECT_EQ(OwnerJson({"status"})["admission"], "certificate");
  // Each decision is logged, never the key.
  const std::string log = gw_.process->log();
  EXPECT_THAT(log, HasSubstr("EUKey assigned entity_type=PNE entity_id=headset-42 user_id=alice "
                             "gw_id=gw-A epoch=1"));
  EXPECT_THAT(log, HasSubstr("admitted_by=certificate"));
  EXPECT_THAT(log, HasSubstr("EUKey Assignment Request refused"));
  EXPECT_THAT(log, HasSubstr("error=\"PERMISSION_DENIED: the device certificate is for entity"));
  const std::string eukey = json::parse(ok.out)["eukey"];
  ASSERT_EQ(eukey.size(), 64u);
  EXPECT_EQ(log.find(eukey), std::string::npos);
}

// Even when the owner trusts the operator CA as a maker CA too, a gateway
// certificate names no entity and admits nobody.
TEST_F(AdmissionTest, ACertificateWithoutAnEntityUriAdmitsNobody) {
  const std::string both = dir_ + "/makers.pem";
  {
    std::ofstream out(both);
    out << ReadFileOrEmpty(Pki("device-ca.crt")) << ReadFileOrEmpty(Pki("ca.crt"));
  }
  server_ = StartServer();
  gw_ = StartGateway("gw-A", server_.address, "",
                     {"--admission", "certificate", "--device-ca", both, "--pn-listen",
                      "tls:127.0.0.1:0", "--pn-cert", Pki("gw-gw-A.crt"), "--pn-key",
                      Pki("gw-gw-A.key")});
  const std::string tls = TlsAddress(gw_);
  ASSERT_FALSE(tls.empty());
  const RunResult gw_cert = Request(tls, "gw-B", "alice",
                                    {"--gateway-ca", Pki("ca.crt"), "--cert", Pki("gw-gw-B.crt"), "--key", Pki("gw-gw-B.key")});
  EXPECT_EQ(gw_cert.exit_code, 1);
  EXPECT_THAT(gw_cert.err,
              HasSubstr("PERMISSION_DENIED: this gateway admits devices by their device "
                        "certificate"));
  EXPECT_THAT(gw_cert.err, HasSubstr("(yours is not usable: certificate carries no "
                                     "urn:cpns:entity: URI)"));
  EXPECT_EQ(gw_cert.out, "");
  // Both CAs' device certificates still work.
  const RunResult device = Request(tls, "headset-42", "alice",
                                   {"--gateway-ca", Pki("ca.crt"), "--cert",
                                    Pki("device-headset-42.crt"), "--key",
                                    Pki("device-headset-42.key")});
  EXPECT_EQ(device.exit_code, 0) << device.err;
}

TEST_F(AdmissionTest, CertificateAdmissionNeedsADeviceCaAndATlsListener) {
  auto serve = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {
        Program("cpns-gw"), "serve", "--gw-id", "gw-A", "--server", "127.0.0.1:1",
        "--server-ca", Pki("ca.crt"), "--cert", Pki("gw-gw-A.crt"), "--key", Pki("gw-gw-A.key"),
        "--state-dir", StateDir("gw-A"), "--pn-listen", "unix:" + dir_ + "/gw.sock"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunProgram(argv);
  };
  const RunResult no_ca = serve({"--admission", "certificate"});
  EXPECT_EQ(no_ca.exit_code, 1);
  EXPECT_THAT(no_ca.err, HasSubstr("--admission certificate needs --device-ca"));
  const RunResult no_tls = serve({"--admission", "certificate", "--device-ca", Pki("device-ca.crt")});
  EXPECT_EQ(no_tls.exit_code, 1);
  EXPECT_THAT(no_tls.err, HasSubstr("--admission certificate needs a tls: --pn-listen"));
  const RunResult stray = serve({"--device-ca", Pki("device-ca.crt")});
  EXPECT_EQ(stray.exit_code, 1);
  EXPECT_THAT(stray.err, HasSubstr("--device-ca is used only with --admission certificate"));
  // The uplink's flags need the uplink, and its errors name them.
  const RunResult orphan = serve({"--uplink-cert", Pki("device-gw-B.crt")});
  EXPECT_EQ(orphan.exit_code, 2);
  EXPECT_THAT(orphan.err, HasSubstr("--uplink-cert requires --uplink-gateway"));
  const RunResult half = serve({"--uplink-gateway", "tls:127.0.0.1:1", "--uplink-gateway-ca",
                                Pki("ca.crt"), "--uplink-user-id", "alice", "--uplink-cert",
                                Pki("device-gw-B.crt")});
  EXPECT_EQ(half.exit_code, 1);
  EXPECT_THAT(half.err, HasSubstr("--uplink-*: a device certificate needs both its certificate "
                                  "file and its key file"));
}

TEST_F(AdmissionTest, TheOwnerSeesEveryAssignmentAndTheStatus) {
  StartPairing();
  const std::string key_file = dir_ + "/headset.key";
  const RunResult ok = Request(gw_.address, "headset", "alice",
                               {"--pairing-code", PairAdd("headset", "alice"), "--save", key_file});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(Request(gw_.address, "watch", "alice").exit_code, 1);  // no code
  const json records = OwnerJson({"assignments", "list"});
  ASSERT_EQ(records.size(), 1u);
  const auto key = *assignee::LoadAssignment(key_file);
  EXPECT_EQ(records[0]["entity_id"], "headset");
  EXPECT_EQ(records[0]["user_id"], "alice");
  EXPECT_EQ(records[0]["seed_epoch"], 1);
  EXPECT_EQ(records[0]["admitted_by"], "pairing-code");
  EXPECT_EQ(records[0]["not_after"], key.not_after);
  EXPECT_EQ(records[0]["second_seed_fingerprint"],
            HexEncode(SecondSeedFingerprint(key.second_seed)));
  // The running daemon answers itself: both requests are in it at once.
  json status = OwnerJson({"status"});
  EXPECT_EQ(status["live"], true);
  EXPECT_EQ(status["assignments_issued"], 1);
  EXPECT_EQ(status["refusals"]["no-pairing-code"], 1);
  EXPECT_EQ(status["seed"]["held"], true);
  EXPECT_EQ(status["seed"]["seed_epoch"], 1);
  EXPECT_EQ(status["admission"], "pairing");
  EXPECT_FALSE(status["upstream"]["last_contact"].is_null());
  EXPECT_EQ(status.dump().find(HexEncode(key.second_seed.RevealSecret())), std::string::npos);
  EXPECT_EQ(RunProgram({Program("cpns-gw"), "status", "--state-dir", dir_ + "/nope"}).exit_code, 1);
  // Stopped, the daemon leaves its last status on disk, with the same counts.
  ASSERT_EQ(gw_.process->Terminate(), 0);
  const json last = OwnerJson({"status"});
  EXPECT_EQ(last["live"], false);
  EXPECT_EQ(last["assignments_issued"], 1);
  EXPECT_EQ(last["refusals"]["no-pairing-code"], 1);
  const RunResult text = RunProgram({Program("cpns-gw"), "status", "--state-dir", StateDir("gw-A")});
  EXPECT_THAT(text.out, HasSubstr("the daemon does not answer: no gateway daemon answers on"));
}

// The state directory copied without the gateway key does not reveal the
// seed; with the key, it is the seed the assignments were derived from.
TEST_F(AdmissionTest, ACopiedStateDirectoryWithoutTheGatewayKeyRevealsNoSeed) {
  server_ = StartServer();
  const std::string key_path = dir_ + "/gateway.key";  // outside the state directory
  gw_ = StartGateway("gw-A", server_.address, "", {"--seal-key-file", key_path});
  const std::string key_file = dir_ + "/headset.key";
  ASSERT_EQ(Request(gw_.address, "headset", "alice", {"--save", key_file}).exit_code, 0);
  const auto a = *assignee::LoadAssignment(key_file);
  const std::string copy = dir_ + "/copied-state";
  ASSERT_EQ(RunProgram({"/bin/cp", "-r", StateDir("gw-A"), copy}).exit_code, 0);
  const GatewayId gw = *GatewayId::Parse("gw-A");
  const auto without_key = gateway::LoadSeedFile(copy + "/first_seed", gw);
  EXPECT_EQ(without_key.status().code(), absl::StatusCode::kFailedPrecondition);
  const SecretBytes seal_key = *gateway::LoadOrCreateSealKey(key_path);
  const auto seed = gateway::LoadSeedFile(copy + "/first_seed", gw, &seal_key);
  ASSERT_TRUE(seed.ok()) << seed.status();
  const SecretBytes eukey = *DeriveEUKey(seed->first_seed, a.second_seed,
                                         {a.gw_id, a.seed_epoch, a.assignee, a.not_after});
  EXPECT_EQ(eukey, a.eukey) << "the sealed seed is the one in use";
  // No byte string of the copy is the seed, in hex or raw.
  std::string all;
  for (const char* f : {"/first_seed", "/gateway.db", "/gateway.db-wal"}) {
    all += ReadFileOrEmpty(copy + f);
  }
  EXPECT_EQ(all.find(HexEncode(seed->first_seed.RevealSecret())), std::string::npos);
  EXPECT_EQ(all.find(std::string(seed->first_seed.RevealSecret())), std::string::npos);
  // The gateway restarts from its sealed file without asking the server again.
  EXPECT_EQ(gw_.process->Terminate(), 0);
  server_.process->Kill();
  Daemon again = StartGateway("gw-A", server_.address, "", {"--seal-key-file", key_path});
  EXPECT_EQ(Request(again.address, "watch", "alice").exit_code, 0) << again.process->log();
}

}  // namespace
}  // namespace cpns::test
