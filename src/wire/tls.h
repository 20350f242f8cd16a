// TLS material for gRPC, loaded from PEM files. Thread-safe functions.
//
// The WAN (CPNS Server <-> PN GW) is mutual TLS only; the PN-side TCP
// listener of a gateway is server-authenticated TLS, and asks for a device
// certificate when the gateway admits devices by certificate. Private keys are read
// into wiping buffers; gRPC keeps its own copy for the life of the credentials.
#ifndef CPNS_WIRE_TLS_H_
#define CPNS_WIRE_TLS_H_

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cpns/core/identifiers.h"

namespace cpns::wire {

enum class ClientCertPolicy {
  kRequired,  // the handshake fails without a certificate from client_ca_file
  kOptional,  // a certificate, if presented, must verify; services decide
};

struct ServerTlsOptions {
  std::string cert_file;
  std::string key_file;
  // When set, client certificates are checked against this CA.
  std::string client_ca_file;
  ClientCertPolicy client_cert = ClientCertPolicy::kRequired;
  // PEM CRLs of the CAs in client_ca_file: a revoked client certificate is
  // refused. Only ReloadableServerTls (wire/tls_reload.h) enforces it.
  std::string crl_file;
};

struct ClientTlsOptions {
  std::string ca_file;    // trust anchor for the server certificate
  std::string cert_file;  // optional client certificate (mutual TLS)
  std::string key_file;
};

// NotFound / PermissionDenied naming the file that cannot be read;
// InvalidArgument naming the file for one that is not PEM, a CA file without
// a certificate, a key file without an (unencrypted) private key, and a
// certificate and key that do not match: all found here, before any
// connection is tried.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTlsOptions& options);
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const ClientTlsOptions& options);

// The gRPC request type of a client certificate policy (always verified
// against the CA bundle when presented).
grpc_ssl_client_certificate_request_type ClientCertificateRequest(ClientCertPolicy policy);

// The gateway identity of an authenticated TLS peer (its client certificate's
// urn:cpns:gw: SAN URI). Unauthenticated if the peer presented no certificate;
// PermissionDenied if the certificate carries no valid gateway identity.
absl::StatusOr<GatewayId> PeerGatewayId(const grpc::AuthContext& auth);

// The entity id of an authenticated TLS peer's device certificate (its
// urn:cpns:entity: SAN URI). Unauthenticated if the peer presented no
// verified certificate (a Unix-socket peer never does); PermissionDenied if
// the certificate carries no valid entity identity.
absl::StatusOr<EntityId> PeerEntityId(const grpc::AuthContext& auth);

}  // namespace cpns::wire

#endif  // CPNS_WIRE_TLS_H_
