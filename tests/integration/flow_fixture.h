// A CPNS deployment for one test: a development PKI (made once per suite by
// cpns-keytool, with device certificates for the entities headset-42,
// watch-7 and gw-B from a device maker CA), a cpns-server on 127.0.0.1 port 0 with a fresh SQLite file,
// and cpns-gw daemons on Unix sockets in the test's own directory.
#ifndef CPNS_TESTS_INTEGRATION_FLOW_FIXTURE_H_
#define CPNS_TESTS_INTEGRATION_FLOW_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.h"
#include "support/postgres.h"

namespace cpns::test {

class FlowTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  // The gateways of the suite's PKI: gw-A, gw-B and gw-00 .. gw-(n-1).
  static constexpr int kNumberedGateways = 96;
  void SetUp() override;

  struct Daemon {
    std::unique_ptr<Process> process;
    std::string address;  // server: HOST:PORT; gateway: unix:PATH
    std::string ready;    // what the daemon wrote to its --ready-file
  };

  static std::string Pki(const std::string& file) { return pki_dir_ + "/" + file; }
  // "tls:127.0.0.1:PORT" of a gateway's first tls: listener, from its ready
  // file ("tls_port N"); empty (and a test failure) when it has none.
  static std::string TlsAddress(const Daemon& gateway);
  // "tcp:127.0.0.1:PORT" of a gateway's first tcp: listener ("tcp_port N").
  static std::string TcpAddress(const Daemon& gateway);
  // The port of a daemon's --metrics-listen, from its ready file
  // ("metrics_port N"); 0 (and a test failure) when it has none.
  static int MetricsPort(const Daemon& daemon);

  // A cpns-server on db_ with the extra flags (e.g. --kek-file).
  Daemon StartServer(std::vector<std::string> extra = {});
  // `cert_id` picks the certificate (gw-<cert_id>.crt); by default the gateway's own.
  Daemon StartGateway(const std::string& gw_id, const std::string& server,
                      const std::string& cert_id = "", std::vector<std::string> extra = {});
  RunResult Request(const std::string& gateway, const std::string& entity_id,
                    const std::string& user_id, std::vector<std::string> extra = {});
  nlohmann::json SeedsList();
  std::string StateDir(const std::string& gw_id) { return dir_ + "/state-" + gw_id; }
  // A KEK file dir_/<name> made by `cpns-server init`, the way an operator
  // makes one; its path.
  std::string NewKek(const std::string& name = "kek");
  // db_ becomes a new database on the PostgreSQL server at `base_url` (the
  // ctest fixture's by default), migrated by `cpns-server migrate`, as the
  // store of every replica started next. Wrap in ASSERT_NO_FATAL_FAILURE.
  void UsePostgres(const std::string& base_url = PgFixtureUrl());

  // Put before every daemon's argv: e.g. a shell that lowers `ulimit -n`
  // and execs the daemon (same pid).
  std::vector<std::string> launcher_;

  static std::string pki_dir_;
  std::string dir_;
  std::string db_;
};

}  // namespace cpns::test

#endif  // CPNS_TESTS_INTEGRATION_FLOW_FIXTURE_H_
