#include "core/openssl_ptr.h"
#include "wire/peer_identity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

namespace cpns::wire {
namespace {

using ::testing::HasSubstr;


// A self-signed P-256 certificate, PEM-encoded. `san` is an OpenSSL
// subjectAltName config string such as "URI:urn:cpns:gw:a,DNS:x"; empty means
// no SAN extension.
std::string SelfSignedPem(const std::string& san) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr cert(X509_new());
  if (key == nullptr || cert == nullptr) return "";
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());
  if (!san.empty()) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str()));
    if (ext == nullptr || X509_add_ext(cert.get(), ext.get(), -1) != 1) return "";
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return "";
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(bio.get(), cert.get()) != 1) return "";
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

TEST(PeerIdentityTest, OneGatewayUriGivesItsId) {
  const std::string pem = SelfSignedPem("URI:urn:cpns:gw:gw-01");
  ASSERT_FALSE(pem.empty());
  absl::StatusOr<GatewayId> id = GatewayIdFromCertificatePem(pem);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->value(), "gw-01");
}

TEST(PeerIdentityTest, OtherUrisAndNamesAreIgnored) {
  const std::string pem =
      SelfSignedPem("URI:https://x,DNS:localhost,URI:urn:cpns:gw:gw-02,IP:127.0.0.1,URI:urn:x");
  ASSERT_FALSE(pem.empty());
  absl::StatusOr<GatewayId> id = GatewayIdFromCertificatePem(pem);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->value(), "gw-02");
}

TEST(PeerIdentityTest, NoSanExtensionIsPermissionDenied) {
  const std::string pem = SelfSignedPem("");
  ASSERT_FALSE(pem.empty());
  EXPECT_EQ(GatewayIdFromCertificatePem(pem).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(PeerIdentityTest, NoGatewayUriIsPermissionDenied) {
  const std::string pem = SelfSignedPem("DNS:localhost,URI:https://x");
  ASSERT_FALSE(pem.empty());
  absl::Status status = GatewayIdFromCertificatePem(pem).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(status.message(), HasSubstr("no urn:cpns:gw: URI"));
}

TEST(PeerIdentityTest, TwoGatewayUrisArePermissionDenied) {
  const std::string pem = SelfSignedPem("URI:urn:cpns:gw:a,URI:urn:cpns:gw:b");
  ASSERT_FALSE(pem.empty());
  absl::Status status = GatewayIdFromCertificatePem(pem).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(status.message(), HasSubstr("exactly one"));
}

TEST(PeerIdentityTest, InvalidGatewayIdIsPermissionDenied) {
  const std::string pem = SelfSignedPem("URI:urn:cpns:gw:bad id");
  ASSERT_FALSE(pem.empty());
  absl::Status status = GatewayIdFromCertificatePem(pem).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(status.message(), HasSubstr("gw_id"));
}

TEST(PeerIdentityTest, EmptyGatewayIdIsPermissionDenied) {
  const std::string pem = SelfSignedPem("URI:urn:cpns:gw:");
  ASSERT_FALSE(pem.empty());
  EXPECT_EQ(GatewayIdFromCertificatePem(pem).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(PeerIdentityTest, OneEntityUriGivesTheDeviceEntityId) {
  const std::string pem = SelfSignedPem("DNS:x,URI:urn:cpns:entity:headset-42,URI:urn:cpns:gw:g");
  ASSERT_FALSE(pem.empty());
  absl::StatusOr<EntityId> id = EntityIdFromCertificatePem(pem);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->value(), "headset-42");
}

TEST(PeerIdentityTest, DeviceCertificateRulesMatchTheGatewayOnes) {
  const struct {
    const char* san;
    const char* why;
  } cases[] = {{"", "no usable subjectAltName extension, so no urn:cpns:entity: URI"},
               {"URI:urn:cpns:gw:g", "no urn:cpns:entity: URI"},
               {"URI:urn:cpns:entity:a,URI:urn:cpns:entity:b", "exactly one"},
               {"URI:urn:cpns:entity:bad id", "entity_id"}};
  for (const auto& c : cases) {
    const std::string pem = SelfSignedPem(c.san);
    ASSERT_FALSE(pem.empty());
    absl::Status status = EntityIdFromCertificatePem(pem).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << c.san;
    EXPECT_THAT(status.message(), HasSubstr(c.why)) << c.san;
  }
}

TEST(PeerIdentityTest, GarbagePemIsInvalidArgument) {
  EXPECT_EQ(GatewayIdFromCertificatePem("not a certificate").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GatewayIdFromCertificatePem("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GatewayIdFromCertificatePem(
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cpns::wire
