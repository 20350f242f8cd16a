#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "core/file_util.h"
#include "pki/dev_pki.h"
#include "support/temp_dir.h"
#include "wire/crl.h"
#include "wire/tls_material.h"

// Revocation along a chain (maker root -> intermediate -> device), CAs that
// share a name, and CRL files with a bad block: real certificates and CRLs
// of the development PKI.
namespace cpns::wire {
namespace {

using ::testing::HasSubstr;

class CrlChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki::WriteDevelopmentPki({.out_dir = dir_,
                                          .server_name = "cpns.test",
                                          .gateway_ids = {"gw-1", "gw-2"},
                                          .device_ids = {"dev-1"}})
                    .ok());
    // Only the root in the bundle, as a device maker hands it out.
    ASSERT_TRUE(pki::IssueIntermediateDeviceCa(dir_, "device-ca", "device-int",
                                               {"dev-2", "dev-3"})
                    .ok());
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string Read(const std::string& name) const { return *ReadFile(Path(name)); }
  std::string Crl(const std::string& ca, std::vector<std::string> revoked,
                  const std::string& out) {
    for (std::string& r : revoked) r = Path(r);
    EXPECT_TRUE(pki::WriteDevelopmentCrl(dir_, ca, revoked, Path(out)).ok());
    return Read(out);
  }
  std::string Write(const std::string& name, const std::string& text) {
    EXPECT_TRUE(WriteFileAtomically(Path(name), text, 0644).ok());
    return Path(name);
  }
  // As gRPC hands a server the peer: its certificate, then the rest it sent.
  absl::Status Check(const CrlSet& crls, const std::string& cert_file) {
    auto certs = Certificates(Read(cert_file), cert_file);
    EXPECT_TRUE(certs.ok() && certs->size() == 2u);
    const std::string all = Read(cert_file);
    const size_t second = all.find("-----BEGIN CERTIFICATE-----", 1);
    return crls.Check(all.substr(0, second), all.substr(second));
  }

  const std::string dir_ = test::NewTempDir("cpns_crl_chain");
};

TEST_F(CrlChainTest, AnIntermediatesCrlRefusesItsLeafWithOnlyTheRootInTheBundle) {
  const std::string file = Write("crl.pem", Crl("device-int", {"device-dev-2.crt"}, "i.pem"));
  auto crls = CrlSet::Load(file, Read("device-ca.crt"), absl::Now());
  ASSERT_TRUE(crls.ok()) << crls.status();
  const absl::Status refused = Check(**crls, "device-dev-2.crt");
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(refused.message(), HasSubstr("is revoked"));
  EXPECT_TRUE(Check(**crls, "device-dev-3.crt").ok());
  // The leaf and its chain in one text work the same.
  EXPECT_FALSE((*crls)->Check(Read("device-dev-2.crt")).ok());
}

TEST_F(CrlChainTest, ARootsCrlRevokingTheIntermediateRefusesEveryLeafBelowIt) {
  const std::string file = Write(
      "crl.pem", Crl("device-ca", {"device-int.crt"}, "r.pem") + Crl("device-int", {}, "i.pem"));
  auto crls = CrlSet::Load(file, Read("device-ca.crt"), absl::Now());
  ASSERT_TRUE(crls.ok()) << crls.status();
  EXPECT_EQ((*crls)->size(), 2u);
  for (const char* device : {"device-dev-2.crt", "device-dev-3.crt"}) {
    const absl::Status refused = Check(**crls, device);
    EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied) << device;
    EXPECT_THAT(refused.message(), HasSubstr("(a CA of the peer's chain) is revoked"));
  }
  // A device issued by the root directly is not below the intermediate.
  EXPECT_TRUE((*crls)->Check(Read("device-dev-1.crt")).ok());
}

TEST_F(CrlChainTest, AnIntermediatesCrlMadeWithAnotherKeyRevokesNothing) {
  // Another maker's intermediate of the same name signs a CRL naming dev-3.
  const std::string other = test::NewTempDir("cpns_crl_chain_other");
  ASSERT_TRUE(pki::WriteDevelopmentPki({.out_dir = other,
                                        .server_name = "x",
                                        .gateway_ids = {"gw-9"},
                                        .device_ids = {"dev-9"}})
                  .ok());
  ASSERT_TRUE(pki::IssueIntermediateDeviceCa(other, "device-ca", "device-int", {}).ok());
  ASSERT_TRUE(pki::WriteDevelopmentCrl(other, "device-int", {Path("device-dev-3.crt")},
                                       Path("forged.pem"))
                  .ok());
  const std::string file =
      Write("crl.pem", Read("forged.pem") + Crl("device-int", {"device-dev-2.crt"}, "i.pem"));
  // Its signer is not in the bundle: loaded, checked against the chain.
  auto crls = CrlSet::Load(file, Read("device-ca.crt"), absl::Now());
  ASSERT_TRUE(crls.ok()) << crls.status();
  EXPECT_TRUE(Check(**crls, "device-dev-3.crt").ok()) << Check(**crls, "device-dev-3.crt");
  // ...and does not hide the genuine CRL.
  EXPECT_EQ(Check(**crls, "device-dev-2.crt").code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(CrlChainTest, TwoCasOfOneNameEachHaveTheirCrl) {
  // A re-keyed operator CA: same subject name, another key.
  const std::string next = test::NewTempDir("cpns_crl_chain_rekeyed");
  ASSERT_TRUE(pki::WriteDevelopmentPki(
                  {.out_dir = next, .server_name = "x", .gateway_ids = {"gw-1", "gw-2"}})
                  .ok());
  auto read = [&](const std::string& name) { return *ReadFile(next + "/" + name); };
  ASSERT_TRUE(pki::WriteDevelopmentCrl(next, "ca", {next + "/gw-gw-2.crt"}, Path("n.pem")).ok());
  const std::string file = Write("crl.pem", Read("n.pem") + Crl("ca", {"gw-gw-1.crt"}, "o.pem"));
  auto crls = CrlSet::Load(file, Read("ca.crt") + read("ca.crt"), absl::Now());
  ASSERT_TRUE(crls.ok()) << crls.status();
  EXPECT_FALSE((*crls)->Check(Read("gw-gw-1.crt")).ok());
  EXPECT_TRUE((*crls)->Check(Read("gw-gw-2.crt")).ok()) << (*crls)->Check(Read("gw-gw-2.crt"));
  EXPECT_FALSE((*crls)->Check(read("gw-gw-2.crt")).ok());
  EXPECT_TRUE((*crls)->Check(read("gw-gw-1.crt")).ok()) << (*crls)->Check(read("gw-gw-1.crt"));
}

// A CRL file whose second block is bad, in the ways files go bad.
class CrlBadBlockTest : public CrlChainTest,
                        public ::testing::WithParamInterface<std::string> {};

TEST_P(CrlBadBlockTest, FailsTheLoadNamingTheFileInsteadOfDroppingTheCrlsAfterIt) {
  const std::string good = Crl("ca", {}, "a.pem");
  const std::string next = Crl("device-ca", {"device-dev-1.crt"}, "b.pem");
  std::string bad = GetParam();
  if (bad == "truncated") bad = next.substr(0, next.size() / 2);
  const std::string file = Write("crl.pem", good + bad + next);
  auto crls = CrlSet::Load(file, Read("ca.crt") + Read("device-ca.crt"), absl::Now());
  EXPECT_EQ(crls.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(crls.status().message(), HasSubstr(file));
  EXPECT_THAT(crls.status().message(), HasSubstr("after CRL 1 is not a whole, valid CRL"));
}

INSTANTIATE_TEST_SUITE_P(
    Blocks, CrlBadBlockTest,
    ::testing::Values("truncated",
                      "-----BEGIN X509 CRL-----\n!!not base64!!\n-----END X509 CRL-----\n",
                      "-----BEGIN X509 CRL-----\nMAMCAQE=\n-----END X509 CRL-----\n"));

TEST_F(CrlChainTest, ACaBundleWithABadBlockFailsNamingTheFile) {
  const std::string cert = Read("device-ca.crt");
  const std::string file = Write("bundle.pem", Read("ca.crt") + cert.substr(0, cert.size() / 2));
  auto bundle = ReadCaBundle("client CA", file);
  EXPECT_EQ(bundle.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bundle.status().message(), HasSubstr("client CA file " + file));
  EXPECT_THAT(bundle.status().message(), HasSubstr("after certificate 1"));
  // Text around the blocks is not a block.
  const std::string commented = Write("commented.pem", "# ours\n" + Read("ca.crt") + "# end\n");
  EXPECT_TRUE(ReadCaBundle("client CA", commented).ok());
}

}  // namespace
}  // namespace cpns::wire
