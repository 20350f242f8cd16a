// Pairing codes in the gateway's state database: kept as SPAKE2+ verifiers,
// counted, spent, used once; on a real SQLite file and a fake clock.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/digest.h"
#include "core/fake_clock.h"
#include "core/pairing.h"
#include "core/pairing_code.h"
#include "gateway/state_db.h"
#include "support/temp_dir.h"

namespace cpns::gateway {
namespace {

constexpr uint32_t kFast = 1000;  // PBKDF2 iterations: the minimum, for speed

Assignee Who(const std::string& entity, const std::string& user,
             EntityType type = EntityType::kPne) {
  return {type, *EntityId::Parse(entity), *UserId::Parse(user)};
}

class PairingStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = cpns::test::NewTempDir("gwpairing");
    state_ = std::move(*GatewayStateDb::Open(dir_, clock_));
  }
  SecretBytes Add(const Assignee& who, absl::Duration ttl = absl::Minutes(10)) {
    absl::StatusOr<SecretBytes> code = state_->AddPairingCode(who, ttl, kFast);
    EXPECT_TRUE(code.ok()) << code.status();
    return code.ok() ? std::move(*code) : SecretBytes();
  }
  std::optional<PairingVerifier> Find(const Assignee& who) {
    absl::StatusOr<std::optional<PairingVerifier>> v = state_->FindPairingVerifier(who);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? std::move(*v) : std::nullopt;
  }
  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  std::string dir_;
  std::unique_ptr<GatewayStateDb> state_;
};

// The stored verifier is the code's: w0 and L = w1*P from PBKDF2 under the
// stored salt, the one a device computes from the code.
TEST_F(PairingStateTest, TheVerifierIsTheCodesAndOnlyForItsHolder) {
  const SecretBytes code = Add(Who("headset", "alice"));
  const std::optional<PairingVerifier> v = Find(Who("headset", "alice"));
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->salt.size(), pairing::kSaltSize);
  EXPECT_EQ(v->iterations, kFast);
  const auto secrets =
      pairing::ProverSecretsFromCode(*NormalizePairingCode(code.RevealSecret()), v->salt, kFast);
  ASSERT_TRUE(secrets.ok()) << secrets.status();
  EXPECT_EQ(v->record.w0.RevealSecret(), secrets->w0.RevealSecret());
  EXPECT_EQ(v->record.l, spake2plus::MakeVerifierRecord(*secrets)->l);
  EXPECT_FALSE(Find(Who("headset", "bob")).has_value());
  EXPECT_FALSE(Find(Who("watch", "alice")).has_value());
  EXPECT_FALSE(Find(Who("headset", "alice", EntityType::kPnGw)).has_value());
}

TEST_F(PairingStateTest, ACodeIsUsedOnceAndNotAfterItExpires) {
  Add(Who("headset", "alice"));
  const int64_t id = Find(Who("headset", "alice"))->id;
  EXPECT_EQ(*state_->PendingPairingCodes(), 1);
  ASSERT_TRUE(state_->UsePairingCode(id).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(state_->UsePairingCode(id)));
  EXPECT_FALSE(Find(Who("headset", "alice")).has_value());
  EXPECT_EQ(*state_->PendingPairingCodes(), 0);
  // An assignment that failed after the code was used puts it back.
  ASSERT_TRUE(state_->UnusePairingCode(id).ok());
  EXPECT_EQ(Find(Who("headset", "alice"))->id, id);
  ASSERT_TRUE(state_->UsePairingCode(id).ok());

  Add(Who("headset", "alice"));
  const int64_t later = Find(Who("headset", "alice"))->id;
  clock_.Advance(absl::Minutes(10));
  EXPECT_FALSE(Find(Who("headset", "alice")).has_value());
  EXPECT_TRUE(absl::IsPermissionDenied(state_->UsePairingCode(later)));
  EXPECT_FALSE(state_->AddPairingCode(Who("a", "b"), absl::ZeroDuration(), kFast).ok());
  EXPECT_FALSE(state_->AddPairingCode(Who("a", "b"), absl::Minutes(1), 10).ok())
      << "iterations below the minimum a device accepts";
}

// The owner withdraws or replaces a code while an exchange has it marked
// used and then fails: the code is not put back.
TEST_F(PairingStateTest, ACodeWithdrawnDuringItsExchangeStaysWithdrawn) {
  Add(Who("tv", "bob"));
  const int64_t id = Find(Who("tv", "bob"))->id;
  ASSERT_TRUE(state_->UsePairingCode(id).ok());
  EXPECT_EQ(*state_->CancelPairingCodes(Who("tv", "bob")), 0) << "none unused to delete";
  ASSERT_TRUE(state_->UnusePairingCode(id).ok());
  EXPECT_FALSE(Find(Who("tv", "bob")).has_value());
  EXPECT_EQ(*state_->PendingPairingCodes(), 0);

  Add(Who("tv", "bob"));
  const int64_t used = Find(Who("tv", "bob"))->id;
  ASSERT_TRUE(state_->UsePairingCode(used).ok());
  Add(Who("tv", "bob"));  // replaced meanwhile
  const int64_t fresh = Find(Who("tv", "bob"))->id;
  ASSERT_TRUE(state_->UnusePairingCode(used).ok());
  EXPECT_EQ(*state_->PendingPairingCodes(), 1) << "only the new code";
  EXPECT_EQ(Find(Who("tv", "bob"))->id, fresh);
}

TEST_F(PairingStateTest, ANewCodeReplacesThePendingOneOfItsHolder) {
  Add(Who("tv", "bob"));
  const PairingVerifier first = *Find(Who("tv", "bob"));
  Add(Who("tv", "bob"));
  const PairingVerifier second = *Find(Who("tv", "bob"));
  EXPECT_NE(first.id, second.id);
  EXPECT_EQ(first.salt, second.salt) << "an identity's salt is stable (pairing_decoy.h)";
  EXPECT_NE(first.record.w0.RevealSecret(), second.record.w0.RevealSecret());
  EXPECT_EQ(*state_->PendingPairingCodes(), 1);
  EXPECT_TRUE(absl::IsPermissionDenied(state_->UsePairingCode(first.id)));
}

TEST_F(PairingStateTest, FailedAttemptsSpendACodeAtTheLimit) {
  Add(Who("tv", "bob"));
  Add(Who("radio", "alice"));
  const int64_t id = Find(Who("tv", "bob"))->id;
  for (int i = 1; i < 3; ++i) {
    const FailedPairing f = *state_->CountFailedPairing(id, 3);
    EXPECT_EQ(f.failures, i);
    EXPECT_FALSE(f.spent);
  }
  const FailedPairing third = *state_->CountFailedPairing(id, 3);
  EXPECT_EQ(third.failures, 3);
  EXPECT_TRUE(third.spent);
  EXPECT_FALSE(state_->CountFailedPairing(id, 3)->spent) << "spent once";
  EXPECT_FALSE(Find(Who("tv", "bob")).has_value());
  EXPECT_TRUE(absl::IsPermissionDenied(state_->UsePairingCode(id)));
  EXPECT_EQ(*state_->PendingPairingCodes(), 1);
  EXPECT_EQ(*state_->SpentPairingCodes(), 1);
  const auto listed = *state_->ListPendingPairingCodes();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].assignee.entity_id.value(), "tv");
  EXPECT_TRUE(listed[0].spent);
  EXPECT_EQ(listed[0].failures, 4);
  EXPECT_FALSE(listed[1].spent);
  EXPECT_EQ(listed[1].failures, 0) << "another holder's code is not touched";
  // The count survives a restart: it lives in the file.
  state_ = std::move(*GatewayStateDb::Open(dir_, clock_));
  EXPECT_EQ(*state_->SpentPairingCodes(), 1);
  EXPECT_EQ(*state_->CancelPairingCodes(Who("tv", "bob")), 1) << "the owner clears it";
  EXPECT_EQ(*state_->SpentPairingCodes(), 0);
}

TEST_F(PairingStateTest, TheOwnerListsAndCancelsPendingCodes) {
  Add(Who("tv", "alice"));
  clock_.Advance(absl::Seconds(1));
  Add(Who("radio", "bob"), absl::Minutes(5));
  Add(Who("lamp", "bob"), absl::Minutes(5));
  ASSERT_TRUE(state_->UsePairingCode(Find(Who("lamp", "bob"))->id).ok());
  auto pending = *state_->ListPendingPairingCodes();
  ASSERT_EQ(pending.size(), 2u) << "used codes are not pending";
  EXPECT_EQ(pending[0].assignee.entity_id.value(), "tv");
  EXPECT_EQ(pending[0].expires_at, absl::FromUnixSeconds(1'800'000'000 + 600));
  EXPECT_EQ(pending[1].assignee.user_id.value(), "bob");
  EXPECT_EQ(pending[1].created_at, absl::FromUnixSeconds(1'800'000'001));
  EXPECT_EQ(*state_->CancelPairingCodes(Who("tv", "bob")), 0) << "another user's holder";
  EXPECT_EQ(*state_->CancelPairingCodes(Who("tv", "alice")), 1);
  EXPECT_FALSE(Find(Who("tv", "alice")).has_value()) << "a cancelled code no longer works";
  EXPECT_EQ(*state_->CancelPairingCodes(Who("lamp", "bob")), 0) << "a used code stays recorded";
  clock_.Advance(absl::Minutes(5));
  EXPECT_TRUE(state_->ListPendingPairingCodes()->empty()) << "expired codes are not pending";
}

// A code is used once even when many exchanges race for it, through one
// store and through a second connection to the same file (as the owner's
// process and the daemon share it). Run under TSan too.
TEST_F(PairingStateTest, ACodeRacedForIsUsedOnce) {
  std::unique_ptr<GatewayStateDb> other = std::move(*GatewayStateDb::Open(dir_, clock_));
  for (int round = 0; round < 5; ++round) {
    Add(Who("tv", "bob"));
    const int64_t id = Find(Who("tv", "bob"))->id;
    std::atomic<int> used{0}, refused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        const absl::Status s = (t % 2 == 0 ? *state_ : *other).UsePairingCode(id);
        if (s.ok()) ++used;
        if (absl::IsPermissionDenied(s)) ++refused;
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(used.load(), 1) << "round " << round;
    EXPECT_EQ(refused.load(), 7) << "round " << round;
  }
}

TEST_F(PairingStateTest, TheDecoyKeyIsMadeOnceAndKept) {
  const SecretBytes key = *state_->PairingDecoyKey();
  EXPECT_EQ(key.size(), 32u);
  EXPECT_EQ(*state_->DecoyFailures(), 0);
  ASSERT_TRUE(state_->CountDecoyFailure().ok());
  EXPECT_EQ(*state_->DecoyFailures(), 1);
  EXPECT_EQ(state_->PairingDecoyKey()->RevealSecret(), key.RevealSecret());
  state_ = std::move(*GatewayStateDb::Open(dir_, clock_));
  EXPECT_EQ(state_->PairingDecoyKey()->RevealSecret(), key.RevealSecret());
}

// Neither the code nor a fast hash of it reaches the file: only a salted,
// iterated verifier.
TEST_F(PairingStateTest, TheFileHoldsNoCodeNorAnUnsaltedHashAndIsPrivate) {
  const SecretBytes code = Add(Who("headset", "alice"));
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
  ASSERT_FALSE(contents.empty());
  const std::string canonical(NormalizePairingCode(code.RevealSecret())->RevealSecret());
  EXPECT_EQ(contents.find(canonical), std::string::npos);
  EXPECT_EQ(contents.find(std::string(code.RevealSecret())), std::string::npos);
  EXPECT_EQ(contents.find(LabeledSha256("", canonical)), std::string::npos);
  EXPECT_EQ(contents.find(LabeledSha256("CPNS-pairing-code", canonical)), std::string::npos)
      << "the hash of the releases before schema 3";
}

}  // namespace
}  // namespace cpns::gateway
