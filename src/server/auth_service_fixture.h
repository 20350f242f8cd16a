// An AuthServiceImpl on an in-memory store, and an assignee that holds a
// real EUKey of gateway gw-a (epoch 1): what auth_service*_test.cc share.
#ifndef CPNS_SERVER_AUTH_SERVICE_FIXTURE_H_
#define CPNS_SERVER_AUTH_SERVICE_FIXTURE_H_

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "cpns/core/kdf.h"
#include "core/fake_clock.h"
#include "server/auth_service.h"
#include "storage/testing/fake_seed_store.h"
#include "wire/messages.h"

namespace cpns::server::test {

inline const GatewayId kGw = *GatewayId::Parse("gw-a");
inline constexpr absl::Duration kSeedLifetime = absl::Hours(1);
inline constexpr char kPeer[] = "ipv4:192.0.2.1:5000";

class AuthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_.GetOrCreateActive(kGw, {.lifetime = kSeedLifetime}).ok());
  }

  // A caller without a client certificate (as an assignee on the WAN).
  static Caller Anonymous() {
    return Caller{.gateway = absl::UnauthenticatedError("no certificate"), .peer = kPeer,
                  .store_deadline = absl::Now() + absl::Seconds(30)};
  }
  // A gateway relaying its assignee's request.
  static Caller Relay(const GatewayId& gw = kGw) {
    Caller c = Anonymous();
    c.gateway = gw;
    return c;
  }

  // The first seed of `epoch` (zeros for an epoch the store does not have).
  SecretBytes FirstSeed(uint32_t epoch) {
    absl::StatusOr<storage::StoredSeed> seed = store_.Get(kGw, epoch);
    return seed.ok() ? seed->first_seed : SecretBytes(32);
  }
  // The EUKey's 2nd seed, as the gateway derived it for the assignee.
  SecretBytes SecondSeed(uint32_t epoch = 1) {
    return *DeriveSecondSeed(FirstSeed(epoch), kGw, assignee_, std::string(kNonceSize, 'n'));
  }

  // A request whose proof verifies, over a fresh challenge, for an EUKey of
  // `epoch` valid until `not_after` (default: a day from now).
  cpns::v1::AuthenticateRequest Valid(uint32_t epoch = 1,
                                      std::optional<absl::Time> not_after = std::nullopt) {
    const SecretBytes second = SecondSeed(epoch);
    const absl::Time until = not_after.value_or(clock_.Now() + absl::Hours(24));
    const AssignmentContext context{kGw, epoch, assignee_, absl::ToUnixSeconds(until)};
    cpns::v1::AuthenticateRequest r;
    r.set_challenge(challenges_.Issue()->bytes);
    r.set_client_nonce(std::string(kNonceSize, 'c'));
    r.set_gw_id(kGw.value());
    r.set_seed_epoch(epoch);
    r.set_entity_type(wire::ToProto(assignee_.entity_type));
    r.set_entity_id(assignee_.entity_id.value());
    r.set_user_id(assignee_.user_id.value());
    r.set_second_seed(std::string(second.RevealSecret()));
    r.set_not_after(context.not_after);
    const SecretBytes eukey = *DeriveEUKey(FirstSeed(epoch), second, context);
    r.set_proof(std::string(
        DeriveAuthProof(eukey, context, second, r.challenge(), r.client_nonce())->RevealSecret()));
    return r;
  }

  absl::Status Authenticate(const cpns::v1::AuthenticateRequest& r,
                            const Caller& caller = Anonymous()) {
    cpns::v1::AuthenticateResponse response;
    return service_.Authenticate(caller, r, response);
  }

  std::vector<storage::AuditEvent> RefusalRows() {
    return *store_.ListAudit({.action = storage::kAuditAuthRefused});
  }

  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  storage::fakes::FakeSeedStore store_{clock_};
  ChallengeCodec challenges_{SecretBytes::CopyFrom(std::string(32, 'k')), clock_,
                             absl::Seconds(60)};
  RefusalAudit refusals_{store_, {}};  // not started: flushed by hand or at its end
  AuthServiceImpl service_{store_, store_, challenges_, refusals_, clock_};
  const Assignee assignee_{EntityType::kPne, *EntityId::Parse("pne-1"), *UserId::Parse("alice")};
};

}  // namespace cpns::server::test

#endif  // CPNS_SERVER_AUTH_SERVICE_FIXTURE_H_
