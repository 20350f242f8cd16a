#include "wire/tls_reload.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/file_util.h"
#include "cpns/v1/cpns.grpc.pb.h"
#include "pki/dev_pki.h"
#include "support/temp_dir.h"

// Real TLS handshakes with a real gRPC server on 127.0.0.1 whose credentials
// are reloaded while it serves.
namespace cpns::wire {
namespace {

using ::testing::HasSubstr;

struct Seen {
  grpc::StatusCode code;
  std::string server_cert;  // the PEM the server presented; empty without a handshake
};

// One call on `channel`; its service implements nothing, so a served call
// is UNIMPLEMENTED.
Seen Call(grpc::Channel& channel) {
  auto stub = cpns::v1::EUKeyService::NewStub(
      std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  cpns::v1::EUKeyAssignmentRequest request;
  cpns::v1::EUKeyAssignmentResponse response;
  const grpc::Status status = stub->AssignEUKey(&context, request, &response);
  Seen seen{status.error_code(), ""};
  const auto pem = context.auth_context()->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (!pem.empty()) seen.server_cert.assign(pem.front().data(), pem.front().size());
  return seen;
}

class TlsReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki::WriteDevelopmentPki(
                    {.out_dir = dir_, .server_name = "cpns.test", .gateway_ids = {"gw-1", "gw-2"}})
                    .ok());
    ASSERT_TRUE(pki::IssueServerCertificate(dir_, "cpns.test", "server-2").ok());
    Install("server", "live");
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string Read(const std::string& name) const { return *ReadFile(Path(name)); }
  // Copies <from>.crt/.key over <to>.crt/.key (the key owner-only).
  void Install(const std::string& from, const std::string& to) {
    ASSERT_TRUE(WriteFileAtomically(Path(to + ".crt"), Read(from + ".crt"), 0644).ok());
    ASSERT_TRUE(WriteFileAtomically(Path(to + ".key"), Read(from + ".key"), 0600).ok());
  }

  void Serve(ServerTlsOptions options) {
    auto tls = ReloadableServerTls::Create(options);
    ASSERT_TRUE(tls.ok()) << tls.status();
    tls_ = std::move(*tls);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", tls_->credentials(), &port_);
    builder.RegisterService(&unimplemented_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }

  // A channel of its own (no connection shared with another channel).
  std::shared_ptr<grpc::Channel> Connect(const std::string& gw) {
    auto creds = MakeChannelCredentials(
        {.ca_file = Path("ca.crt"), .cert_file = Path(gw + ".crt"), .key_file = Path(gw + ".key")});
    EXPECT_TRUE(creds.ok()) << creds.status();
    return Connect(*creds);
  }
  std::shared_ptr<grpc::Channel> Connect(std::shared_ptr<grpc::ChannelCredentials> creds,
                                         const std::string& name = "cpns.test") {
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride(name);
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port_), creds, args);
  }

  // Waits (up to 10 s: gRPC re-reads about every second) until a new
  // connection sees `cert`.
  bool NewConnectionsSee(const std::string& cert) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      if (Call(*Connect("gw-gw-1")).server_cert == cert) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return false;
  }

  ServerTlsOptions Options() const {
    return {.cert_file = Path("live.crt"), .key_file = Path("live.key"),
            .client_ca_file = Path("ca.crt")};
  }

  const std::string dir_ = test::NewTempDir("cpns_tls_reload");
  std::unique_ptr<ReloadableServerTls> tls_;
  cpns::v1::EUKeyService::Service unimplemented_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

TEST_F(TlsReloadTest, NewHandshakesGetTheNewCertificateWhileAnOpenConnectionGoesOn) {
  Serve(Options());
  std::shared_ptr<grpc::Channel> early = Connect("gw-gw-1");
  Seen first = Call(*early);
  ASSERT_EQ(first.code, grpc::StatusCode::UNIMPLEMENTED);
  ASSERT_EQ(first.server_cert, Read("server.crt"));
  Install("server-2", "live");
  ASSERT_TRUE(tls_->Reload().ok());
  EXPECT_TRUE(NewConnectionsSee(Read("server-2.crt")));
  // The connection made before still serves, with the certificate it got.
  Seen later = Call(*early);
  EXPECT_EQ(later.code, grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(later.server_cert, Read("server.crt"));
}

TEST_F(TlsReloadTest, AFailedReloadKeepsTheCertificateInUse) {
  Serve(Options());
  ASSERT_TRUE(WriteFileAtomically(Path("live.key"), Read("gw-gw-1.key"), 0600).ok());
  absl::Status mismatch = tls_->Reload();
  EXPECT_THAT(mismatch.message(), HasSubstr("do not match"));
  ASSERT_TRUE(WriteFileAtomically(Path("live.crt"), "garbage", 0644).ok());
  EXPECT_THAT(tls_->Reload().message(), HasSubstr("live.crt is not PEM"));
  // Past two of gRPC's polls, a new connection still gets the old certificate.
  absl::SleepFor(absl::Milliseconds(2500));
  Seen seen = Call(*Connect("gw-gw-1"));
  EXPECT_EQ(seen.code, grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(seen.server_cert, Read("server.crt"));
}

// The gateway's side: ReloadableClientTls still checks the server's name.
TEST_F(TlsReloadTest, AReloadableClientChecksTheServersName) {
  Serve(Options());
  auto client = ReloadableClientTls::Create(
      {.ca_file = Path("ca.crt"), .cert_file = Path("gw-gw-1.crt"),
       .key_file = Path("gw-gw-1.key")});
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ(Call(*Connect((*client)->credentials(), "cpns.test")).code,
            grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(Call(*Connect((*client)->credentials(), "other.test")).code,
            grpc::StatusCode::UNAVAILABLE);
}

// The server refuses gw-1 (revoked): once the client reloads gw-2's
// certificate, its new connections get through.
TEST_F(TlsReloadTest, AReloadedClientPresentsItsNewCertificateOnNewConnections) {
  ASSERT_TRUE(pki::WriteDevelopmentCrl(dir_, "ca", {Path("gw-gw-1.crt")}, Path("crl.pem")).ok());
  ServerTlsOptions options = Options();
  options.crl_file = Path("crl.pem");
  Serve(options);
  Install("gw-gw-1", "client");
  auto client = ReloadableClientTls::Create(
      {.ca_file = Path("ca.crt"), .cert_file = Path("client.crt"), .key_file = Path("client.key")});
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ(Call(*Connect((*client)->credentials())).code, grpc::StatusCode::UNAVAILABLE);
  Install("gw-gw-2", "client");
  ASSERT_TRUE((*client)->Reload().ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  grpc::StatusCode code = grpc::StatusCode::UNAVAILABLE;
  while (code != grpc::StatusCode::UNIMPLEMENTED && absl::Now() < deadline) {
    code = Call(*Connect((*client)->credentials())).code;
    if (code != grpc::StatusCode::UNIMPLEMENTED) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(code, grpc::StatusCode::UNIMPLEMENTED);
}

// Without a certificate (an uplink admitted by pairing code) only the CA
// bundle is watched: a reload that trusts the server's CA lets new
// connections through; a failed one keeps the bundle in use.
TEST_F(TlsReloadTest, AReloadableClientWithoutCertificateReloadsItsCaBundle) {
  ServerTlsOptions options = Options();
  options.client_cert = ClientCertPolicy::kOptional;
  Serve(options);
  const std::string other = test::NewTempDir("cpns_tls_reload_other");
  ASSERT_TRUE(pki::WriteDevelopmentPki({.out_dir = other, .server_name = "cpns.test"}).ok());
  ASSERT_TRUE(WriteFileAtomically(Path("trust.pem"), *ReadFile(other + "/ca.crt"), 0644).ok());
  auto client = ReloadableClientTls::Create({.ca_file = Path("trust.pem")});
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ(Call(*Connect((*client)->credentials())).code, grpc::StatusCode::UNAVAILABLE);

  ASSERT_TRUE(WriteFileAtomically(Path("trust.pem"), Read("ca.crt"), 0644).ok());
  ASSERT_TRUE((*client)->Reload().ok());
  auto served = [&] {
    return Call(*Connect((*client)->credentials())).code == grpc::StatusCode::UNIMPLEMENTED;
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!served() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(100));
  EXPECT_TRUE(served());

  ASSERT_TRUE(WriteFileAtomically(Path("trust.pem"), "garbage", 0644).ok());
  EXPECT_THAT((*client)->Reload().message(), HasSubstr("trust.pem"));
  absl::SleepFor(absl::Milliseconds(2500));  // past two of gRPC's polls
  EXPECT_TRUE(served());
}

TEST_F(TlsReloadTest, ARevokedClientIsRefusedFromTheCrlGivenAtStartOrByReload) {
  ASSERT_TRUE(pki::WriteDevelopmentCrl(dir_, "ca", {Path("gw-gw-2.crt")}, Path("crl.pem")).ok());
  ServerTlsOptions options = Options();
  options.crl_file = Path("crl.pem");
  Serve(options);
  EXPECT_EQ(Call(*Connect("gw-gw-2")).code, grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Call(*Connect("gw-gw-1")).code, grpc::StatusCode::UNIMPLEMENTED);
  ASSERT_TRUE(pki::WriteDevelopmentCrl(dir_, "ca", {Path("gw-gw-1.crt")}, Path("crl.pem")).ok());
  ASSERT_TRUE(tls_->Reload().ok());
  EXPECT_EQ(Call(*Connect("gw-gw-1")).code, grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Call(*Connect("gw-gw-2")).code, grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(TlsReloadTest, AClientWithoutCertificateIsRefusedWhenOneIsRequired) {
  Serve(Options());
  auto creds = MakeChannelCredentials({.ca_file = Path("ca.crt")});
  ASSERT_TRUE(creds.ok());
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("cpns.test");
  auto channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port_), *creds, args);
  EXPECT_EQ(Call(*channel).code, grpc::StatusCode::UNAVAILABLE);
}

// Reloads (certificate and CRL, from this thread) while other threads make
// new handshakes: every call of the unrevoked gw-1 is served, with one of the
// two certificates; under TSan, no race between a reload and the handshakes
// that read the material and the CRLs.
TEST_F(TlsReloadTest, ReloadsWhileHandshakesGoOnServeEveryCall) {
  ASSERT_TRUE(pki::WriteDevelopmentCrl(dir_, "ca", {Path("gw-gw-2.crt")}, Path("crl.pem")).ok());
  ServerTlsOptions options = Options();
  options.crl_file = Path("crl.pem");
  Serve(options);
  const std::set<std::string> certs = {Read("server.crt"), Read("server-2.crt")};
  std::atomic<bool> done{false};
  std::atomic<int> served{0}, wrong{0};
  auto client = [&] {
    while (!done.load()) {
      const Seen seen = Call(*Connect("gw-gw-1"));
      if (seen.code == grpc::StatusCode::UNIMPLEMENTED && certs.count(seen.server_cert) == 1) {
        served.fetch_add(1);
      } else {
        wrong.fetch_add(1);
      }
    }
  };
  std::thread a(client), b(client);
  for (int i = 0; i < 10; ++i) {
    Install(i % 2 == 0 ? "server-2" : "server", "live");
    ASSERT_TRUE(pki::WriteDevelopmentCrl(dir_, "ca", {Path("gw-gw-2.crt")}, Path("crl.pem")).ok());
    EXPECT_TRUE(tls_->Reload().ok());
    absl::SleepFor(absl::Milliseconds(150));
  }
  done.store(true);
  a.join();
  b.join();
  EXPECT_GT(served.load(), 10);
  EXPECT_EQ(wrong.load(), 0);
}

TEST(ReloadableTlsTest, StartRefusesWhatAReloadWouldRefuse) {
  const std::string dir = test::NewTempDir("cpns_tls_start");
  ASSERT_TRUE(pki::WriteDevelopmentPki(
                  {.out_dir = dir, .server_name = "cpns.test", .gateway_ids = {"gw-1"}})
                  .ok());
  auto mismatch = ReloadableServerTls::Create(
      {.cert_file = dir + "/server.crt", .key_file = dir + "/gw-gw-1.key"});
  EXPECT_THAT(mismatch.status().message(), HasSubstr("do not match"));
  auto crl_alone = ReloadableServerTls::Create(
      {.cert_file = dir + "/server.crt", .key_file = dir + "/server.key", .crl_file = "x"});
  EXPECT_THAT(crl_alone.status().message(), HasSubstr("needs the client CA bundle"));
  auto client = ReloadableClientTls::Create({.ca_file = dir + "/ca.crt",
                                             .cert_file = dir + "/gw-gw-1.crt",
                                             .key_file = dir + "/server.key"});
  EXPECT_THAT(client.status().message(), HasSubstr("do not match"));
}

}  // namespace
}  // namespace cpns::wire
