#include "cpns/assignee/auth_client.h"

#include <grpcpp/client_context.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "assignee/channel.h"
#include "core/status_macros.h"
#include "cpns/core/kdf.h"
#include "cpns/core/random.h"
#include "cpns/v1/cpns.grpc.pb.h"
#include "wire/messages.h"
#include "wire/redact.h"
#include "wire/status.h"

namespace cpns::assignee {
namespace {

class GrpcAuthClient final : public AuthClient {
 public:
  explicit GrpcAuthClient(std::shared_ptr<grpc::Channel> channel)
      : stub_(cpns::v1::AuthService::NewStub(std::move(channel))) {}

  absl::Status Authenticate(const EUKeyAssignment& a, absl::Duration timeout) override {
    const absl::Time deadline = absl::Now() + timeout;
    cpns::v1::ChallengeResponse challenge;
    {
      grpc::ClientContext ctx;
      ctx.set_deadline(absl::ToChronoTime(deadline));
      const grpc::Status s = stub_->GetChallenge(&ctx, cpns::v1::ChallengeRequest(), &challenge);
      if (!s.ok()) return wire::FromGrpcStatus(s);
    }
    CPNS_ASSIGN_OR_RETURN(cpns::v1::AuthenticateRequest request,
                          MakeRequest(a, challenge.challenge()));
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(deadline));
    cpns::v1::AuthenticateResponse response;
    const grpc::Status s = stub_->Authenticate(&ctx, request, &response);
    wire::WipeSensitiveFields(request);
    return wire::FromGrpcStatus(s);
  }

 private:
  static absl::StatusOr<cpns::v1::AuthenticateRequest> MakeRequest(const EUKeyAssignment& a,
                                                                   const std::string& challenge) {
    CPNS_ASSIGN_OR_RETURN(SecretBytes client_nonce, SecureRandomNonce(kNonceSize));
    const AssignmentContext ctx{a.gw_id, a.seed_epoch, a.assignee, a.not_after};
    CPNS_ASSIGN_OR_RETURN(SecretBytes proof, DeriveAuthProof(a.eukey, ctx, a.second_seed, challenge,
                                                             client_nonce.RevealSecret()));
    cpns::v1::AuthenticateRequest r;
    r.set_challenge(challenge);
    r.set_client_nonce(std::string(client_nonce.RevealSecret()));
    r.set_gw_id(a.gw_id.value());
    r.set_seed_epoch(a.seed_epoch);
    r.set_entity_type(wire::ToProto(a.assignee.entity_type));
    r.set_entity_id(a.assignee.entity_id.value());
    r.set_user_id(a.assignee.user_id.value());
    r.set_second_seed(std::string(a.second_seed.RevealSecret()));
    r.set_not_after(a.not_after);
    r.set_proof(std::string(proof.RevealSecret()));
    return r;
  }

  std::unique_ptr<cpns::v1::AuthService::Stub> stub_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<AuthClient>> AuthClient::Create(const AuthClientOptions& options) {
  // A tcp: gateway listener serves pairing alone: authentication carries the
  // 2nd seed, which must not travel in the clear.
  if (absl::StartsWith(options.target, "tcp:")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--server/--gateway ", options.target, " is plain TCP, which gateways use for pairing "
        "only: authenticate through the gateway's unix: or tls: listener, or at the server"));
  }
  CPNS_ASSIGN_OR_RETURN(auto channel,
                        MakeChannel("--server/--gateway", options.target, options.ca_file,
                                    options.tls_name));
  return std::make_unique<GrpcAuthClient>(std::move(channel));
}

}  // namespace cpns::assignee
