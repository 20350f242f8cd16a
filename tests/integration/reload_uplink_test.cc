// A nested gateway's uplink credentials without a restart: gateway B, an
// assignee of gateway A over tls:, reloads its device certificate and key
// (--uplink-cert/--uplink-key) and its CA bundle for A (--uplink-gateway-ca)
// on SIGHUP; its next request to A presents them. A keeps B's uplink key
// short-lived (--key-lifetime 3s) so that B asks again every few seconds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "pki/dev_pki.h"
#include "reload_fixture.h"

namespace cpns::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

int Count(const std::string& log, const std::string& what) {
  int n = 0;
  for (size_t at = log.find(what); at != std::string::npos; at = log.find(what, at + 1)) ++n;
  return n;
}

constexpr char kHeld[] = "uplink EUKey held";
constexpr char kNotObtained[] = "uplink EUKey from the upstream gateway not obtained";

class UplinkReloadTest : public ReloadTest {
 protected:
  // Gateway A admitting by device certificate on tls:, its PN certificate
  // <pn>.crt/.key, the device CRL file `crl`.
  Daemon StartA(const std::string& server, const std::string& pn, const std::string& crl) {
    return StartGateway("gw-A", server, "",
                        {"--admission", "certificate", "--device-ca", Pki("device-ca.crt"),
                         "--crl-file", crl, "--pn-listen", "tls:127.0.0.1:0", "--pn-cert",
                         pn + ".crt", "--pn-key", pn + ".key", "--key-lifetime", "3s"});
  }
  // Gateway B, uplinked to `a` with Live("b-ca.pem") and Live("b-dev.crt/.key").
  Daemon StartB(const std::string& server, const Daemon& a) {
    return StartGateway("gw-B", server, "",
                        {"--uplink-gateway", TlsAddress(a), "--uplink-gateway-ca",
                         Live("b-ca.pem"), "--uplink-user-id", "alice", "--uplink-cert",
                         Live("b-dev.crt"), "--uplink-key", Live("b-dev.key")});
  }
  // Waits until `daemon` has logged `what` more than `than` times.
  static bool LogsMore(const Daemon& daemon, const char* what, int than) {
    return WaitUntil([&] { return Count(daemon.process->log(), what) > than; },
                     absl::Seconds(30), absl::Milliseconds(200));
  }
  // A second device certificate for gw-B, from an intermediate of the same
  // device CA (in a directory of its own: the suite's PKI stays as it is);
  // its base path.
  std::string NewDeviceCertificateOfB() {
    const std::string dir = Live("pki-new");
    EXPECT_EQ(::mkdir(dir.c_str(), 0700), 0);
    for (const char* f : {"device-ca.crt", "device-ca.key"}) {
      EXPECT_TRUE(WriteFileAtomically(dir + "/" + f, ReadFileOrEmpty(Pki(f)), 0600).ok());
    }
    EXPECT_TRUE(pki::IssueIntermediateDeviceCa(dir, "device-ca", "device-int", {"gw-B"}).ok());
    return dir + "/device-gw-B";
  }
};

// A failed reload keeps the certificate in use (B still gets its key); once
// A revokes it, B's requests are refused until B reloads a new certificate.
TEST_F(UplinkReloadTest, BsNextUplinkConnectionPresentsItsNewDeviceCertificate) {
  Daemon server = StartServer();
  const std::string fresh = NewDeviceCertificateOfB();
  const std::string crl = Crl("devices.pem", pki_dir_, {}, "device-ca");
  Daemon a = StartA(server.address, Pki("gw-gw-A"), crl);
  ASSERT_TRUE(WriteFileAtomically(Live("b-ca.pem"), ReadFileOrEmpty(Pki("ca.crt")), 0644).ok());
  Install(Pki("device-gw-B"), "b-dev");
  Daemon b = StartB(server.address, a);
  ASSERT_TRUE(LogsMore(b, kHeld, 0)) << b.process->log() << a.process->log();

  // A certificate with another device's key, then the right key readable by
  // others: both refused, the reason logged, the old pair kept.
  ASSERT_TRUE(WriteFileAtomically(Live("b-dev.crt"), ReadFileOrEmpty(fresh + ".crt"), 0644).ok());
  ASSERT_TRUE(WriteFileAtomically(Live("b-dev.key"), ReadFileOrEmpty(Pki("device-watch-7.key")),
                                  0600)
                  .ok());
  EXPECT_FALSE(Hup(b));
  EXPECT_THAT(b.process->log(), HasSubstr("towards the upstream gateway: --uplink-*: "));
  EXPECT_THAT(b.process->log(), HasSubstr("do not match"));
  ASSERT_TRUE(WriteFileAtomically(Live("b-dev.key"), ReadFileOrEmpty(fresh + ".key"), 0644).ok());
  EXPECT_FALSE(Hup(b));
  EXPECT_THAT(b.process->log(), HasSubstr(Live("b-dev.key")));
  EXPECT_THAT(b.process->log(), Not(HasSubstr(ReadFileOrEmpty(fresh + ".key"))));
  const int held = Count(b.process->log(), kHeld);
  EXPECT_TRUE(LogsMore(b, kHeld, held)) << b.process->log();

  // A revokes B's first certificate: B's next request is refused...
  Crl("devices.pem", pki_dir_, {Pki("device-gw-B.crt")}, "device-ca");
  ASSERT_TRUE(Hup(a)) << a.process->log();
  const std::string revoked =
      "certificate serial " + Serial(Pki("device-gw-B.crt")) + " is revoked";
  ASSERT_TRUE(WaitUntil([&] { return Count(a.process->log(), revoked) > 0; }, absl::Seconds(30),
                        absl::Milliseconds(200)))
      << a.process->log() << b.process->log();

  // ... until B reloads its new certificate and key.
  ::chmod(Live("b-dev.key").c_str(), 0600);
  ASSERT_TRUE(Hup(b)) << b.process->log();
  const int before = Count(b.process->log(), kHeld);
  EXPECT_TRUE(LogsMore(b, kHeld, before)) << b.process->log() << a.process->log();
}

// A's PN certificate moves to another CA: B refuses it until B reloads a CA
// bundle that trusts the new CA.
TEST_F(UplinkReloadTest, BsNextUplinkConnectionTrustsItsNewCaBundle) {
  Daemon server = StartServer();
  const std::string crl = Crl("devices.pem", pki_dir_, {}, "device-ca");
  Install(Pki("gw-gw-A"), "a-pn");
  Daemon a = StartA(server.address, Live("a-pn"), crl);
  ASSERT_TRUE(WriteFileAtomically(Live("b-ca.pem"), ReadFileOrEmpty(Pki("ca.crt")), 0644).ok());
  Install(Pki("device-gw-B"), "b-dev");
  Daemon b = StartB(server.address, a);
  ASSERT_TRUE(LogsMore(b, kHeld, 0)) << b.process->log() << a.process->log();

  Install(Pki2("gw-gw-A"), "a-pn");
  ASSERT_TRUE(Hup(a)) << a.process->log();
  const int refused = Count(b.process->log(), kNotObtained);
  ASSERT_TRUE(LogsMore(b, kNotObtained, refused)) << b.process->log();

  // Not PEM: refused, the bundle in use kept.
  ASSERT_TRUE(WriteFileAtomically(Live("b-ca.pem"), "garbage", 0644).ok());
  EXPECT_FALSE(Hup(b));
  EXPECT_THAT(b.process->log(), HasSubstr(Live("b-ca.pem")));

  ASSERT_TRUE(WriteFileAtomically(Live("b-ca.pem"), ReadFileOrEmpty(Pki2("ca.crt")), 0644).ok());
  ASSERT_TRUE(Hup(b)) << b.process->log();
  const int held = Count(b.process->log(), kHeld);
  EXPECT_TRUE(LogsMore(b, kHeld, held)) << b.process->log() << a.process->log();
}

}  // namespace
}  // namespace cpns::test
