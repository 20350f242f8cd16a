#include "wire/tls.h"

#include <grpc/grpc_security_constants.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "core/openssl_ptr.h"
#include "core/status_macros.h"
#include "wire/peer_identity.h"

namespace cpns::wire {
namespace {

absl::StatusOr<std::string> ReadPem(absl::string_view what, const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " file is not set"));
  absl::StatusOr<std::string> pem = ReadFile(path);
  if (!pem.ok()) {
    return absl::Status(pem.status().code(),
                        absl::StrCat(what, ": ", pem.status().message()));
  }
  if (!absl::StrContains(*pem, "-----BEGIN ")) {
    WipeString(*pem);
    return absl::InvalidArgumentError(absl::StrCat(what, " file ", path, " is not PEM"));
  }
  return pem;
}

BioPtr MemoryBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The first certificate of `pem`, read from `path`; InvalidArgument naming
// `what` and the file if there is none. (gRPC would only fail later, at
// connection time, with a message that does not say which file is wrong.)
absl::StatusOr<X509Ptr> FirstCertificate(absl::string_view what, const std::string& path,
                                         const std::string& pem) {
  BioPtr bio = MemoryBio(pem);
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  ERR_clear_error();
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " file ", path, " holds no PEM certificate"));
  }
  return cert;
}

// Never prompts on a terminal for the passphrase of an encrypted key.
int NoPassphrase(char*, int, int, void*) { return 0; }

// The key in `key_pem` is the private key of the certificate in `cert_pem`.
absl::Status CheckKeyPair(const std::string& cert_path, const std::string& cert_pem,
                          const std::string& key_path, const std::string& key_pem) {
  CPNS_ASSIGN_OR_RETURN(X509Ptr cert, FirstCertificate("certificate", cert_path, cert_pem));
  BioPtr bio = MemoryBio(key_pem);
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr) : nullptr);
  ERR_clear_error();
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "private key file ", key_path, " holds no unencrypted PEM private key"));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("certificate ", cert_path, " and private key ",
                                                   key_path, " do not match (the key is not "
                                                   "the certificate's)"));
  }
  return absl::OkStatus();
}

// The PEM of the peer's verified client certificate.
absl::StatusOr<absl::string_view> PeerCertificatePem(const grpc::AuthContext& auth) {
  const std::vector<grpc::string_ref> pem = auth.FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (!auth.IsPeerAuthenticated() || pem.empty()) {
    return absl::UnauthenticatedError("the peer presented no verified client certificate");
  }
  return absl::string_view(pem.front().data(), pem.front().size());
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTlsOptions& options) {
  grpc::SslServerCredentialsOptions ssl;
  // The private key is read last, so no error path leaves a copy unwiped.
  if (!options.client_ca_file.empty()) {
    CPNS_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem("client CA", options.client_ca_file));
    CPNS_RETURN_IF_ERROR(
        FirstCertificate("client CA", options.client_ca_file, ssl.pem_root_certs).status());
    ssl.client_certificate_request =
        options.client_cert == ClientCertPolicy::kRequired
            ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
            : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  CPNS_ASSIGN_OR_RETURN(std::string cert, ReadPem("certificate", options.cert_file));
  CPNS_ASSIGN_OR_RETURN(std::string key, ReadPem("private key", options.key_file));
  if (absl::Status s = CheckKeyPair(options.cert_file, cert, options.key_file, key); !s.ok()) {
    WipeString(key);
    return s;
  }
  ssl.pem_key_cert_pairs.push_back({key, cert});
  WipeString(key);
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::SslServerCredentials(ssl);
  WipeString(ssl.pem_key_cert_pairs.front().private_key);
  return creds;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const ClientTlsOptions& options) {
  grpc::SslCredentialsOptions ssl;
  CPNS_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem("server CA", options.ca_file));
  CPNS_RETURN_IF_ERROR(FirstCertificate("server CA", options.ca_file, ssl.pem_root_certs).status());
  if (!options.cert_file.empty() || !options.key_file.empty()) {
    CPNS_ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadPem("certificate", options.cert_file));
    CPNS_ASSIGN_OR_RETURN(ssl.pem_private_key, ReadPem("private key", options.key_file));
    if (absl::Status s = CheckKeyPair(options.cert_file, ssl.pem_cert_chain, options.key_file,
                                      ssl.pem_private_key);
        !s.ok()) {
      WipeString(ssl.pem_private_key);
      return s;
    }
  }
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::SslCredentials(ssl);
  WipeString(ssl.pem_private_key);
  return creds;
}

absl::StatusOr<GatewayId> PeerGatewayId(const grpc::AuthContext& auth) {
  CPNS_ASSIGN_OR_RETURN(absl::string_view pem, PeerCertificatePem(auth));
  return GatewayIdFromCertificatePem(pem);
}

absl::StatusOr<EntityId> PeerEntityId(const grpc::AuthContext& auth) {
  CPNS_ASSIGN_OR_RETURN(absl::string_view pem, PeerCertificatePem(auth));
  return EntityIdFromCertificatePem(pem);
}

}  // namespace cpns::wire
