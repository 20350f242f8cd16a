#include "reload_fixture.h"

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/file_util.h"
#include "core/openssl_ptr.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "support/temp_dir.h"
#include "wire/tls.h"

namespace cpns::test {

std::string ReloadTest::pki2_dir_;

namespace {

int Count(const std::string& log, const std::string& what) {
  int n = 0;
  for (size_t at = log.find(what); at != std::string::npos; at = log.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

void ReloadTest::SetUpTestSuite() {
  FlowTest::SetUpTestSuite();
  RunResult r = RunProgram({Program("cpns-keytool"), "pki", "server", "--dir", pki_dir_,
                            "--server-name", "cpns-server.test", "--out-base", "server-2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  pki2_dir_ = test::NewTempDir("pki2") + "/pki";
  r = RunProgram({Program("cpns-keytool"), "pki", "init", "--out", pki2_dir_, "--ca-name",
                  "cpns dev operator CA 2", "--server-name", "cpns-server.test", "--gateway",
                  "gw-A"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

std::shared_ptr<grpc::Channel> ReloadTest::Connect(const std::string& address,
                                                   const std::string& ca,
                                                   const std::string& client) {
  wire::ClientTlsOptions tls{.ca_file = ca};
  if (!client.empty()) {
    tls.cert_file = client + ".crt";
    tls.key_file = client + ".key";
  }
  auto creds = wire::MakeChannelCredentials(tls);
  EXPECT_TRUE(creds.ok()) << creds.status();
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
  return grpc::CreateCustomChannel(address, *creds, args);
}

ReloadTest::Peer ReloadTest::Check(grpc::Channel& channel) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status s =
      grpc::health::v1::Health::NewStub(
          std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}))
          ->Check(&context, request, &response);
  Peer peer{.code = s.error_code()};
  const auto pem = context.auth_context()->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (!pem.empty()) peer.cert.assign(pem.front().data(), pem.front().size());
  return peer;
}

FlowTest::Daemon ReloadTest::StartServerWith(const std::string& cert, const std::string& ca,
                                             std::vector<std::string> extra) {
  static int n = 0;
  const std::string ready = absl::StrCat(dir_, "/live-server", ++n, ".ready");
  std::vector<std::string> argv = {Program("cpns-server"), "serve", "--listen", "127.0.0.1:0",
                                   "--db", db_, "--cert", cert + ".crt", "--key", cert + ".key",
                                   "--client-ca", ca, "--ready-file", ready};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto p = std::make_unique<Process>(argv, absl::StrCat(dir_, "/live-server", n, ".log"));
  EXPECT_TRUE(WaitForFile(ready)) << p->log();
  const std::string contents = ReadFileOrEmpty(ready);
  return Daemon{std::move(p), contents.substr(0, contents.find('\n')), contents};
}

FlowTest::Daemon ReloadTest::StartGatewayWith(const std::string& server,
                                              const std::string& cert) {
  const std::string sock = dir_ + "/live-gw.sock";
  const std::string ready = dir_ + "/live-gw.ready";
  auto p = std::make_unique<Process>(
      std::vector<std::string>{Program("cpns-gw"), "serve", "--gw-id", "gw-A", "--server", server,
                               "--server-ca", Pki("ca.crt"), "--cert", cert + ".crt", "--key",
                               cert + ".key", "--state-dir", StateDir("gw-A"), "--pn-listen",
                               "unix:" + sock, "--ready-file", ready, "--admission", "open",
                               "--rate-limit-per-peer", "0", "--rate-limit-per-entity", "0",
                               "--upstream-timeout", "5s"},
      dir_ + "/live-gw.log");
  EXPECT_TRUE(WaitForFile(ready)) << p->log();
  return Daemon{std::move(p), "unix:" + sock, ReadFileOrEmpty(ready)};
}

void ReloadTest::Install(const std::string& from, const std::string& to) {
  ASSERT_TRUE(WriteFileAtomically(Live(to + ".crt"), ReadFileOrEmpty(from + ".crt"), 0644).ok());
  ASSERT_TRUE(WriteFileAtomically(Live(to + ".key"), ReadFileOrEmpty(from + ".key"), 0600).ok());
}

bool ReloadTest::Hup(const Daemon& daemon) {
  const std::string before = daemon.process->log();
  const int ok = Count(before, "reloaded"), failed = Count(before, "reload failed");
  EXPECT_EQ(::kill(daemon.process->pid(), SIGHUP), 0);
  bool reloaded = false;
  EXPECT_TRUE(WaitUntil(
      [&] {
        const std::string log = daemon.process->log();
        reloaded = Count(log, "reloaded") > ok;
        return reloaded || Count(log, "reload failed") > failed;
      },
      absl::Seconds(20)))
      << daemon.process->log();
  return reloaded;
}

std::string ReloadTest::Crl(const std::string& name, const std::string& dir,
                            const std::vector<std::string>& revoked, const std::string& ca) {
  std::vector<std::string> argv = {Program("cpns-keytool"), "pki", "crl", "--dir", dir,
                                   "--ca", ca, "--out", Live(name)};
  for (const std::string& r : revoked) argv.insert(argv.end(), {"--revoke", r});
  const RunResult r = RunProgram(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return Live(name);
}

std::string ReloadTest::Serial(const std::string& cert_file) {
  const std::string pem = ReadFileOrEmpty(cert_file);
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) return "";
  BnPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  char* hex = BN_bn2hex(bn.get());
  std::string out = hex;
  OPENSSL_free(hex);
  return out;
}

}  // namespace cpns::test
