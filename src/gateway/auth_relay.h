// AuthRelay: the gateway passes authentication calls of its assignees (which
// may have no WAN link of their own) to the CPNS Server, unchanged, over its
// own channel. The server decides; the relay only forwards, within the
// caller's deadline, and returns the server's status. Every call first counts
// against its peer's requests per minute (Admission::AdmitRelayed): a call
// over the limit gets RESOURCE_EXHAUSTED and is not forwarded, so local
// clients cannot flood the server through the gateway. Thread-safe.
#ifndef CPNS_GATEWAY_AUTH_RELAY_H_
#define CPNS_GATEWAY_AUTH_RELAY_H_

#include <grpcpp/channel.h>

#include <memory>

#include "absl/time/time.h"
#include "cpns/v1/cpns.grpc.pb.h"
#include "gateway/admission.h"
#include "wire/unix_peers.h"

namespace cpns::gateway {

class AuthRelay final : public cpns::v1::AuthService::Service {
 public:
  // `admission` and `peers` (the users of Unix socket connections) must
  // outlive the relay.
  AuthRelay(std::shared_ptr<grpc::Channel> server, absl::Duration upstream_timeout,
            Admission& admission, const wire::UnixPeers& peers)
      : stub_(cpns::v1::AuthService::NewStub(std::move(server))),
        upstream_timeout_(upstream_timeout),
        admission_(admission),
        peers_(peers) {}

  grpc::Status GetChallenge(grpc::ServerContext* context, const cpns::v1::ChallengeRequest* request,
                            cpns::v1::ChallengeResponse* response) override;
  grpc::Status Authenticate(grpc::ServerContext* context,
                            const cpns::v1::AuthenticateRequest* request,
                            cpns::v1::AuthenticateResponse* response) override;

 private:
  void SetDeadline(const grpc::ServerContext& caller, grpc::ClientContext& upstream) const;
  // OK if the caller is within its peer's rate limit; the refusal otherwise.
  grpc::Status Admit(const grpc::ServerContext& caller, const char* method);

  std::unique_ptr<cpns::v1::AuthService::Stub> stub_;
  const absl::Duration upstream_timeout_;
  Admission& admission_;
  const wire::UnixPeers& peers_;
};

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_AUTH_RELAY_H_
