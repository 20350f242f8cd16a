#include "flow_fixture.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "support/temp_dir.h"

namespace cpns::test {

std::string FlowTest::pki_dir_;

void FlowTest::SetUpTestSuite() {
  pki_dir_ = test::NewTempDir("pki") + "/pki";
  std::vector<std::string> argv = {Program("cpns-keytool"), "pki", "init", "--out", pki_dir_,
                                   "--server-name", "cpns-server.test", "--gateway", "gw-A",
                                   "--gateway", "gw-B", "--device", "headset-42",
                                   "--device", "watch-7", "--device", "gw-B"};
  for (int i = 0; i < kNumberedGateways; ++i) {
    argv.insert(argv.end(), {"--gateway", absl::StrFormat("gw-%02d", i)});
  }
  const RunResult r = RunProgram(argv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

void FlowTest::SetUp() {
  dir_ = test::NewTempDir("flow");
  db_ = dir_ + "/seeds.db";
}

FlowTest::Daemon FlowTest::StartServer(std::vector<std::string> extra) {
  static int n = 0;
  const std::string ready = absl::StrCat(dir_, "/server", ++n, ".ready");
  std::vector<std::string> argv = {Program("cpns-server"), "serve", "--listen", "127.0.0.1:0",
                                   "--db", db_, "--cert", Pki("server.crt"), "--key",
                                   Pki("server.key"), "--client-ca", Pki("ca.crt"),
                                   "--ready-file", ready};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.insert(argv.begin(), launcher_.begin(), launcher_.end());
  auto p = std::make_unique<Process>(argv, absl::StrCat(dir_, "/server", n, ".log"));
  EXPECT_TRUE(WaitForFile(ready)) << p->log();
  const std::string contents = ReadFileOrEmpty(ready);
  // The first line; "metrics_port N" may follow.
  const std::string address = contents.substr(0, contents.find('\n'));
  return Daemon{std::move(p), address, contents};
}

FlowTest::Daemon FlowTest::StartGateway(const std::string& gw_id, const std::string& server,
                                        const std::string& cert_id,
                                        std::vector<std::string> extra) {
  static int n = 0;
  const std::string id = cert_id.empty() ? gw_id : cert_id;
  const std::string sock = absl::StrCat(dir_, "/", gw_id, ".sock");
  const std::string ready = absl::StrCat(dir_, "/gw", ++n, ".ready");
  std::vector<std::string> argv = {
      Program("cpns-gw"), "serve", "--gw-id", gw_id, "--server", server, "--server-ca",
      Pki("ca.crt"), "--cert", Pki("gw-" + id + ".crt"), "--key", Pki("gw-" + id + ".key"),
      "--state-dir", StateDir(gw_id), "--pn-listen", "unix:" + sock, "--ready-file", ready,
      "--upstream-timeout", "5s"};
  // Tests of the flow itself admit everyone on the Unix socket, unthrottled;
  // admission tests pass their own --admission and limits.
  auto has = [&](const char* flag) {
    return std::find(extra.begin(), extra.end(), flag) != extra.end();
  };
  if (!has("--admission")) argv.insert(argv.end(), {"--admission", "open"});
  if (!has("--rate-limit-per-peer")) argv.insert(argv.end(), {"--rate-limit-per-peer", "0"});
  if (!has("--rate-limit-per-entity")) argv.insert(argv.end(), {"--rate-limit-per-entity", "0"});
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.insert(argv.begin(), launcher_.begin(), launcher_.end());
  auto p = std::make_unique<Process>(argv, absl::StrCat(dir_, "/gw", n, ".log"));
  EXPECT_TRUE(WaitForFile(ready)) << p->log();
  return Daemon{std::move(p), "unix:" + sock, ReadFileOrEmpty(ready)};
}

std::string FlowTest::TlsAddress(const Daemon& gateway) {
  const size_t at = gateway.ready.find("tls_port ");
  EXPECT_NE(at, std::string::npos) << "no tls_port in the ready file: " << gateway.ready;
  if (at == std::string::npos) return "";
  const size_t start = at + 9;
  return "tls:127.0.0.1:" + gateway.ready.substr(start, gateway.ready.find('\n', start) - start);
}

std::string FlowTest::TcpAddress(const Daemon& gateway) {
  const size_t at = gateway.ready.find("tcp_port ");
  EXPECT_NE(at, std::string::npos) << "no tcp_port in the ready file: " << gateway.ready;
  if (at == std::string::npos) return "";
  const size_t start = at + 9;
  return "tcp:127.0.0.1:" + gateway.ready.substr(start, gateway.ready.find('\n', start) - start);
}

RunResult FlowTest::Request(const std::string& gateway, const std::string& entity_id,
                            const std::string& user_id, std::vector<std::string> extra) {
  std::vector<std::string> argv = {Program("cpns-pne"), "request", "--gateway", gateway,
                                   "--entity-type", "PNE", "--entity-id", entity_id,
                                   "--user-id", user_id, "--json"};
  if (std::find(extra.begin(), extra.end(), "--timeout") == extra.end()) {
    extra.insert(extra.end(), {"--timeout", "15s"});
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  return RunProgram(argv);
}

nlohmann::json FlowTest::SeedsList() {
  const RunResult r = RunProgram({Program("cpns-server"), "seeds", "list", "--db", db_, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

std::string FlowTest::NewKek(const std::string& name) {
  const std::string path = dir_ + "/" + name;
  const RunResult r = RunProgram({Program("cpns-server"), "init", "--kek-file", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return path;
}

void FlowTest::UsePostgres(const std::string& base_url) {
  ASSERT_FALSE(base_url.empty()) << "no PostgreSQL server: run the test through ctest";
  db_ = NewPgDatabase(base_url);
  const RunResult m = RunProgram({Program("cpns-server"), "migrate", "--db", db_});
  ASSERT_EQ(m.exit_code, 0) << m.err;
}

int FlowTest::MetricsPort(const Daemon& daemon) {
  const std::string& ready = daemon.ready;
  const size_t at = ready.find("metrics_port ");
  EXPECT_NE(at, std::string::npos) << "no metrics_port in the ready file: " << ready;
  if (at == std::string::npos) return 0;
  const size_t start = at + std::string("metrics_port ").size();
  int port = 0;
  EXPECT_TRUE(absl::SimpleAtoi(ready.substr(start, ready.find('\n', start) - start), &port));
  return port;
}

}  // namespace cpns::test
