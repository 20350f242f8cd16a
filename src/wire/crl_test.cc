#include "wire/crl.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "core/file_util.h"
#include "pki/dev_pki.h"
#include "support/temp_dir.h"

// Real CRLs of a real development PKI, written by the same code as
// `cpns-keytool pki crl`.
namespace cpns::wire {
namespace {

using ::testing::HasSubstr;

class CrlSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki::WriteDevelopmentPki({.out_dir = dir_,
                                          .server_name = "cpns.test",
                                          .gateway_ids = {"gw-1", "gw-2"},
                                          .device_ids = {"dev-1"}})
                    .ok());
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string Read(const std::string& name) const { return *ReadFile(Path(name)); }
  // A CRL of `ca` revoking `revoked`, written to `out`.
  std::string Crl(const std::string& ca, std::vector<std::string> revoked, int days = 30,
                  const std::string& out = "crl.pem") {
    for (std::string& r : revoked) r = Path(r);
    EXPECT_TRUE(pki::WriteDevelopmentCrl(dir_, ca, revoked, Path(out), days).ok());
    return Path(out);
  }

  const std::string dir_ = test::NewTempDir("cpns_crl");
};

TEST_F(CrlSetTest, RefusesTheRevokedSerialOnlyAndAPeerWithoutCertificatePasses) {
  auto crls = CrlSet::Load(Crl("ca", {"gw-gw-2.crt"}), Read("ca.crt"), absl::Now());
  ASSERT_TRUE(crls.ok()) << crls.status();
  const absl::Status refused = (*crls)->Check(Read("gw-gw-2.crt"));
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(refused.message(), HasSubstr("is revoked"));
  EXPECT_TRUE((*crls)->Check(Read("gw-gw-1.crt")).ok());
  EXPECT_TRUE((*crls)->Check("").ok());
}

TEST_F(CrlSetTest, ACrlOfAnotherCaDoesNotRevokeASameSerialElsewhere) {
  // The device CA's CRL names no operator certificate, whatever the serials.
  const std::string both = Read("ca.crt") + Read("device-ca.crt");
  auto crls = CrlSet::Load(Crl("device-ca", {"device-dev-1.crt"}), both, absl::Now());
  ASSERT_TRUE(crls.ok()) << crls.status();
  EXPECT_EQ((*crls)->Check(Read("device-dev-1.crt")).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE((*crls)->Check(Read("gw-gw-1.crt")).ok());
}

TEST_F(CrlSetTest, OneFileMayHoldTheCrlsOfSeveralCas) {
  const std::string op = Crl("ca", {"gw-gw-1.crt"}, 30, "op.pem");
  const std::string dev = Crl("device-ca", {"device-dev-1.crt"}, 30, "dev.pem");
  ASSERT_TRUE(WriteFileAtomically(Path("all.pem"), *ReadFile(op) + *ReadFile(dev), 0644).ok());
  auto crls = CrlSet::Load(Path("all.pem"), Read("ca.crt") + Read("device-ca.crt"), absl::Now());
  ASSERT_TRUE(crls.ok()) << crls.status();
  EXPECT_EQ((*crls)->size(), 2u);
  EXPECT_FALSE((*crls)->Check(Read("gw-gw-1.crt")).ok());
  EXPECT_FALSE((*crls)->Check(Read("device-dev-1.crt")).ok());
  EXPECT_TRUE((*crls)->Check(Read("gw-gw-2.crt")).ok());
}

TEST_F(CrlSetTest, ACrlOfACaThatLeftTheBundleLoadsAndHasNoEffect) {
  // The operator retired device-ca from the bundle before removing its CRL.
  auto crls = CrlSet::Load(Crl("device-ca", {"device-dev-1.crt"}), Read("ca.crt"), absl::Now());
  ASSERT_TRUE(crls.ok()) << crls.status();
  EXPECT_TRUE((*crls)->Check(Read("gw-gw-1.crt")).ok());
}

TEST_F(CrlSetTest, ACrlWithTheIssuersNameButAnotherKeyIsRefusedAtLoad) {
  // A second PKI's CA has the same subject name and another key.
  const std::string other = test::NewTempDir("cpns_crl_other");
  ASSERT_TRUE(pki::WriteDevelopmentPki(
                  {.out_dir = other, .server_name = "x", .gateway_ids = {"gw-9"}})
                  .ok());
  ASSERT_TRUE(pki::WriteDevelopmentCrl(other, "ca", {}, Path("forged.pem")).ok());
  auto crls = CrlSet::Load(Path("forged.pem"), Read("ca.crt"), absl::Now());
  EXPECT_EQ(crls.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(crls.status().message(), HasSubstr("is not signed by that CA's key"));
}

TEST_F(CrlSetTest, AStaleCrlIsStillEnforced) {
  auto crls = CrlSet::Load(Crl("ca", {"gw-gw-2.crt"}, -2), Read("ca.crt"), absl::Now());
  ASSERT_TRUE(crls.ok()) << crls.status();
  EXPECT_EQ((*crls)->Check(Read("gw-gw-2.crt")).code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(CrlSetTest, AFileWithoutCrlOrNotPemIsRefusedNamingIt) {
  auto none = CrlSet::Load(Path("ca.crt"), Read("ca.crt"), absl::Now());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(none.status().message(), HasSubstr("ca.crt holds no PEM CRL"));
  ASSERT_TRUE(WriteFileAtomically(Path("junk"), "junk", 0644).ok());
  auto junk = CrlSet::Load(Path("junk"), Read("ca.crt"), absl::Now());
  EXPECT_THAT(junk.status().message(), HasSubstr("junk is not PEM"));
}

TEST_F(CrlSetTest, TheHolderHandsOutTheSetLastGiven) {
  CrlHolder holder;
  EXPECT_EQ(holder.Get()->size(), 0u);
  auto crls = CrlSet::Load(Crl("ca", {}), Read("ca.crt"), absl::Now());
  ASSERT_TRUE(crls.ok());
  holder.Set(*crls);
  EXPECT_EQ(holder.Get()->size(), 1u);
}

}  // namespace
}  // namespace cpns::wire
