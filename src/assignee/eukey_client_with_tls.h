// An EUKeyClient on TLS credentials that the program supplies: for a daemon
// whose credentials reload (cpns-gw's uplink, on wire::ReloadableClientTls,
// which the daemons' library cpns_wire_server holds and this library, part
// of the installed libcpns, does not link). Each request opens a connection
// of its own: such a daemon asks once per key lifetime, so a connection kept
// between requests would only carry material from before a reload, and the
// gateway asked checks the certificate (and its CRL) of the time at every
// request.
//
// Private to the programs of this project: the installed library offers
// EUKeyClient::Create only (cpns/assignee/eukey_client.h). Thread-safe as
// EUKeyClient.
#ifndef CPNS_ASSIGNEE_EUKEY_CLIENT_WITH_TLS_H_
#define CPNS_ASSIGNEE_EUKEY_CLIENT_WITH_TLS_H_

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "cpns/assignee/eukey_client.h"
#include "wire/tls.h"

namespace cpns::assignee {

// Makes the credentials for tls:, from the options EUKeyClient::Create
// would use (checked, no file read yet). Called once, by
// CreateEUKeyClientWithTls, and only for tls:.
using TlsCredentialsSource =
    std::function<absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>(
        const wire::ClientTlsOptions& tls)>;

// EUKeyClient::Create's checks of `options`, then `tls`'s errors.
absl::StatusOr<std::unique_ptr<EUKeyClient>> CreateEUKeyClientWithTls(
    const EUKeyClientOptions& options, const TlsCredentialsSource& tls);

// The channel a request is sent on: called once per request.
using ChannelSource = std::function<std::shared_ptr<grpc::Channel>()>;
// The gRPC EUKeyClient over `channel` (eukey_client.cc); `pairing_only` for
// a tcp: gateway, which serves pairing by code alone.
std::unique_ptr<EUKeyClient> MakeGrpcEUKeyClient(ChannelSource channel, bool pairing_only = false);

}  // namespace cpns::assignee

#endif  // CPNS_ASSIGNEE_EUKEY_CLIENT_WITH_TLS_H_
