#include "wire/tls.h"

#include <grpc/grpc_security_constants.h>

#include "cpns/core/secret_bytes.h"
#include "core/status_macros.h"
#include "wire/peer_identity.h"
#include "wire/tls_material.h"

namespace cpns::wire {
namespace {

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
  if (!options.client_ca_file.empty()) {
    CPNS_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadCaBundle("client CA", options.client_ca_file));
    ssl.client_certificate_request = ClientCertificateRequest(options.client_cert);
  }
  CPNS_ASSIGN_OR_RETURN(Identity identity, ReadIdentity(options.cert_file, options.key_file,
                                                        KeyFileRule::kAnyMode));
  ssl.pem_key_cert_pairs.push_back({identity.private_key, identity.cert_chain});
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::SslServerCredentials(ssl);
  WipeString(ssl.pem_key_cert_pairs.front().private_key);
  return creds;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const ClientTlsOptions& options) {
  grpc::SslCredentialsOptions ssl;
  CPNS_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadCaBundle("server CA", options.ca_file));
  if (!options.cert_file.empty() || !options.key_file.empty()) {
    CPNS_ASSIGN_OR_RETURN(Identity identity, ReadIdentity(options.cert_file, options.key_file,
                                                          KeyFileRule::kAnyMode));
    ssl.pem_cert_chain = identity.cert_chain;
    ssl.pem_private_key = identity.private_key;
  }
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::SslCredentials(ssl);
  WipeString(ssl.pem_private_key);
  return creds;
}

grpc_ssl_client_certificate_request_type ClientCertificateRequest(ClientCertPolicy policy) {
  return policy == ClientCertPolicy::kRequired
             ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
             : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
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
