#include "core/openssl_ptr.h"
#include "pki/dev_pki.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "core/file_util.h"
#include "wire/peer_identity.h"
#include "support/temp_dir.h"

namespace cpns::pki {
namespace {

using ::testing::HasSubstr;


std::string MakeTempDir() { return test::NewTempDir("cpns_dev_pki"); }

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

std::string ReadOrEmpty(const std::string& path) {
  absl::StatusOr<std::string> contents = ReadFile(path);
  return contents.ok() ? *contents : "";
}

X509Ptr LoadCert(const std::string& path) {
  const std::string pem = ReadOrEmpty(path);
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

PkeyPtr LoadKey(const std::string& path) {
  const std::string pem = ReadOrEmpty(path);
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return PkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

// The result of verifying `leaf` against `ca` alone for `purpose`
// (X509_PURPOSE_SSL_SERVER/CLIENT): X509_V_OK or the X509_V_ERR_ code; -1 if
// the check could not be set up.
int VerifyResult(X509* ca, X509* leaf, int purpose) {
  StorePtr store(X509_STORE_new());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (store == nullptr || ctx == nullptr || X509_STORE_add_cert(store.get(), ca) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr) != 1 ||
      X509_STORE_CTX_set_purpose(ctx.get(), purpose) != 1) {
    return -1;
  }
  X509_verify_cert(ctx.get());
  return X509_STORE_CTX_get_error(ctx.get());
}

bool Verifies(X509* ca, X509* leaf, int purpose) {
  const int result = VerifyResult(ca, leaf, purpose);
  if (result != X509_V_OK) {
    ADD_FAILURE() << (result < 0 ? "setup failed" : X509_verify_cert_error_string(result));
  }
  return result == X509_V_OK;
}

class DevPkiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir() + "/pki";  // missing, so WriteDevelopmentPki creates it
    options_.out_dir = dir_;
    options_.server_name = "cpns.example.test";
    options_.gateway_ids = {"gw-01", "gw.two"};
    options_.device_ids = {"headset-42"};
    ASSERT_TRUE(WriteDevelopmentPki(options_).ok());
    ca_ = LoadCert(dir_ + "/ca.crt");
    ASSERT_NE(ca_, nullptr);
  }

  std::string dir_;
  DevPkiOptions options_;
  X509Ptr ca_;
};

TEST_F(DevPkiTest, WritesEveryFileWithItsMode) {
  EXPECT_EQ(ModeOf(dir_), 0700u);
  for (const std::string base : {"ca", "server", "gw-gw-01", "gw-gw.two"}) {
    EXPECT_EQ(ModeOf(dir_ + "/" + base + ".crt"), 0644u) << base;
    EXPECT_EQ(ModeOf(dir_ + "/" + base + ".key"), 0600u) << base;
    EXPECT_THAT(ReadOrEmpty(dir_ + "/" + base + ".key"), HasSubstr("BEGIN PRIVATE KEY"));
  }
}

TEST_F(DevPkiTest, CaIsASelfSignedCa) {
  EXPECT_TRUE(Verifies(ca_.get(), ca_.get(), X509_PURPOSE_ANY));
  EXPECT_EQ(X509_check_ca(ca_.get()), 1);
  for (int nid : {NID_basic_constraints, NID_key_usage}) {
    X509_EXTENSION* ext = X509_get_ext(ca_.get(), X509_get_ext_by_NID(ca_.get(), nid, -1));
    ASSERT_NE(ext, nullptr) << OBJ_nid2sn(nid);
    EXPECT_EQ(X509_EXTENSION_get_critical(ext), 1) << OBJ_nid2sn(nid);
  }
  EXPECT_TRUE(X509_get_key_usage(ca_.get()) & KU_KEY_CERT_SIGN);
}

TEST_F(DevPkiTest, ServerCertificateVerifiesAndNamesTheServer) {
  X509Ptr server = LoadCert(dir_ + "/server.crt");
  ASSERT_NE(server, nullptr);
  EXPECT_TRUE(Verifies(ca_.get(), server.get(), X509_PURPOSE_SSL_SERVER));
  EXPECT_EQ(X509_check_host(server.get(), "cpns.example.test", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(server.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(server.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(server.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_host(server.get(), "other.example.test", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_purpose(server.get(), X509_PURPOSE_SSL_CLIENT, 0), 0);
  EXPECT_EQ(X509_check_ca(server.get()), 0);
}

TEST_F(DevPkiTest, GatewayCertificatesVerifyAndCarryTheirIds) {
  for (const std::string id : {"gw-01", "gw.two"}) {
    const std::string base = dir_ + "/gw-" + id;
    X509Ptr cert = LoadCert(base + ".crt");
    ASSERT_NE(cert, nullptr) << id;
    EXPECT_TRUE(Verifies(ca_.get(), cert.get(), X509_PURPOSE_SSL_CLIENT)) << id;
    EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_CLIENT, 0), 1) << id;
    EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1) << id;
    absl::StatusOr<GatewayId> got = wire::GatewayIdFromCertificatePem(ReadOrEmpty(base + ".crt"));
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->value(), id);
  }
}

TEST_F(DevPkiTest, ASecondServerCertificateComesFromTheSameCaForANewKey) {
  ASSERT_TRUE(IssueServerCertificate(dir_, "cpns.example.net", "server-2").ok());
  X509Ptr second = LoadCert(dir_ + "/server-2.crt");
  ASSERT_NE(second, nullptr);
  EXPECT_TRUE(Verifies(ca_.get(), second.get(), X509_PURPOSE_SSL_SERVER));
  EXPECT_NE(ReadOrEmpty(dir_ + "/server-2.key"), ReadOrEmpty(dir_ + "/server.key"));
  EXPECT_EQ(ModeOf(dir_ + "/server-2.key"), 0600u);
  EXPECT_EQ(IssueServerCertificate(dir_, "cpns.example.net", "../x").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(DevPkiTest, ACrlOfTheCaRevokesTheNamedCertificatesAndVerifies) {
  ASSERT_TRUE(WriteDevelopmentCrl(dir_, "ca", {dir_ + "/gw-gw-01.crt"}, dir_ + "/crl.pem").ok());
  const std::string pem = ReadOrEmpty(dir_ + "/crl.pem");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr);
  ASSERT_NE(crl, nullptr);
  EXPECT_EQ(X509_CRL_verify(crl, X509_get0_pubkey(ca_.get())), 1);
  X509_REVOKED* entry = nullptr;
  X509Ptr revoked = LoadCert(dir_ + "/gw-gw-01.crt");
  X509Ptr kept = LoadCert(dir_ + "/server.crt");
  EXPECT_EQ(X509_CRL_get0_by_cert(crl, &entry, revoked.get()), 1);
  EXPECT_EQ(X509_CRL_get0_by_cert(crl, &entry, kept.get()), 0);
  X509_CRL_free(crl);
}

TEST_F(DevPkiTest, ACrlNamesItsCaKey) {
  ASSERT_TRUE(WriteDevelopmentCrl(dir_, "ca", {}, dir_ + "/crl.pem").ok());
  const std::string pem = ReadOrEmpty(dir_ + "/crl.pem");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr);
  ASSERT_NE(crl, nullptr);
  auto* akid = static_cast<AUTHORITY_KEYID*>(
      X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, nullptr, nullptr));
  ASSERT_NE(akid, nullptr);
  ASSERT_NE(akid->keyid, nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(akid->keyid, X509_get0_subject_key_id(ca_.get())), 0);
  AUTHORITY_KEYID_free(akid);
  X509_CRL_free(crl);
}

TEST_F(DevPkiTest, AnIntermediateDeviceCaIssuesDevicesThatSendTheirChain) {
  ASSERT_TRUE(IssueIntermediateDeviceCa(dir_, "device-ca", "device-int", {"ring-3"}).ok());
  X509Ptr root = LoadCert(dir_ + "/device-ca.crt");
  X509Ptr intermediate = LoadCert(dir_ + "/device-int.crt");
  ASSERT_NE(intermediate, nullptr);
  EXPECT_TRUE(Verifies(root.get(), intermediate.get(), X509_PURPOSE_ANY));
  EXPECT_EQ(X509_check_ca(intermediate.get()), 1);
  const std::string pem = ReadOrEmpty(dir_ + "/device-ring-3.crt");
  EXPECT_THAT(pem.substr(pem.find("-----END CERTIFICATE-----") + 25),
              HasSubstr(ReadOrEmpty(dir_ + "/device-int.crt")));
  X509Ptr device = LoadCert(dir_ + "/device-ring-3.crt");
  StorePtr store(X509_STORE_new());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  sk_X509_push(untrusted, intermediate.get());
  ASSERT_EQ(X509_STORE_add_cert(store.get(), root.get()), 1);
  ASSERT_EQ(X509_STORE_CTX_init(ctx.get(), store.get(), device.get(), untrusted), 1);
  EXPECT_EQ(X509_verify_cert(ctx.get()), 1)
      << X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
  sk_X509_free(untrusted);
  EXPECT_EQ(wire::EntityIdFromCertificatePem(pem)->value(), "ring-3");
  EXPECT_EQ(IssueIntermediateDeviceCa(dir_, "device-ca", "a/b", {}).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(DevPkiTest, DeviceCertificatesComeFromTheirOwnMakerCa) {
  X509Ptr device_ca = LoadCert(dir_ + "/device-ca.crt");
  X509Ptr device = LoadCert(dir_ + "/device-headset-42.crt");
  ASSERT_NE(device_ca, nullptr);
  ASSERT_NE(device, nullptr);
  EXPECT_TRUE(Verifies(device_ca.get(), device.get(), X509_PURPOSE_SSL_CLIENT));
  // The operator CA does not vouch for devices, nor the maker CA for gateways.
  EXPECT_EQ(VerifyResult(ca_.get(), device.get(), X509_PURPOSE_SSL_CLIENT),
            X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  X509Ptr gateway = LoadCert(dir_ + "/gw-gw-01.crt");
  EXPECT_EQ(VerifyResult(device_ca.get(), gateway.get(), X509_PURPOSE_SSL_CLIENT),
            X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  EXPECT_EQ(X509_check_purpose(device.get(), X509_PURPOSE_SSL_SERVER, 0), 0);
  const std::string pem = ReadOrEmpty(dir_ + "/device-headset-42.crt");
  absl::StatusOr<EntityId> entity = wire::EntityIdFromCertificatePem(pem);
  ASSERT_TRUE(entity.ok()) << entity.status();
  EXPECT_EQ(entity->value(), "headset-42");
  EXPECT_FALSE(wire::GatewayIdFromCertificatePem(pem).ok()) << "a device is not a gateway";
  EXPECT_FALSE(wire::EntityIdFromCertificatePem(ReadOrEmpty(dir_ + "/gw-gw-01.crt")).ok());
}

TEST_F(DevPkiTest, EachKeyMatchesItsCertificate) {
  for (const std::string base :
       {"ca", "server", "gw-gw-01", "gw-gw.two", "device-ca", "device-headset-42"}) {
    X509Ptr cert = LoadCert(dir_ + "/" + base + ".crt");
    PkeyPtr key = LoadKey(dir_ + "/" + base + ".key");
    ASSERT_NE(cert, nullptr) << base;
    ASSERT_NE(key, nullptr) << base;
    EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1) << base;
  }
  X509Ptr server = LoadCert(dir_ + "/server.crt");
  PkeyPtr ca_key = LoadKey(dir_ + "/ca.key");
  EXPECT_EQ(X509_check_private_key(server.get(), ca_key.get()), 0);
}

TEST_F(DevPkiTest, SerialNumbersDiffer) {
  X509Ptr server = LoadCert(dir_ + "/server.crt");
  ASSERT_NE(server, nullptr);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(ca_.get()),
                             X509_get0_serialNumber(server.get())),
            0);
}

TEST(DevPkiValidationTest, InvalidGatewayIdIsInvalidArgument) {
  DevPkiOptions options{MakeTempDir() + "/pki", "cpns.example.test", {"ok", "bad id"}};
  absl::Status status = WriteDevelopmentPki(options);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("gw_id"));
  EXPECT_EQ(ModeOf(options.out_dir), 0u) << "nothing is written for bad options";
}

TEST(DevPkiValidationTest, GatewayIdWithSlashIsInvalidArgument) {
  DevPkiOptions options{MakeTempDir(), "cpns.example.test", {"../escape"}};
  absl::Status status = WriteDevelopmentPki(options);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("gw_id"));
}

TEST(DevPkiValidationTest, BadDeviceIdIsInvalidArgument) {
  for (const std::string bad : {"bad id", "../escape"}) {
    DevPkiOptions options{MakeTempDir() + "/pki", "cpns.example.test", {"gw-01"}, {bad}};
    absl::Status status = WriteDevelopmentPki(options);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(status.message(), HasSubstr("entity_id")) << bad;
    EXPECT_EQ(ModeOf(options.out_dir), 0u) << "nothing is written for bad options";
  }
}

TEST(DevPkiValidationTest, EmptyServerNameIsInvalidArgument) {
  DevPkiOptions options{MakeTempDir(), "", {}};
  absl::Status status = WriteDevelopmentPki(options);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("server_name"));
}

TEST(DevPkiValidationTest, ExistingFilesAreOverwritten) {
  DevPkiOptions options{MakeTempDir(), "cpns.example.test", {"gw-01"}};
  ASSERT_TRUE(WriteDevelopmentPki(options).ok());
  const std::string first = ReadOrEmpty(options.out_dir + "/ca.crt");
  ASSERT_TRUE(WriteDevelopmentPki(options).ok());
  EXPECT_NE(ReadOrEmpty(options.out_dir + "/ca.crt"), first);
}

}  // namespace
}  // namespace cpns::pki
