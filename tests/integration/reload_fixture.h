// Certificate reload and revocation with the real daemons: what a TLS peer
// of a daemon sees, files replaced the way an operator replaces them, and
// SIGHUP.
#ifndef CPNS_TESTS_INTEGRATION_RELOAD_FIXTURE_H_
#define CPNS_TESTS_INTEGRATION_RELOAD_FIXTURE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "flow_fixture.h"

namespace cpns::test {

class ReloadTest : public FlowTest {
 protected:
  // The suite's PKI, plus server-2.crt/.key (a second server certificate of
  // the same CA) and a second operator CA in pki2 with its own gw-gw-A.
  static void SetUpTestSuite();
  static std::string Pki2(const std::string& file) { return pki2_dir_ + "/" + file; }

  struct Peer {
    grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
    std::string cert;  // the PEM the daemon presented; empty without a handshake
  };
  // A connection of its own to `address` (HOST:PORT) trusting `ca`, as
  // client certificate <client>.crt/.key when `client` is set: one health
  // check on it.
  static std::shared_ptr<grpc::Channel> Connect(const std::string& address, const std::string& ca,
                                                const std::string& client = "");
  static Peer Check(grpc::Channel& channel);
  static Peer Probe(const std::string& address, const std::string& ca,
                    const std::string& client = "") {
    return Check(*Connect(address, ca, client));
  }

  // A cpns-server with certificate <cert>.crt/.key and --client-ca `ca`.
  Daemon StartServerWith(const std::string& cert, const std::string& ca,
                         std::vector<std::string> extra = {});

  // A cpns-gw "gw-A" of `server` whose certificate towards the server is
  // <cert>.crt/.key, admitting anyone on its Unix socket.
  Daemon StartGatewayWith(const std::string& server, const std::string& cert);

  // Copies <from>.crt and <from>.key to dir_/<to>.crt and .key (key 0600),
  // the way an operator replaces them (atomically).
  void Install(const std::string& from, const std::string& to);
  std::string Live(const std::string& file) const { return dir_ + "/" + file; }
  // Sends SIGHUP and waits for the daemon to log the outcome: true when it
  // logged "reloaded", false for "reload failed".
  static bool Hup(const Daemon& daemon);
  // A CRL file in dir_ of the CA <dir>/ca revoking `revoked` (cert files).
  std::string Crl(const std::string& name, const std::string& dir,
                  const std::vector<std::string>& revoked, const std::string& ca = "ca");
  // The serial number of a PEM certificate file, in upper-case hex.
  static std::string Serial(const std::string& cert_file);

  static std::string pki2_dir_;
};

}  // namespace cpns::test

#endif  // CPNS_TESTS_INTEGRATION_RELOAD_FIXTURE_H_
