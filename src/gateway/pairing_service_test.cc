// PairingServiceImpl in process: a device (the SPAKE2+ prover, written here
// on the core's pairing functions) against the gateway's service on a real
// state database, a fake 1st seed source and a fake clock.
#include "gateway/pairing_service.h"

#include <grpcpp/server_context.h>
#include <gtest/gtest.h>

#include "core/fake_clock.h"
#include "core/pairing.h"
#include "core/p256.h"
#include "core/pairing_code.h"
#include "cpns/core/hex.h"
#include "cpns/core/kdf.h"
#include "gateway/test_fakes.h"
#include "support/temp_dir.h"

namespace cpns::gateway {
namespace {

using test::FakeSeedSource;
using test::Gw;

constexpr uint32_t kFast = 1000;

Assignee Who(const std::string& entity, const std::string& user) {
  return {EntityType::kPne, *EntityId::Parse(entity), *UserId::Parse(user)};
}

cpns::v1::StartPairingRequest StartFor(const Assignee& a) {
  cpns::v1::StartPairingRequest r;
  r.set_entity_type(cpns::v1::ENTITY_TYPE_PNE);
  r.set_entity_id(a.entity_id.value());
  r.set_user_id(a.user_id.value());
  return r;
}

// What a device ends with.
struct Outcome {
  grpc::Status status;
  cpns::v1::EUKeyAssignmentResponse assignment;  // when opened
  bool gateway_confirmed = false;
};

class PairingServiceTest : public ::testing::Test {
 protected:
  PairingServiceTest()
      : source_(clock_, absl::Hours(24 * 90)), cache_(Gw(), source_, "", clock_),
        state_(std::move(*GatewayStateDb::Open(cpns::test::NewTempDir("pairing"), clock_))),
        admission_({.mode = AdmissionMode::kPairing, .per_peer_per_minute = 0,
                    .failed_pairings_per_code = 3, .wrong_codes_before_throttle = 1000},
                   clock_),
        issuer_(cache_, *state_, clock_, {}),
        service_(issuer_, admission_, *state_, peers_, Gw(), *state_->PairingDecoyKey(), clock_,
                 {.max_sessions = 16, .max_per_peer = 8, .lifetime = absl::Seconds(60)}) {}

  std::string Add(const Assignee& who) {
    return std::string(state_->AddPairingCode(who, absl::Minutes(10), kFast)->RevealSecret());
  }
  grpc::Status Start(const Assignee& who, cpns::v1::StartPairingResponse& out) {
    grpc::ServerContext context;
    const cpns::v1::StartPairingRequest request = StartFor(who);
    return service_.StartPairing(&context, &request, &out);
  }
  grpc::Status Finish(const cpns::v1::FinishPairingRequest& request,
                      cpns::v1::FinishPairingResponse& out) {
    grpc::ServerContext context;
    return service_.FinishPairing(&context, &request, &out);
  }
  // The whole exchange as a device that typed `code` does it.
  Outcome Pair(const Assignee& who, const std::string& code) {
    Outcome o;
    cpns::v1::StartPairingResponse started;
    if (o.status = Start(who, started); !o.status.ok()) return o;
    auto secrets = pairing::ProverSecretsFromCode(*NormalizePairingCode(code),
                                                  started.pbkdf_salt(), started.pbkdf_iterations());
    auto prover = spake2plus::Prover::Start(*secrets);
    auto keys = prover->Finish(pairing::TranscriptIdentities(who, *GatewayId::Parse(started.gw_id())),
                               started.share_v());
    cpns::v1::FinishPairingRequest finish;
    finish.set_session_id(started.session_id());
    finish.set_share_p(prover->share());
    finish.set_confirm_p(keys->confirm_p);
    cpns::v1::FinishPairingResponse finished;
    if (o.status = Finish(finish, finished); !o.status.ok()) return o;
    o.gateway_confirmed = spake2plus::ConfirmationMatches(keys->confirm_v, finished.confirm_v());
    auto plain = pairing::OpenAssignment(*keys, finished.sealed_assignment());
    EXPECT_TRUE(plain.ok()) << plain.status();
    if (plain.ok()) o.assignment.ParseFromString(std::string(plain->RevealSecret()));
    return o;
  }

  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  FakeSeedSource source_;
  SeedCache cache_;
  std::unique_ptr<GatewayStateDb> state_;
  Admission admission_;
  const wire::UnixPeers peers_;
  KeyIssuer issuer_;
  PairingServiceImpl service_;
};

// The right code: both sides confirm, and the sealed response is the
// assignment the server can recompute, recorded before it left.
TEST_F(PairingServiceTest, TheRightCodeGetsAKeyRecordedAndSealed) {
  const std::string code = Add(Who("headset", "alice"));
  const Outcome o = Pair(Who("headset", "alice"), code);
  ASSERT_TRUE(o.status.ok()) << o.status.error_message();
  EXPECT_TRUE(o.gateway_confirmed);
  const cpns::v1::EUKeyAssignmentResponse& a = o.assignment;
  EXPECT_EQ(a.gw_id(), Gw().value());
  EXPECT_EQ(a.entity_id(), "headset");
  ASSERT_EQ(a.second_seed().size(), kSecondSeedSize);
  const SecretBytes recomputed =
      *DeriveEUKey(SecretBytes::CopyFrom(test::SeedBytes(a.seed_epoch())),
                   SecretBytes::CopyFrom(a.second_seed()),
                   {Gw(), a.seed_epoch(), Who("headset", "alice"), a.not_after()});
  EXPECT_EQ(a.eukey(), recomputed.RevealSecret());
  const auto records = *state_->ListAssignments(0, 10);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].admitted_by, "pairing-code");
  EXPECT_EQ(records[0].second_seed_fingerprint,
            SecondSeedFingerprint(SecretBytes::CopyFrom(a.second_seed())));
  EXPECT_EQ(*state_->PendingPairingCodes(), 0) << "used";
  EXPECT_EQ(issuer_.assignments_issued(), 1u);
  EXPECT_EQ(Pair(Who("headset", "alice"), code).status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED)
      << "once";
}

// A wrong code is refused and counted; the right one still works after it,
// and the limit-th failure spends the code.
TEST_F(PairingServiceTest, WrongCodesAreCountedAndTheLimitSpendsTheCode) {
  const std::string code = Add(Who("tv", "bob"));
  const Outcome wrong = Pair(Who("tv", "bob"), "AAAAA-AAAAA");
  EXPECT_EQ(wrong.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(wrong.status.error_message().find("the pairing code is not valid"), std::string::npos);
  EXPECT_EQ(state_->ListPendingPairingCodes()->at(0).failures, 1);
  EXPECT_TRUE(Pair(Who("tv", "bob"), code).status.ok()) << "below the limit, the code works";

  const std::string next = Add(Who("tv", "bob"));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Pair(Who("tv", "bob"), "AAAAA-AAAAA").status.error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  EXPECT_EQ(*state_->SpentPairingCodes(), 1);
  EXPECT_EQ(issuer_.refusals().at("pairing-code-spent"), 1u);
  EXPECT_EQ(Pair(Who("tv", "bob"), next).status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// Unknown entity/user pairs get parameters like a code's, stable from one
// start to the next, and the same refusal as a wrong code; nothing is
// counted in the store.
TEST_F(PairingServiceTest, UnknownPairsGetStableDecoysAndTheSameRefusal) {
  cpns::v1::StartPairingResponse before;
  ASSERT_TRUE(Start(Who("tv", "bob"), before).ok());
  Add(Who("tv", "bob"));
  cpns::v1::StartPairingResponse real, decoy1, decoy2;
  ASSERT_TRUE(Start(Who("tv", "bob"), real).ok());
  ASSERT_TRUE(Start(Who("radio", "eve"), decoy1).ok());
  ASSERT_TRUE(Start(Who("radio", "eve"), decoy2).ok());
  for (const auto* r : {&real, &decoy1}) {
    EXPECT_EQ(r->pbkdf_salt().size(), pairing::kSaltSize);
    EXPECT_EQ(r->pbkdf_iterations(), real.pbkdf_iterations() == kFast ? r->pbkdf_iterations()
                                                                      : pairing::kDefaultIterations);
    EXPECT_EQ(r->share_v().size(), spake2plus::kPointSize);
    EXPECT_EQ(r->gw_id(), Gw().value());
  }
  EXPECT_EQ(decoy1.pbkdf_salt(), decoy2.pbkdf_salt()) << "a fresh salt would mark a decoy";
  EXPECT_NE(decoy1.share_v(), decoy2.share_v()) << "a fresh y each time";
  EXPECT_NE(decoy1.pbkdf_salt(), real.pbkdf_salt());
  EXPECT_EQ(before.pbkdf_salt(), real.pbkdf_salt()) << "making a code changes nothing visible";
  const Outcome o = Pair(Who("radio", "eve"), "AAAAA-AAAAA");
  EXPECT_EQ(o.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(o.status.error_message().find("the pairing code is not valid"), std::string::npos);
  EXPECT_EQ(state_->ListPendingPairingCodes()->at(0).failures, 0);
  EXPECT_EQ(*state_->DecoyFailures(), 1) << "counted apart, with the same kind of write";
}

// A user the owner does not allow is not named in a refusal: its start gets
// the decoy, and even the right code fails like a wrong one.
TEST_F(PairingServiceTest, ADisallowedUserGetsTheDecoyNotARefusal) {
  Admission only_bob({.mode = AdmissionMode::kPairing, .allowed_users = {"bob"},
                      .per_peer_per_minute = 0},
                     clock_);
  PairingServiceImpl service(issuer_, only_bob, *state_, peers_, Gw(), *state_->PairingDecoyKey(),
                             clock_);
  const std::string code = Add(Who("tv", "carol"));
  grpc::ServerContext context;
  const cpns::v1::StartPairingRequest request = StartFor(Who("tv", "carol"));
  cpns::v1::StartPairingResponse started;
  const grpc::Status s = service.StartPairing(&context, &request, &started);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(started.share_v().size(), spake2plus::kPointSize);
  // The code was made with kFast iterations; the decoy has the default.
  EXPECT_EQ(started.pbkdf_iterations(), pairing::kDefaultIterations)
      << "the decoy's parameters, not the code's";
  EXPECT_EQ(state_->ListPendingPairingCodes()->at(0).failures, 0);
}

// A session is used once, by its own peer, within its lifetime; the table
// is bounded; a share that is no point is refused before it is used.
TEST_F(PairingServiceTest, SessionsAreBoundedOneShotAndExpire) {
  Add(Who("tv", "bob"));
  cpns::v1::StartPairingResponse started;
  ASSERT_TRUE(Start(Who("tv", "bob"), started).ok());
  cpns::v1::FinishPairingRequest bad_point;
  bad_point.set_session_id(started.session_id());
  bad_point.set_share_p(std::string("\x04") + std::string(64, '\x01'));
  bad_point.set_confirm_p(std::string(32, 'c'));
  cpns::v1::FinishPairingResponse out;
  const grpc::Status invalid = Finish(bad_point, out);
  EXPECT_EQ(invalid.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << invalid.error_message();
  EXPECT_NE(invalid.error_message().find("share_p"), std::string::npos) << "names the field";
  EXPECT_EQ(state_->ListPendingPairingCodes()->at(0).failures, 1)
      << "a taken session counts, however it ends";
  const grpc::Status replay = Finish(bad_point, out);
  EXPECT_EQ(replay.error_code(), grpc::StatusCode::NOT_FOUND) << "one shot";

  cpns::v1::StartPairingResponse s;
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(Start(Who("tv", "bob"), s).ok()) << i;
  const grpc::Status full = Start(Who("tv", "bob"), s);
  EXPECT_EQ(full.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << full.error_message();
  EXPECT_NE(full.error_message().find("too many pairings in progress from this peer"),
            std::string::npos);
  EXPECT_EQ(service_.sessions_in_progress(), 8u);
  clock_.Advance(absl::Seconds(61));
  cpns::v1::FinishPairingRequest late;
  late.set_session_id(s.session_id());
  late.set_share_p(s.share_v());  // any valid point
  late.set_confirm_p(std::string(32, 'c'));
  EXPECT_EQ(Finish(late, out).error_code(), grpc::StatusCode::NOT_FOUND) << "expired";
  EXPECT_EQ(service_.sessions_in_progress(), 0u);
  EXPECT_TRUE(Start(Who("tv", "bob"), s).ok());
}

// A share of w0*M makes the gateway's Z the identity: only a guesser who
// found w0 can send it, and it must cost a counted attempt with the answer
// of any wrong code, or it would be a free test of the guess.
TEST_F(PairingServiceTest, AShareThatCancelsZIsACountedWrongCode) {
  const std::string code = Add(Who("tv", "bob"));
  cpns::v1::StartPairingResponse started;
  ASSERT_TRUE(Start(Who("tv", "bob"), started).ok());
  const auto secrets = pairing::ProverSecretsFromCode(*NormalizePairingCode(code),
                                                      started.pbkdf_salt(), kFast);
  // w0*M, with the RFC's M (compressed, RFC 9383 section 4).
  const auto group = *p256::NewGroup();
  const auto m = *p256::DecodePoint(
      group.get(), "M",
      *HexDecode("M", "02886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f"), false);
  const auto w0 = *p256::ScalarModN(group.get(), secrets->w0.RevealSecret());
  const std::string w0_m =
      *p256::EncodePublicPoint(group.get(), p256::Mul(group.get(), m.get(), w0.get())->get());
  cpns::v1::FinishPairingRequest finish;
  finish.set_session_id(started.session_id());
  finish.set_share_p(w0_m);
  finish.set_confirm_p(std::string(32, 'c'));
  cpns::v1::FinishPairingResponse out;
  const grpc::Status s = Finish(finish, out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_EQ(state_->ListPendingPairingCodes()->at(0).failures, 1);
}

// Without a 1st seed in time, the code is not used: the device retries.
TEST_F(PairingServiceTest, WithoutASeedTheCodeStaysForARetry) {
  const std::string code = Add(Who("tv", "bob"));
  source_.SetFetchError(absl::UnavailableError("server down"));
  EXPECT_EQ(Pair(Who("tv", "bob"), code).status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(*state_->PendingPairingCodes(), 1);
  source_.SetFetchError(absl::OkStatus());
  clock_.Advance(absl::Seconds(2));  // past the cache's back-off
  const Outcome retried = Pair(Who("tv", "bob"), code);
  EXPECT_TRUE(retried.status.ok()) << retried.status.error_message();
}

}  // namespace
}  // namespace cpns::gateway
