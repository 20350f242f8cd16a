// AuthRelay: the gateway passes authentication calls of its assignees (which
// may have no WAN link of their own) to the CPNS Server, unchanged, over its
// own channel. The server decides; the relay only forwards, within the
// caller's deadline, and returns the server's status. Thread-safe.
#ifndef CPNS_GATEWAY_AUTH_RELAY_H_
#define CPNS_GATEWAY_AUTH_RELAY_H_

#include <grpcpp/channel.h>

#include <memory>

#include "absl/time/time.h"
#include "cpns/v1/cpns.grpc.pb.h"

namespace cpns::gateway {

class AuthRelay final : public cpns::v1::AuthService::Service {
 public:
  AuthRelay(std::shared_ptr<grpc::Channel> server, absl::Duration upstream_timeout)
      : stub_(cpns::v1::AuthService::NewStub(std::move(server))),
        upstream_timeout_(upstream_timeout) {}

  grpc::Status GetChallenge(grpc::ServerContext* context, const cpns::v1::ChallengeRequest* request,
                            cpns::v1::ChallengeResponse* response) override;
  grpc::Status Authenticate(grpc::ServerContext* context,
                            const cpns::v1::AuthenticateRequest* request,
                            cpns::v1::AuthenticateResponse* response) override;

 private:
  void SetDeadline(const grpc::ServerContext& caller, grpc::ClientContext& upstream) const;

  std::unique_ptr<cpns::v1::AuthService::Stub> stub_;
  const absl::Duration upstream_timeout_;
};

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_AUTH_RELAY_H_
