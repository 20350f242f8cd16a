// cpns-server's certificates without downtime: SIGHUP reloads its
// certificate, key, client CA bundle and CRL file; a reload that fails keeps
// what is in use and says why.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "core/file_util.h"
#include "reload_fixture.h"
#include "seed_client.h"

namespace cpns::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using ServerReloadTest = ReloadTest;

TEST_F(ServerReloadTest, NewConnectionsGetTheNewCertificateWhileAnOpenOneGoesOn) {
  Install(Pki("server"), "live");
  Daemon server = StartServerWith(Live("live"), Pki("ca.crt"));
  std::shared_ptr<grpc::Channel> early = Connect(server.address, Pki("ca.crt"));
  ASSERT_EQ(Check(*early).cert, ReadFileOrEmpty(Pki("server.crt")));

  Install(Pki("server-2"), "live");
  ASSERT_TRUE(Hup(server));
  const std::string next = ReadFileOrEmpty(Pki("server-2.crt"));
  EXPECT_TRUE(WaitUntil([&] { return Probe(server.address, Pki("ca.crt")).cert == next; },
                        absl::Seconds(10)));
  // The connection opened before the reload was not dropped: it still
  // serves, with the certificate of its handshake.
  const Peer later = Check(*early);
  EXPECT_EQ(later.code, grpc::StatusCode::OK);
  EXPECT_EQ(later.cert, ReadFileOrEmpty(Pki("server.crt")));
  EXPECT_TRUE(server.process->running());
}

TEST_F(ServerReloadTest, AFailedReloadKeepsTheCertificateInUseAndSaysWhy) {
  Install(Pki("server"), "live");
  Daemon server = StartServerWith(Live("live"), Pki("ca.crt"));
  ASSERT_TRUE(WriteFileAtomically(Live("live.key"), ReadFileOrEmpty(Pki("gw-gw-A.key")), 0600)
                  .ok());
  EXPECT_FALSE(Hup(server));
  EXPECT_THAT(server.process->log(), HasSubstr("do not match"));
  ASSERT_TRUE(WriteFileAtomically(Live("live.crt"), "garbage\n", 0644).ok());
  EXPECT_FALSE(Hup(server));
  EXPECT_THAT(server.process->log(), HasSubstr("live.crt is not PEM"));
  // Past gRPC's poll of the material in use (about a second), new
  // connections still get the old certificate.
  absl::SleepFor(absl::Milliseconds(1500));
  const Peer peer = Probe(server.address, Pki("ca.crt"));
  EXPECT_EQ(peer.code, grpc::StatusCode::OK);
  EXPECT_EQ(peer.cert, ReadFileOrEmpty(Pki("server.crt")));
  EXPECT_THAT(server.process->log(), Not(HasSubstr("PRIVATE KEY")));
}

TEST_F(ServerReloadTest, AGatewayOfANewCaIsAcceptedOnceItsCaIsInTheBundle) {
  ASSERT_TRUE(WriteFileAtomically(Live("ca.pem"), ReadFileOrEmpty(Pki("ca.crt")), 0644).ok());
  Daemon server = StartServerWith(Pki("server"), Live("ca.pem"));
  const std::string new_gw = Pki2("gw-gw-A");
  EXPECT_EQ(Probe(server.address, Pki("ca.crt"), new_gw).code, grpc::StatusCode::UNAVAILABLE);

  ASSERT_TRUE(WriteFileAtomically(Live("ca.pem"),
                                  ReadFileOrEmpty(Pki("ca.crt")) + ReadFileOrEmpty(Pki2("ca.crt")),
                                  0644)
                  .ok());
  ASSERT_TRUE(Hup(server));
  EXPECT_TRUE(WaitUntil(
      [&] { return Probe(server.address, Pki("ca.crt"), new_gw).code == grpc::StatusCode::OK; },
      absl::Seconds(10)));
  // The way a gateway asks: its 1st Seed Request goes through.
  cpns::v1::FirstSeedResponse response;
  const grpc::Status seed = RequestSeed(
      *ServerStub(server.address, {.ca_file = Pki("ca.crt"),
                                   .cert_file = new_gw + ".crt",
                                   .key_file = new_gw + ".key"}),
      "gw-A", &response);
  EXPECT_TRUE(seed.ok()) << seed.error_message();
  EXPECT_EQ(Probe(server.address, Pki("ca.crt"), Pki("gw-gw-B")).code, grpc::StatusCode::OK);
}

TEST_F(ServerReloadTest, ARevokedGatewayIsRefusedFromTheCrlAtStartAndAfterAReload) {
  const std::string crl = Crl("crl.pem", pki_dir_, {Pki("gw-gw-B.crt")});
  Daemon server = StartServerWith(Pki("server"), Pki("ca.crt"), {"--crl-file", crl});
  cpns::v1::FirstSeedResponse response;
  const grpc::Status refused =
      RequestSeed(*GatewayStub(server.address, pki_dir_, "gw-B"), "gw-B", &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(WaitUntil(
      [&] {
        return server.process->log().find("certificate serial " + Serial(Pki("gw-gw-B.crt")) +
                                          " is revoked") != std::string::npos;
      },
      absl::Seconds(10)))
      << server.process->log();
  EXPECT_EQ(Probe(server.address, Pki("ca.crt"), Pki("gw-gw-A")).code, grpc::StatusCode::OK);
  // A peer without a certificate (a probe, an assignee) is not the CRL's to refuse.
  EXPECT_EQ(Probe(server.address, Pki("ca.crt")).code, grpc::StatusCode::OK);

  Crl("crl.pem", pki_dir_, {Pki("gw-gw-B.crt"), Pki("gw-gw-A.crt")});
  ASSERT_TRUE(Hup(server));
  EXPECT_EQ(Probe(server.address, Pki("ca.crt"), Pki("gw-gw-A")).code,
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Probe(server.address, Pki("ca.crt"), Pki("gw-gw-00")).code, grpc::StatusCode::OK);
}

// docs/OPERATIONS.md, "Certificates and revocation": an old CA leaves
// --client-ca with one reload, its CRL with a later one; a CRL file with a
// bad block fails its reload and the CRLs in force stay.
TEST_F(ServerReloadTest, RetiringACaThenItsCrlAsTheDocsSay) {
  ASSERT_TRUE(WriteFileAtomically(Live("ca.pem"),
                                  ReadFileOrEmpty(Pki("ca.crt")) + ReadFileOrEmpty(Pki2("ca.crt")),
                                  0644)
                  .ok());
  const std::string ours = ReadFileOrEmpty(Crl("ours.pem", pki_dir_, {Pki("gw-gw-B.crt")}));
  const std::string old = ReadFileOrEmpty(Crl("old.pem", pki2_dir_, {}));
  ASSERT_TRUE(WriteFileAtomically(Live("crl.pem"), ours + old, 0644).ok());
  Daemon server = StartServerWith(Pki("server"), Live("ca.pem"), {"--crl-file", Live("crl.pem")});
  EXPECT_EQ(Probe(server.address, Pki("ca.crt"), Pki2("gw-gw-A")).code, grpc::StatusCode::OK);

  ASSERT_TRUE(WriteFileAtomically(Live("ca.pem"), ReadFileOrEmpty(Pki("ca.crt")), 0644).ok());
  ASSERT_TRUE(Hup(server)) << server.process->log();
  EXPECT_THAT(server.process->log(), HasSubstr("CRL of a CA not in the CA bundle"));
  // In force with the reload: the daemon checks the new bundle itself.
  EXPECT_EQ(Probe(server.address, Pki("ca.crt"), Pki2("gw-gw-A")).code,
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Probe(server.address, Pki("ca.crt"), Pki("gw-gw-B")).code,
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Probe(server.address, Pki("ca.crt"), Pki("gw-gw-A")).code, grpc::StatusCode::OK);

  ASSERT_TRUE(WriteFileAtomically(Live("crl.pem"), ours + old.substr(0, old.size() / 2), 0644)
                  .ok());
  EXPECT_FALSE(Hup(server));
  EXPECT_THAT(server.process->log(), HasSubstr("is not a whole, valid CRL"));
  ASSERT_TRUE(WriteFileAtomically(Live("crl.pem"), ours, 0644).ok());
  ASSERT_TRUE(Hup(server)) << server.process->log();
  EXPECT_EQ(Probe(server.address, Pki("ca.crt"), Pki("gw-gw-B")).code,
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Probe(server.address, Pki("ca.crt"), Pki("gw-gw-A")).code, grpc::StatusCode::OK);
}

}  // namespace
}  // namespace cpns::test
