// Test support: a Clock that moves only when told to, so no test depends on
// the wall clock or sleeps. Not part of the public face (include/cpns/); tests,
// fuzzers and benchmarks of this tree use it. Thread-safe.
#ifndef CPNS_SRC_CORE_FAKE_CLOCK_H_
#define CPNS_SRC_CORE_FAKE_CLOCK_H_

#include <mutex>

#include "absl/time/time.h"
#include "cpns/core/clock.h"

namespace cpns {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override {
    std::lock_guard<std::mutex> l(mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    std::lock_guard<std::mutex> l(mu_);
    now_ += d;
  }

 private:
  mutable std::mutex mu_;
  absl::Time now_;  // guarded by mu_
};

}  // namespace cpns

#endif  // CPNS_SRC_CORE_FAKE_CLOCK_H_
