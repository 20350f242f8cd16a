// cpns-gw's certificates without downtime: SIGHUP reloads the certificate of
// its tls: PN listeners, its own certificate towards the CPNS Server, and
// the device CRL of certificate admission.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "pki/dev_pki.h"
#include "reload_fixture.h"

namespace cpns::test {
namespace {

using ::testing::HasSubstr;

// gw-A admitting devices by certificate on a tls: listener, with the device
// CRLs of `crl`.
class GatewayReloadTest : public ReloadTest {
 protected:
  Daemon StartCertificateGateway(const Daemon& server, const std::string& crl) {
    return StartGateway("gw-A", server.address, "",
                        {"--admission", "certificate", "--device-ca", Pki("device-ca.crt"),
                         "--crl-file", crl, "--pn-listen", "tls:127.0.0.1:0", "--pn-cert",
                         Pki("gw-gw-A.crt"), "--pn-key", Pki("gw-gw-A.key")});
  }
  // A key request of device `entity` with its certificate from the PKI.
  RunResult DeviceRequest(const Daemon& gw, const std::string& entity) {
    const std::string base = Pki("device-" + entity);
    return Request(TlsAddress(gw), entity, "alice",
                   {"--gateway-ca", Pki("ca.crt"), "--cert", base + ".crt", "--key",
                    base + ".key"});
  }
};

// "127.0.0.1:PORT" of the gateway's tls: listener.
std::string HostPort(const std::string& tls_address) { return tls_address.substr(4); }

TEST_F(GatewayReloadTest, ItsPnListenerPresentsTheNewCertificateToNewConnections) {
  Daemon server = StartServer();
  Install(Pki("gw-gw-A"), "pn");
  Daemon gw = StartGateway("gw-A", server.address, "",
                           {"--admission", "pairing", "--pn-listen", "tls:127.0.0.1:0",
                            "--pn-cert", Live("pn.crt"), "--pn-key", Live("pn.key")});
  const std::string address = HostPort(TlsAddress(gw));
  std::shared_ptr<grpc::Channel> early = Connect(address, Pki("ca.crt"));
  ASSERT_EQ(Check(*early).cert, ReadFileOrEmpty(Pki("gw-gw-A.crt"))) << gw.process->log();

  Install(Pki("gw-gw-B"), "pn");
  ASSERT_TRUE(Hup(gw)) << gw.process->log();
  const std::string next = ReadFileOrEmpty(Pki("gw-gw-B.crt"));
  EXPECT_TRUE(
      WaitUntil([&] { return Probe(address, Pki("ca.crt")).cert == next; }, absl::Seconds(10)));
  const Peer later = Check(*early);
  EXPECT_EQ(later.code, grpc::StatusCode::OK);
  EXPECT_EQ(later.cert, ReadFileOrEmpty(Pki("gw-gw-A.crt")));
}

// The server refuses the gateway's first certificate (revoked); once the
// gateway reloads a new one, its next connection gets its 1st seed.
TEST_F(GatewayReloadTest, ItsNextConnectionToTheServerPresentsItsNewCertificate) {
  const std::string crl = Crl("crl.pem", pki_dir_, {Pki("gw-gw-A.crt")});
  ASSERT_TRUE(WriteFileAtomically(Live("ca.pem"),
                                  ReadFileOrEmpty(Pki("ca.crt")) + ReadFileOrEmpty(Pki2("ca.crt")),
                                  0644)
                  .ok());
  Daemon server = StartServerWith(Pki("server"), Live("ca.pem"), {"--crl-file", crl});
  Install(Pki("gw-gw-A"), "uplink");
  Daemon gw = StartGatewayWith(server.address, Live("uplink"));
  const RunResult before = Request(gw.address, "headset", "alice");
  EXPECT_THAT(before.err, HasSubstr("holds no 1st seed"));
  EXPECT_THAT(server.process->log(),
              HasSubstr("certificate serial " + Serial(Pki("gw-gw-A.crt")) + " is revoked"));

  Install(Pki2("gw-gw-A"), "uplink");
  ASSERT_TRUE(Hup(gw)) << gw.process->log();
  EXPECT_TRUE(WaitUntil([&] { return Request(gw.address, "headset", "alice").exit_code == 0; },
                        absl::Seconds(20), absl::Milliseconds(300)))
      << gw.process->log();
}

// Its reloadable credentials still check the server's TLS name.
TEST_F(GatewayReloadTest, ItRefusesAServerCertificateForAnotherName) {
  Daemon server = StartServer();
  Daemon wrong = StartGateway("gw-A", server.address, "", {"--server-name", "other.test"});
  EXPECT_THAT(Request(wrong.address, "headset", "alice").err,
              HasSubstr("Hostname Verification Check failed"));
  Daemon right = StartGateway("gw-B", server.address, "", {"--server-name", "cpns-server.test"});
  const RunResult ok = Request(right.address, "headset", "alice");
  EXPECT_EQ(ok.exit_code, 0) << ok.err << right.process->log();
}

TEST_F(GatewayReloadTest, ARevokedDeviceCertificateIsRefusedFromTheCrlAtStartAndAfterAReload) {
  Daemon server = StartServer();
  const std::string crl =
      Crl("devices.pem", pki_dir_, {Pki("device-headset-42.crt")}, "device-ca");
  Daemon gw = StartCertificateGateway(server, crl);
  EXPECT_NE(DeviceRequest(gw, "headset-42").exit_code, 0);
  EXPECT_THAT(gw.process->log(),
              HasSubstr("certificate serial " + Serial(Pki("device-headset-42.crt"))));
  const RunResult watch = DeviceRequest(gw, "watch-7");
  EXPECT_EQ(watch.exit_code, 0) << watch.err << gw.process->log();

  Crl("devices.pem", pki_dir_, {Pki("device-headset-42.crt"), Pki("device-watch-7.crt")},
      "device-ca");
  ASSERT_TRUE(Hup(gw)) << gw.process->log();
  EXPECT_NE(DeviceRequest(gw, "watch-7").exit_code, 0);
  EXPECT_THAT(gw.process->log(),
              HasSubstr("certificate serial " + Serial(Pki("device-watch-7.crt")) + " is revoked"));
}

// A device maker's usual chain: root (the only --device-ca) -> intermediate
// -> device, the device sending its intermediate. The intermediate's CRL
// refuses its device; the root's CRL revoking the intermediate refuses all.
TEST_F(GatewayReloadTest, CrlsOfAnIntermediateAndOfTheRootApplyAlongTheDevicesChain) {
  Daemon server = StartServer();
  ASSERT_TRUE(pki::IssueIntermediateDeviceCa(pki_dir_, "device-ca", "device-int",
                                             {"ring-3", "band-5"})
                  .ok());
  const std::string crl = Crl("devices.pem", pki_dir_, {Pki("device-ring-3.crt")}, "device-int");
  Daemon gw = StartCertificateGateway(server, crl);
  EXPECT_NE(DeviceRequest(gw, "ring-3").exit_code, 0);
  EXPECT_THAT(gw.process->log(),
              HasSubstr("certificate serial " + Serial(Pki("device-ring-3.crt")) + " is revoked"));
  const RunResult band = DeviceRequest(gw, "band-5");
  EXPECT_EQ(band.exit_code, 0) << band.err << gw.process->log();

  const std::string root = Crl("root.pem", pki_dir_, {Pki("device-int.crt")}, "device-ca");
  ASSERT_TRUE(WriteFileAtomically(crl, ReadFileOrEmpty(crl) + ReadFileOrEmpty(root), 0644).ok());
  ASSERT_TRUE(Hup(gw)) << gw.process->log();
  EXPECT_NE(DeviceRequest(gw, "band-5").exit_code, 0);
  EXPECT_THAT(gw.process->log(),
              HasSubstr("certificate serial " + Serial(Pki("device-int.crt")) +
                        " (a CA of the peer's chain) is revoked"));
}

TEST_F(GatewayReloadTest, AnUplinkKeyOthersMayReadIsRefusedAtStart) {
  Daemon server = StartServer();
  ASSERT_TRUE(WriteFileAtomically(Live("uplink.key"), ReadFileOrEmpty(Pki("device-gw-B.key")),
                                  0640)
                  .ok());
  // A Process, not RunProgram: a gateway that wrongly starts is stopped at
  // the deadline instead of serving for ever.
  Process gw({Program("cpns-gw"), "serve", "--gw-id", "gw-B", "--server", server.address,
              "--server-ca", Pki("ca.crt"), "--cert", Pki("gw-gw-B.crt"), "--key",
              Pki("gw-gw-B.key"), "--state-dir", StateDir("gw-B"), "--pn-listen",
              "unix:" + dir_ + "/b.sock", "--uplink-gateway", "127.0.0.1:1",
              "--uplink-gateway-ca", Pki("ca.crt"), "--uplink-user-id", "alice",
              "--uplink-cert", Pki("device-gw-B.crt"), "--uplink-key", Live("uplink.key")},
             dir_ + "/gw-B-uplink.log");
  EXPECT_EQ(gw.WaitForExit(20000), std::optional<int>(1)) << gw.log();
  EXPECT_THAT(gw.log(), HasSubstr("--uplink-key: " + Live("uplink.key")));
  EXPECT_THAT(gw.log(), HasSubstr("chmod 600"));
}

TEST_F(GatewayReloadTest, ACrlFileWithoutCertificateAdmissionIsRefused) {
  Daemon server = StartServer();
  const std::string crl = Crl("devices.pem", pki_dir_, {}, "device-ca");
  const RunResult r = RunProgram(
      {Program("cpns-gw"), "serve", "--gw-id", "gw-A", "--server", server.address,
       "--server-ca", Pki("ca.crt"), "--cert", Pki("gw-gw-A.crt"), "--key", Pki("gw-gw-A.key"),
       "--state-dir", StateDir("gw-A"), "--pn-listen", "unix:" + dir_ + "/x.sock",
       "--crl-file", crl});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("--crl-file is used only with --admission certificate"));
}

}  // namespace
}  // namespace cpns::test
