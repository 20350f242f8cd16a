// Pairing codes' format, the gateway's state database and the admission
// policy, on a real SQLite file and a fake clock. The codes' verifiers in the
// state database: state_db_pairing_test.cc.
#include "gateway/admission.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "core/fake_clock.h"
#include "core/pairing_code.h"
#include "gateway/state_db.h"
#include "support/temp_dir.h"

namespace cpns::gateway {
namespace {

Assignee Who(const std::string& entity, const std::string& user,
             EntityType type = EntityType::kPne) {
  return {type, *EntityId::Parse(entity), *UserId::Parse(user)};
}

PeerInfo At(const std::string& address) { return {.address = address}; }

// A TLS peer whose verified device certificate names `entity`.
PeerInfo Certified(const std::string& address, const std::string& entity) {
  return {.address = address, .certified_entity = *EntityId::Parse(entity)};
}

TEST(PairingCodeTest, CodesAreWellFormedDistinctAndTypedForgivingly) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const SecretBytes code = *NewPairingCode();
    const std::string text(code.RevealSecret());
    ASSERT_EQ(text.size(), 11u);
    EXPECT_EQ(text[5], '-');
    EXPECT_EQ(text.find_first_of("ILOU"), std::string::npos) << text;
    seen.insert(text);
  }
  EXPECT_EQ(seen.size(), 200u);
  EXPECT_EQ(NormalizePairingCode("abcde-12345")->RevealSecret(), "ABCDE12345");
  EXPECT_EQ(NormalizePairingCode(" oIl0 1-2345 6")->RevealSecret(), "0110123456");
  EXPECT_FALSE(NormalizePairingCode("ABCDE-1234").ok());
  EXPECT_FALSE(NormalizePairingCode("ABCDE-12345-6").ok());
  EXPECT_FALSE(NormalizePairingCode("ABCDU-12345").ok());
}

class StateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = cpns::test::NewTempDir("gwstate");
    state_ = std::move(*GatewayStateDb::Open(dir_, clock_));
  }
  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  std::string dir_;
  std::unique_ptr<GatewayStateDb> state_;
};

TEST_F(StateTest, AssignmentsAndStatusAreKept) {
  ASSERT_TRUE(state_->RecordAssignment({.at = clock_.Now(), .assignee = Who("tv", "bob"),
                                        .seed_epoch = 3,
                                        .second_seed_fingerprint = std::string(32, 'f'),
                                        .not_after = 42, .admitted_by = "open", .peer = "unix:"})
                  .ok());
  const auto list = *state_->ListAssignments(0, 10);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].assignee.entity_id.value(), "tv");
  EXPECT_EQ(list[0].seed_epoch, 3u);
  EXPECT_EQ(list[0].second_seed_fingerprint, std::string(32, 'f'));
  EXPECT_EQ(list[0].not_after, 42);
  EXPECT_TRUE(state_->ListAssignments(list[0].id, 10)->empty());
  EXPECT_TRUE(absl::IsNotFound(state_->ReadStatus().status()));
  ASSERT_TRUE(state_->WriteStatus("{\"a\":1}").ok());
  ASSERT_TRUE(state_->WriteStatus("{\"a\":2}").ok());
  EXPECT_EQ(*state_->ReadStatus(), "{\"a\":2}");
}

TEST_F(StateTest, AdmissionAppliesPolicyLimits) {
  Admission open({.mode = AdmissionMode::kOpen, .allowed_users = {"alice"},
                  .per_peer_per_minute = 3, .per_entity_per_minute = 2},
                 clock_);
  const absl::Status bob = open.Admit(Who("tv", "bob"), At("unix:")).status();
  EXPECT_TRUE(absl::IsPermissionDenied(bob));
  EXPECT_EQ(RefusalReason(bob), "user-not-allowed");
  EXPECT_EQ(*open.Admit(Who("tv", "alice"), At("ipv4:10.0.0.1:1000")), "open");
  EXPECT_TRUE(open.Admit(Who("tv", "alice"), At("ipv4:10.0.0.1:1001")).ok());
  const absl::Status per_entity = open.Admit(Who("tv", "alice"), At("ipv4:10.0.0.2:1")).status();
  EXPECT_TRUE(absl::IsResourceExhausted(per_entity));
  EXPECT_EQ(RefusalReason(per_entity), "rate-limited-entity");
  // Another port of the same address is the same peer.
  EXPECT_TRUE(open.Admit(Who("radio", "alice"), At("ipv4:10.0.0.1:1002")).ok());
  const absl::Status per_peer = open.Admit(Who("lamp", "alice"), At("ipv4:10.0.0.1:1003")).status();
  EXPECT_TRUE(absl::IsResourceExhausted(per_peer));
  EXPECT_EQ(RefusalReason(per_peer), "rate-limited-peer");
  clock_.Advance(absl::Minutes(1));
  EXPECT_TRUE(open.Admit(Who("lamp", "alice"), At("ipv4:10.0.0.1:1004")).ok());

  Admission pairing({.mode = AdmissionMode::kPairing}, clock_);
  const absl::Status no_code = pairing.Admit(Who("tv", "bob"), At("unix:")).status();
  EXPECT_TRUE(absl::IsPermissionDenied(no_code));
  EXPECT_EQ(RefusalReason(no_code), "no-pairing-code");
}

// Pairing admission checks the policy and the peer's failed attempts at
// the start of an exchange; the peer's budget is shared with its other
// requests, and only paired devices use up their entity's quota.
TEST_F(StateTest, PairingStartsAreAdmittedByPolicyAndThrottledByFailures) {
  Admission pairing({.mode = AdmissionMode::kPairing, .allowed_users = {"alice", "bob"},
                     .per_peer_per_minute = 0, .per_entity_per_minute = 1,
                     .wrong_codes_before_throttle = 3},
                    clock_);
  // Not refused (that would tell who is allowed), but to get the decoy.
  const absl::StatusOr<bool> carol = pairing.AdmitPairing(Who("tv", "carol"), At("uid:1000"));
  ASSERT_TRUE(carol.ok()) << carol.status();
  EXPECT_FALSE(*carol);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(*pairing.AdmitPairing(Who("tv", "bob"), At("uid:1000")));
  pairing.ChargePaired(Who("tv", "bob"));
  EXPECT_EQ(RefusalReason(pairing.AdmitPairing(Who("tv", "bob"), At("uid:1000")).status()),
            "rate-limited-entity");
  for (int i = 0; i < 3; ++i) pairing.CountFailedPairing(At("ipv4:10.0.0.1:" + std::to_string(i)));
  const absl::Status throttled =
      pairing.AdmitPairing(Who("radio", "alice"), At("ipv4:10.0.0.1:9")).status();
  EXPECT_TRUE(absl::IsResourceExhausted(throttled)) << throttled;
  EXPECT_EQ(RefusalReason(throttled), "wrong-codes-throttled");
  EXPECT_NE(throttled.message().find("too many failed pairing attempts from this peer"),
            absl::string_view::npos);
  EXPECT_TRUE(pairing.AdmitPairing(Who("radio", "alice"), At("ipv4:10.0.0.2:1")).ok())
      << "another peer is not affected";
  clock_.Advance(absl::Minutes(10));
  EXPECT_TRUE(pairing.AdmitPairing(Who("radio", "alice"), At("ipv4:10.0.0.1:9")).ok());

  Admission open({.mode = AdmissionMode::kOpen}, clock_);
  const absl::Status not_pairing = open.AdmitPairing(Who("tv", "bob"), At("unix:")).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(not_pairing)) << not_pairing;
  EXPECT_EQ(RefusalReason(not_pairing), "not-pairing");
}

// Relayed AuthService calls share the peer's requests per minute with its
// EUKey requests; peers are opaque keys ("uid:1000" is not "uid:1001").
TEST_F(StateTest, RelayedCallsCountAgainstTheirPeer) {
  Admission open({.mode = AdmissionMode::kOpen, .per_peer_per_minute = 3}, clock_);
  EXPECT_TRUE(open.AdmitRelayed(At("uid:1000")).ok());
  EXPECT_TRUE(open.AdmitRelayed(At("uid:1000")).ok());
  EXPECT_TRUE(open.Admit(Who("tv", "bob"), At("uid:1000")).ok());
  const absl::Status relayed = open.AdmitRelayed(At("uid:1000"));
  EXPECT_TRUE(absl::IsResourceExhausted(relayed)) << relayed;
  EXPECT_EQ(RefusalReason(relayed), "rate-limited-peer");
  EXPECT_EQ(RefusalReason(open.Admit(Who("tv", "bob"), At("uid:1000")).status()),
            "rate-limited-peer");
  EXPECT_TRUE(open.AdmitRelayed(At("uid:1001")).ok()) << "another peer has its own budget";
  clock_.Advance(absl::Minutes(1));
  EXPECT_TRUE(open.AdmitRelayed(At("uid:1000")).ok());
  Admission unlimited({.mode = AdmissionMode::kOpen, .per_peer_per_minute = 0}, clock_);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(unlimited.AdmitRelayed(At("uid:1000")).ok());
}

TEST_F(StateTest, CertificateAdmissionTakesTheEntityFromTheCertificate) {
  Admission cert({.mode = AdmissionMode::kCertificate, .allowed_users = {"alice"}}, clock_);
  // No certificate (a Unix socket, or a TLS peer that presented none).
  const absl::Status none = cert.Admit(Who("tv", "alice"), At("unix:")).status();
  EXPECT_TRUE(absl::IsPermissionDenied(none));
  EXPECT_EQ(RefusalReason(none), "no-device-certificate");
  EXPECT_NE(none.message().find("device certificate"), absl::string_view::npos) << none;
  // A certificate without a usable entity URI: the reason is passed on.
  PeerInfo unusable{.address = "ipv4:10.0.0.1:1",
                    .certified_entity = absl::PermissionDeniedError("carries no URI")};
  const absl::Status bad = cert.Admit(Who("tv", "alice"), unusable).status();
  EXPECT_TRUE(absl::IsPermissionDenied(bad));
  EXPECT_NE(bad.message().find("carries no URI"), absl::string_view::npos) << bad;
  // The certificate's entity may not claim another.
  const absl::Status other =
      cert.Admit(Who("radio", "alice"), Certified("ipv4:10.0.0.1:2", "tv")).status();
  EXPECT_TRUE(absl::IsPermissionDenied(other));
  EXPECT_NE(other.message().find("certificate is for entity tv"), absl::string_view::npos);
  EXPECT_EQ(RefusalReason(other), "certificate-for-other-entity");
  EXPECT_EQ(*cert.Admit(Who("tv", "alice"), Certified("ipv4:10.0.0.1:3", "tv")),
            "certificate");
  // The owner's limits still apply to certified devices.
  EXPECT_TRUE(absl::IsPermissionDenied(
      cert.Admit(Who("tv", "bob"), Certified("ipv4:10.0.0.1:4", "tv")).status()));
}

// Refused requests do not use up an entity's quota: a peer that cannot prove
// it is the entity must not lock the real device out by naming it.
TEST_F(StateTest, OnlyAdmittedRequestsCountAgainstAnEntity) {
  Admission cert({.mode = AdmissionMode::kCertificate, .per_peer_per_minute = 0,
                  .per_entity_per_minute = 2},
                 clock_);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(RefusalReason(cert.Admit(Who("tv", "alice"), At("ipv4:10.6.6.6:1")).status()),
              "no-device-certificate");
    EXPECT_EQ(RefusalReason(cert.Admit(Who("tv", "alice"),
                                       Certified("ipv4:10.6.6.6:2", "radio"))
                                .status()),
              "certificate-for-other-entity");
  }
  EXPECT_TRUE(cert.Admit(Who("tv", "alice"), Certified("ipv4:10.0.0.1:1", "tv")).ok());
  EXPECT_TRUE(cert.Admit(Who("tv", "alice"), Certified("ipv4:10.0.0.1:2", "tv")).ok());
  // The admitted ones do count.
  const absl::Status third =
      cert.Admit(Who("tv", "alice"), Certified("ipv4:10.0.0.1:3", "tv")).status();
  EXPECT_EQ(RefusalReason(third), "rate-limited-entity");

}

TEST(RefusalReasonTest, UntaggedStatusesAreNamedByTheirCode) {
  EXPECT_EQ(RefusalReason(absl::InvalidArgumentError("entity_id is empty")), "invalid-request");
  EXPECT_EQ(RefusalReason(absl::UnavailableError("no seed")), "no-seed");
  EXPECT_EQ(RefusalReason(absl::InternalError("x")), "INTERNAL");
}

TEST(AdmissionModeTest, NamesRoundTrip) {
  for (AdmissionMode m :
       {AdmissionMode::kPairing, AdmissionMode::kCertificate, AdmissionMode::kOpen}) {
    EXPECT_EQ(*ParseAdmissionMode(AdmissionModeName(m)), m);
  }
  const absl::Status bad = ParseAdmissionMode("cert").status();
  EXPECT_TRUE(absl::IsInvalidArgument(bad));
  EXPECT_NE(bad.message().find("pairing, certificate, open"), absl::string_view::npos);
}

}  // namespace
}  // namespace cpns::gateway
