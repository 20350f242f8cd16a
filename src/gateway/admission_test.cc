// Pairing codes, the gateway's state database and the admission policy, on a
// real SQLite file and a fake clock.
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
  EXPECT_NE(PairingCodeHash(*NormalizePairingCode("ABCDE12345")),
            PairingCodeHash(*NormalizePairingCode("ABCDE12346")));
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

TEST_F(StateTest, ACodeIsAcceptedOnceForItsHolderUntilItExpires) {
  const SecretBytes code = *state_->AddPairingCode(Who("headset", "alice"), absl::Minutes(10));
  const std::string typed(code.RevealSecret());
  EXPECT_EQ(*state_->PendingPairingCodes(), 1);
  EXPECT_TRUE(absl::IsPermissionDenied(state_->ConsumePairingCode(typed, Who("watch", "alice"))));
  EXPECT_TRUE(absl::IsPermissionDenied(state_->ConsumePairingCode(typed, Who("headset", "bob"))));
  EXPECT_TRUE(absl::IsPermissionDenied(
      state_->ConsumePairingCode(typed, Who("headset", "alice", EntityType::kPnGw))));
  EXPECT_TRUE(state_->ConsumePairingCode(typed, Who("headset", "alice")).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(state_->ConsumePairingCode(typed, Who("headset", "alice"))));
  EXPECT_EQ(*state_->PendingPairingCodes(), 0);

  const SecretBytes later = *state_->AddPairingCode(Who("headset", "alice"), absl::Minutes(10));
  clock_.Advance(absl::Minutes(10));
  EXPECT_TRUE(absl::IsPermissionDenied(
      state_->ConsumePairingCode(later.RevealSecret(), Who("headset", "alice"))));
  EXPECT_FALSE(state_->AddPairingCode(Who("a", "b"), absl::ZeroDuration()).ok());
}

TEST_F(StateTest, TheOwnerListsAndCancelsPendingCodes) {
  const SecretBytes tv = *state_->AddPairingCode(Who("tv", "alice"), absl::Minutes(10));
  clock_.Advance(absl::Seconds(1));
  const SecretBytes radio = *state_->AddPairingCode(Who("radio", "bob"), absl::Minutes(5));
  const SecretBytes used = *state_->AddPairingCode(Who("lamp", "bob"), absl::Minutes(5));
  ASSERT_TRUE(state_->ConsumePairingCode(used.RevealSecret(), Who("lamp", "bob")).ok());
  auto pending = *state_->ListPendingPairingCodes();
  ASSERT_EQ(pending.size(), 2u) << "used codes are not pending";
  EXPECT_EQ(pending[0].assignee.entity_id.value(), "tv");
  EXPECT_EQ(pending[0].expires_at, absl::FromUnixSeconds(1'800'000'000 + 600));
  EXPECT_EQ(pending[1].assignee.user_id.value(), "bob");
  EXPECT_EQ(pending[1].created_at, absl::FromUnixSeconds(1'800'000'001));

  EXPECT_EQ(*state_->CancelPairingCodes(Who("tv", "bob")), 0) << "another user's holder";
  EXPECT_EQ(*state_->CancelPairingCodes(Who("tv", "alice")), 1);
  EXPECT_TRUE(absl::IsPermissionDenied(
      state_->ConsumePairingCode(tv.RevealSecret(), Who("tv", "alice"))))
      << "a cancelled code no longer works";
  EXPECT_EQ(*state_->CancelPairingCodes(Who("lamp", "bob")), 0) << "a used code stays recorded";
  clock_.Advance(absl::Minutes(5));
  EXPECT_TRUE(state_->ListPendingPairingCodes()->empty()) << "expired codes are not pending";
}

TEST_F(StateTest, TheFileHoldsNoCodeAndIsPrivate) {
  const SecretBytes code = *state_->AddPairingCode(Who("headset", "alice"), absl::Minutes(10));
  state_.reset();
  struct stat st;
  ASSERT_EQ(::stat((dir_ + "/gateway.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string contents;
  for (const char* f : {"/gateway.db", "/gateway.db-wal"}) {
    FILE* in = fopen((dir_ + f).c_str(), "rb");
    if (in == nullptr) continue;
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof buf, in)) > 0;) contents.append(buf, n);
    fclose(in);
  }
  const std::string canonical(NormalizePairingCode(code.RevealSecret())->RevealSecret());
  EXPECT_EQ(contents.find(canonical), std::string::npos);
  EXPECT_EQ(contents.find(std::string(code.RevealSecret())), std::string::npos);
}

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
                 *state_, clock_);
  const absl::Status bob = open.Admit(Who("tv", "bob"), "", At("unix:")).status();
  EXPECT_TRUE(absl::IsPermissionDenied(bob));
  EXPECT_EQ(RefusalReason(bob), "user-not-allowed");
  EXPECT_EQ(*open.Admit(Who("tv", "alice"), "", At("ipv4:10.0.0.1:1000")), "open");
  EXPECT_TRUE(open.Admit(Who("tv", "alice"), "", At("ipv4:10.0.0.1:1001")).ok());
  const absl::Status per_entity = open.Admit(Who("tv", "alice"), "", At("ipv4:10.0.0.2:1")).status();
  EXPECT_TRUE(absl::IsResourceExhausted(per_entity));
  EXPECT_EQ(RefusalReason(per_entity), "rate-limited-entity");
  // Another port of the same address is the same peer.
  EXPECT_TRUE(open.Admit(Who("radio", "alice"), "", At("ipv4:10.0.0.1:1002")).ok());
  const absl::Status per_peer = open.Admit(Who("lamp", "alice"), "", At("ipv4:10.0.0.1:1003")).status();
  EXPECT_TRUE(absl::IsResourceExhausted(per_peer));
  EXPECT_EQ(RefusalReason(per_peer), "rate-limited-peer");
  clock_.Advance(absl::Minutes(1));
  EXPECT_TRUE(open.Admit(Who("lamp", "alice"), "", At("ipv4:10.0.0.1:1004")).ok());

  Admission pairing({.mode = AdmissionMode::kPairing}, *state_, clock_);
  const absl::Status no_code = pairing.Admit(Who("tv", "bob"), "", At("unix:")).status();
  EXPECT_TRUE(absl::IsPermissionDenied(no_code));
  EXPECT_EQ(RefusalReason(no_code), "no-pairing-code");
}

// Wrong codes count against the holder they name (entity type, entity and
// user), from whichever peer: the 5th withdraws that holder's pending codes,
// and nobody else's. Another holder's valid code goes on working, from the
// same peer too (below the per-peer throttle).
TEST_F(StateTest, WrongCodesForOneHolderWithdrawItsCodesOnly) {
  Admission pairing({.mode = AdmissionMode::kPairing, .per_peer_per_minute = 0}, *state_, clock_);
  const SecretBytes tv = *state_->AddPairingCode(Who("tv", "bob"), absl::Minutes(10));
  const SecretBytes radio = *state_->AddPairingCode(Who("radio", "alice"), absl::Minutes(10));
  for (int i = 0; i < 4; ++i) {
    const std::string peer = i % 2 == 0 ? "uid:1000" : "uid:1001";
    EXPECT_EQ(RefusalReason(pairing.Admit(Who("tv", "bob"), "ZZZZZ-ZZZZZ", At(peer)).status()),
              "wrong-pairing-code")
        << i;
  }
  // Not shaped like a code: no guess at any code, so not counted.
  EXPECT_EQ(RefusalReason(pairing.Admit(Who("tv", "bob"), "nope", At("uid:1000")).status()),
            "wrong-pairing-code");
  EXPECT_EQ(state_->ListPendingPairingCodes()->size(), 2u);
  const absl::Status fifth =
      pairing.Admit(Who("tv", "bob"), "ZZZZZ-ZZZZZ", At("uid:1000")).status();
  EXPECT_TRUE(absl::IsPermissionDenied(fifth)) << fifth;
  EXPECT_EQ(RefusalReason(fifth), "pairing-codes-withdrawn");
  EXPECT_NE(fifth.message().find("after 5 wrong pairing codes for PNE tv (user bob)"),
            absl::string_view::npos)
      << fifth;
  const auto pending = *state_->ListPendingPairingCodes();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].assignee.entity_id.value(), "radio");
  // Another holder's valid code, from the guessing peer itself.
  EXPECT_EQ(*pairing.Admit(Who("radio", "alice"), radio.RevealSecret(), At("uid:1000")),
            "pairing-code");
  // The withdrawn code is gone for good.
  EXPECT_EQ(RefusalReason(
                pairing.Admit(Who("tv", "bob"), tv.RevealSecret(), At("uid:1002")).status()),
            "wrong-pairing-code");
}

// Below the bound, a holder's valid code is accepted whoever guessed wrong
// before; the count restarts when the holder pairs, when it has no pending
// code, and with the codes the owner makes after a withdrawal.
TEST_F(StateTest, BelowTheBoundAHoldersValidCodeIsAccepted) {
  Admission pairing({.mode = AdmissionMode::kPairing, .per_peer_per_minute = 0}, *state_, clock_);
  auto guess = [&](const std::string& peer) {
    return RefusalReason(pairing.Admit(Who("tv", "bob"), "ZZZZZ-ZZZZZ", At(peer)).status());
  };
  // Guesses at a holder without pending codes cannot hit anything: not counted.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(guess("uid:1000"), "wrong-pairing-code");
  for (int round = 0; round < 2; ++round) {
    const SecretBytes code = *state_->AddPairingCode(Who("tv", "bob"), absl::Minutes(10));
    for (int i = 0; i < 4; ++i) EXPECT_EQ(guess("uid:1000"), "wrong-pairing-code") << round;
    EXPECT_EQ(*pairing.Admit(Who("tv", "bob"), code.RevealSecret(), At("uid:1001")),
              "pairing-code")
        << round;
  }
  // After a withdrawal, a new code has the whole bound again.
  const SecretBytes burned = *state_->AddPairingCode(Who("tv", "bob"), absl::Minutes(10));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(guess("ipv4:10.0.0.1:1"), "wrong-pairing-code");
  EXPECT_EQ(guess("ipv4:10.0.0.2:1"), "pairing-codes-withdrawn");
  const SecretBytes fresh = *state_->AddPairingCode(Who("tv", "bob"), absl::Minutes(10));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(guess("ipv4:10.0.0.3:1"), "wrong-pairing-code");
  EXPECT_EQ(*pairing.Admit(Who("tv", "bob"), fresh.RevealSecret(), At("uid:1000")),
            "pairing-code");
}

// Parallel guesses are counted one at a time: exactly one request withdraws
// the codes, and every other is refused as a wrong code.
TEST_F(StateTest, ParallelGuessesAreCountedExactly) {
  Admission pairing({.mode = AdmissionMode::kPairing, .per_peer_per_minute = 0,
                     .wrong_codes_before_throttle = 1000},
                    *state_, clock_);
  const SecretBytes code = *state_->AddPairingCode(Who("tv", "bob"), absl::Minutes(10));
  std::atomic<int> withdrawn{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      const absl::Status s =
          pairing.Admit(Who("tv", "bob"), "ZZZZZ-ZZZZZ", At("uid:" + std::to_string(t))).status();
      if (RefusalReason(s) == "pairing-codes-withdrawn") ++withdrawn;
      if (RefusalReason(s) == "wrong-pairing-code") ++wrong;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(withdrawn.load(), 1);
  EXPECT_EQ(wrong.load(), 15);
  EXPECT_EQ(*state_->PendingPairingCodes(), 0);
}

// The per-peer throttle is the second limit: a peer spraying wrong codes over
// many holders must wait, and only that peer.
TEST_F(StateTest, APeerSprayingWrongCodesWaitsAndOnlyThatPeer) {
  Admission pairing({.mode = AdmissionMode::kPairing, .per_peer_per_minute = 0}, *state_, clock_);
  for (int i = 0; i < 20; ++i) {
    const std::string entity = "tv-" + std::to_string(i);
    (void)*state_->AddPairingCode(Who(entity, "bob"), absl::Minutes(30));
    EXPECT_EQ(RefusalReason(
                  pairing.Admit(Who(entity, "bob"), "ZZZZZ-ZZZZZ", At("uid:1000")).status()),
              "wrong-pairing-code")
        << i;
  }
  const SecretBytes code = *state_->AddPairingCode(Who("radio", "alice"), absl::Minutes(30));
  const absl::Status throttled =
      pairing.Admit(Who("radio", "alice"), code.RevealSecret(), At("uid:1000")).status();
  EXPECT_TRUE(absl::IsResourceExhausted(throttled)) << throttled;
  EXPECT_EQ(RefusalReason(throttled), "wrong-codes-throttled");
  EXPECT_EQ(*state_->PendingPairingCodes(), 21) << "a throttled peer's codes are not judged";
  // Another peer (another local user) is not affected.
  EXPECT_EQ(*pairing.Admit(Who("radio", "alice"), code.RevealSecret(), At("uid:1001")),
            "pairing-code");
  clock_.Advance(absl::Minutes(10));
  const SecretBytes later = *state_->AddPairingCode(Who("lamp", "alice"), absl::Minutes(30));
  EXPECT_EQ(*pairing.Admit(Who("lamp", "alice"), later.RevealSecret(), At("uid:1000")),
            "pairing-code");
}

// Relayed AuthService calls share the peer's requests per minute with its
// EUKey requests; peers are opaque keys ("uid:1000" is not "uid:1001").
TEST_F(StateTest, RelayedCallsCountAgainstTheirPeer) {
  Admission open({.mode = AdmissionMode::kOpen, .per_peer_per_minute = 3}, *state_, clock_);
  EXPECT_TRUE(open.AdmitRelayed(At("uid:1000")).ok());
  EXPECT_TRUE(open.AdmitRelayed(At("uid:1000")).ok());
  EXPECT_TRUE(open.Admit(Who("tv", "bob"), "", At("uid:1000")).ok());
  const absl::Status relayed = open.AdmitRelayed(At("uid:1000"));
  EXPECT_TRUE(absl::IsResourceExhausted(relayed)) << relayed;
  EXPECT_EQ(RefusalReason(relayed), "rate-limited-peer");
  EXPECT_EQ(RefusalReason(open.Admit(Who("tv", "bob"), "", At("uid:1000")).status()),
            "rate-limited-peer");
  EXPECT_TRUE(open.AdmitRelayed(At("uid:1001")).ok()) << "another peer has its own budget";
  clock_.Advance(absl::Minutes(1));
  EXPECT_TRUE(open.AdmitRelayed(At("uid:1000")).ok());
  Admission unlimited({.mode = AdmissionMode::kOpen, .per_peer_per_minute = 0}, *state_, clock_);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(unlimited.AdmitRelayed(At("uid:1000")).ok());
}

TEST_F(StateTest, CertificateAdmissionTakesTheEntityFromTheCertificate) {
  Admission cert({.mode = AdmissionMode::kCertificate, .allowed_users = {"alice"}}, *state_,
                 clock_);
  // No certificate (a Unix socket, or a TLS peer that presented none).
  const absl::Status none = cert.Admit(Who("tv", "alice"), "", At("unix:")).status();
  EXPECT_TRUE(absl::IsPermissionDenied(none));
  EXPECT_EQ(RefusalReason(none), "no-device-certificate");
  EXPECT_NE(none.message().find("device certificate"), absl::string_view::npos) << none;
  // A certificate without a usable entity URI: the reason is passed on.
  PeerInfo unusable{.address = "ipv4:10.0.0.1:1",
                    .certified_entity = absl::PermissionDeniedError("carries no URI")};
  const absl::Status bad = cert.Admit(Who("tv", "alice"), "", unusable).status();
  EXPECT_TRUE(absl::IsPermissionDenied(bad));
  EXPECT_NE(bad.message().find("carries no URI"), absl::string_view::npos) << bad;
  // The certificate's entity may not claim another.
  const absl::Status other =
      cert.Admit(Who("radio", "alice"), "", Certified("ipv4:10.0.0.1:2", "tv")).status();
  EXPECT_TRUE(absl::IsPermissionDenied(other));
  EXPECT_NE(other.message().find("certificate is for entity tv"), absl::string_view::npos);
  EXPECT_EQ(RefusalReason(other), "certificate-for-other-entity");
  // A pairing code does not stand in for the certificate, and is not used up.
  const SecretBytes code = *state_->AddPairingCode(Who("radio", "alice"), absl::Minutes(10));
  const absl::Status code_instead =
      cert.Admit(Who("radio", "alice"), code.RevealSecret(), At("ipv4:10.0.0.9:1")).status();
  EXPECT_TRUE(absl::IsPermissionDenied(code_instead));
  EXPECT_EQ(RefusalReason(code_instead), "no-device-certificate");
  EXPECT_EQ(state_->ListPendingPairingCodes()->size(), 1u);
  EXPECT_EQ(*cert.Admit(Who("tv", "alice"), "", Certified("ipv4:10.0.0.1:3", "tv")),
            "certificate");
  // The owner's limits still apply to certified devices.
  EXPECT_TRUE(absl::IsPermissionDenied(
      cert.Admit(Who("tv", "bob"), "", Certified("ipv4:10.0.0.1:4", "tv")).status()));
}

// Refused requests do not use up an entity's quota: a peer that cannot prove
// it is the entity must not lock the real device out by naming it.
TEST_F(StateTest, OnlyAdmittedRequestsCountAgainstAnEntity) {
  Admission cert({.mode = AdmissionMode::kCertificate, .per_peer_per_minute = 0,
                  .per_entity_per_minute = 2},
                 *state_, clock_);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(RefusalReason(cert.Admit(Who("tv", "alice"), "", At("ipv4:10.6.6.6:1")).status()),
              "no-device-certificate");
    EXPECT_EQ(RefusalReason(cert.Admit(Who("tv", "alice"), "",
                                       Certified("ipv4:10.6.6.6:2", "radio"))
                                .status()),
              "certificate-for-other-entity");
  }
  EXPECT_TRUE(cert.Admit(Who("tv", "alice"), "", Certified("ipv4:10.0.0.1:1", "tv")).ok());
  EXPECT_TRUE(cert.Admit(Who("tv", "alice"), "", Certified("ipv4:10.0.0.1:2", "tv")).ok());
  // The admitted ones do count.
  const absl::Status third =
      cert.Admit(Who("tv", "alice"), "", Certified("ipv4:10.0.0.1:3", "tv")).status();
  EXPECT_EQ(RefusalReason(third), "rate-limited-entity");

  Admission pairing({.mode = AdmissionMode::kPairing, .per_peer_per_minute = 0,
                     .per_entity_per_minute = 1, .wrong_codes_before_throttle = 1000},
                    *state_, clock_);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(RefusalReason(
                  pairing.Admit(Who("lamp", "alice"), "ZZZZZ-ZZZZZ", At("unix:")).status()),
              "wrong-pairing-code");
  }
  const SecretBytes code = *state_->AddPairingCode(Who("lamp", "alice"), absl::Minutes(10));
  EXPECT_EQ(*pairing.Admit(Who("lamp", "alice"), code.RevealSecret(), At("unix:")),
            "pairing-code");
}

// A code is accepted once even when many requests race for it, through one
// Admission and through a second connection to the same file (as the owner's
// `cpns-gw pair add` process and the daemon share it). Run under TSan too.
TEST_F(StateTest, ACodeRacedForByManyRequestsIsAcceptedOnce) {
  std::unique_ptr<GatewayStateDb> other = std::move(*GatewayStateDb::Open(dir_, clock_));
  Admission a({.mode = AdmissionMode::kPairing, .per_peer_per_minute = 0,
               .per_entity_per_minute = 0, .wrong_codes_before_throttle = 1000},
              *state_, clock_);
  Admission b({.mode = AdmissionMode::kPairing, .per_peer_per_minute = 0,
               .per_entity_per_minute = 0, .wrong_codes_before_throttle = 1000},
              *other, clock_);
  for (int round = 0; round < 5; ++round) {
    const SecretBytes code = *state_->AddPairingCode(Who("tv", "bob"), absl::Minutes(10));
    const std::string typed(code.RevealSecret());
    std::atomic<int> admitted{0}, refused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        Admission& admission = t % 2 == 0 ? a : b;
        absl::StatusOr<std::string> r =
            admission.Admit(Who("tv", "bob"), typed, At("ipv4:10.0.0.1:" + std::to_string(t)));
        if (r.ok()) {
          ++admitted;
        } else if (absl::IsPermissionDenied(r.status())) {
          ++refused;
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(admitted.load(), 1) << "round " << round;
    EXPECT_EQ(refused.load(), 7) << "round " << round;
  }
  EXPECT_EQ(*state_->PendingPairingCodes(), 0);
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
