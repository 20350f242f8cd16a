// Test doubles for the gateway's unit tests: a CPNS Server in miniature.
// Thread-safe (std::mutex, which TSan sees).
#ifndef CPNS_GATEWAY_TEST_FAKES_H_
#define CPNS_GATEWAY_TEST_FAKES_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cpns/core/clock.h"
#include "gateway/first_seed.h"

namespace cpns::gateway::test {

inline GatewayId Gw() { return *GatewayId::Parse("gw-test"); }

// The bytes of the fake server's seed for `epoch`, so a test can tell epochs apart.
inline std::string SeedBytes(uint32_t epoch) {
  return std::string(32, static_cast<char>('a' + epoch));
}

// Serves one active epoch per its clock, like the server of PROTOCOL.md:
// epoch 1 on the first request; a new epoch when the active one has expired,
// when Rotate() is called, or on a renewal request it grants.
class FakeSeedSource final : public FirstSeedSource {
 public:
  struct Call {
    bool status;     // GetSeedStatus rather than RequestFirstSeed
    uint32_t epoch;  // renew_epoch, or the held epoch asked about
  };

  FakeSeedSource(const Clock& clock, absl::Duration lifetime)
      : clock_(clock), lifetime_(lifetime) {}

  absl::StatusOr<FirstSeed> Fetch(absl::Time deadline, uint32_t renew_epoch) override {
    std::shared_future<void> gate = Record({false, renew_epoch});
    if (gate.valid()) gate.wait();
    std::lock_guard<std::mutex> l(mu_);
    // Fresh copies: a shared Status confuses TSan (see SeedCache).
    if (!fetch_error_.ok()) return absl::Status(fetch_error_.code(), fetch_error_.message());
    const bool renew = renew_epoch != 0 && renew_epoch == epoch_ && grant_renewal_;
    if (epoch_ == 0 || clock_.Now() >= expires_ || renew) RotateLocked();
    return FirstSeed{Gw(), epoch_, SecretBytes::CopyFrom(SeedBytes(epoch_)), created_,
                     sent_expiry_};
  }

  absl::StatusOr<SeedStatus> Status(absl::Time deadline, uint32_t held_epoch) override {
    Record({true, held_epoch});
    std::lock_guard<std::mutex> l(mu_);
    if (!status_error_.ok()) return absl::Status(status_error_.code(), status_error_.message());
    if (status_override_.has_value()) return *status_override_;
    SeedStatus s{epoch_, expires_, SeedState::kUnknown, absl::InfiniteFuture()};
    if (held_epoch != 0 && held_epoch == epoch_)
      s = {epoch_, expires_, SeedState::kActive, expires_};
    if (held_epoch != 0 && held_epoch < epoch_) s.epoch_state = SeedState::kRotated;
    return s;
  }

  // An operator's rotation: the next epoch becomes active now.
  void Rotate() {
    std::lock_guard<std::mutex> l(mu_);
    RotateLocked();
  }
  void SetGrantRenewal(bool grant) { Set(grant_renewal_, grant); }
  void SetFetchError(absl::Status s) { Set(fetch_error_, std::move(s)); }
  void SetStatusError(absl::Status s) { Set(status_error_, std::move(s)); }
  void SetStatus(SeedStatus s) { Set(status_override_, std::optional<SeedStatus>(s)); }
  // The expiry sent with the next seeds instead of the real one (clock skew).
  void SetSentExpiry(absl::Time t) { Set(forced_expiry_, std::optional<absl::Time>(t)); }
  // Every Fetch waits for `gate` (until cleared).
  void SetGate(std::shared_future<void> gate) { Set(gate_, std::move(gate)); }

  std::vector<Call> calls() const {
    std::lock_guard<std::mutex> l(mu_);
    return calls_;
  }
  int fetches() const { return Count(false); }
  int status_calls() const { return Count(true); }
  uint32_t active_epoch() const {
    std::lock_guard<std::mutex> l(mu_);
    return epoch_;
  }
  // Waits (at most a minute, a hang guard) until `n` calls were made.
  bool WaitForCalls(size_t n) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::minutes(1), [&] { return calls_.size() >= n; });
  }

 private:
  std::shared_future<void> Record(Call call) {
    std::lock_guard<std::mutex> l(mu_);
    calls_.push_back(call);
    cv_.notify_all();
    return gate_;
  }
  void RotateLocked() {
    ++epoch_;
    created_ = clock_.Now();
    expires_ = created_ + lifetime_;
    sent_expiry_ = forced_expiry_.value_or(expires_);
  }
  template <typename T>
  void Set(T& field, T value) {
    std::lock_guard<std::mutex> l(mu_);
    field = std::move(value);
  }
  int Count(bool status) const {
    std::lock_guard<std::mutex> l(mu_);
    int n = 0;
    for (const Call& c : calls_) n += c.status == status ? 1 : 0;
    return n;
  }

  const Clock& clock_;
  const absl::Duration lifetime_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Call> calls_;
  uint32_t epoch_ = 0;
  absl::Time created_;
  absl::Time expires_;
  absl::Time sent_expiry_;
  bool grant_renewal_ = true;
  absl::Status fetch_error_;
  absl::Status status_error_;
  std::optional<SeedStatus> status_override_;
  std::optional<absl::Time> forced_expiry_;
  std::shared_future<void> gate_;
};

}  // namespace cpns::gateway::test

#endif  // CPNS_GATEWAY_TEST_FAKES_H_
