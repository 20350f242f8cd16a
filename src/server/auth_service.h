// AuthServiceImpl: an assignee proves to the CPNS Server that it holds its
// EUKey. The server recomputes the EUKey from the stored 1st seed and what the
// assignee presents, and checks a proof over a challenge it issued.
//
// Thread-safe. Refusals, each with its own status: INVALID_ARGUMENT (malformed
// field), FAILED_PRECONDITION (challenge invalid, expired or already used),
// NOT_FOUND (unknown gateway or epoch), UNAUTHENTICATED (the proof does not
// verify: wrong key or any tampered field; or the EUKey or its seed epoch has
// expired), PERMISSION_DENIED (the gateway, the epoch or the key is revoked,
// or the epoch retired). Only a caller whose proof verifies learns about
// expiry and revocation. Every refusal is recorded in the audit log: one row
// per refusal relayed by a gateway (it has a certificate) or of a caller
// whose proof verified (it holds a key); the others, which anyone can make,
// counted by RefusalAudit.
#ifndef CPNS_SERVER_AUTH_SERVICE_H_
#define CPNS_SERVER_AUTH_SERVICE_H_

#include "cpns/core/clock.h"
#include "cpns/core/kdf.h"
#include "cpns/v1/cpns.grpc.pb.h"
#include "observe/metrics.h"
#include "server/caller.h"
#include "server/challenge.h"
#include "server/challenge_spender.h"
#include "server/refusal_audit.h"
#include "storage/seed_store.h"

namespace cpns::server {

class AuthServiceImpl final : public cpns::v1::AuthService::Service {
 public:
  // All must outlive the service. `state` finds seeds and spends
  // challenges; `audit` takes a row per identified refusal.
  // Each Authenticate counts on `results` (cpns_auth_requests_total{result}:
  // "ok" or the refusal's code, lower case) when not null.
  AuthServiceImpl(storage::AuthState& state, storage::AuditLog& audit,
                  const ChallengeCodec& challenges, RefusalAudit& refusals, const Clock& clock,
                  observe::Labeled<observe::Counter>* results = nullptr)
      : state_(state), spender_(state), audit_(audit), challenges_(challenges),
        refusals_(refusals), clock_(clock), results_(results), ok_(results ? &results->With("ok") : nullptr) {}

  grpc::Status GetChallenge(grpc::ServerContext* context, const cpns::v1::ChallengeRequest* request,
                            cpns::v1::ChallengeResponse* response) override;
  grpc::Status Authenticate(grpc::ServerContext* context,
                            const cpns::v1::AuthenticateRequest* request,
                            cpns::v1::AuthenticateResponse* response) override;

  // Authenticate once the caller is known; what the gRPC method runs.
  absl::Status Authenticate(const Caller& caller, const cpns::v1::AuthenticateRequest& request,
                            cpns::v1::AuthenticateResponse& response);

 private:
  // What a request whose proof of possession verifies has shown.
  struct Proven {
    storage::AuthRecord found;
    AssignmentContext claimed;
    Challenge challenge;
  };
  // Checks 1 to 4 (the fields, the challenge, the stored seed, the proof).
  absl::StatusOr<Proven> Prove(const cpns::v1::AuthenticateRequest& request);
  // After the proof verified: the challenge is spent; expiry, retirement and
  // revocation.
  absl::Status CheckStanding(const Proven& proven);
  // Logs and audits a refusal; `proven`: the proof had verified.
  void Refused(const Caller& caller, const cpns::v1::AuthenticateRequest& request,
               const absl::Status& refusal, bool proven);

  storage::AuthState& state_;
  ChallengeSpender spender_;  // concurrent calls share one commit of used challenges
  storage::AuditLog& audit_;
  const ChallengeCodec& challenges_;
  RefusalAudit& refusals_;
  const Clock& clock_;
  observe::Labeled<observe::Counter>* const results_;  // may be null
  observe::Counter* const ok_;                         // null when results_ is
};

}  // namespace cpns::server

#endif  // CPNS_SERVER_AUTH_SERVICE_H_
