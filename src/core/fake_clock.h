// Test support: a Clock that moves only when told to, so no test depends on
// the wall clock or sleeps. Not part of the public face (include/cpns/); tests,
// fuzzers and benchmarks of this tree use it. Thread-safe.
#ifndef CPNS_SRC_CORE_FAKE_CLOCK_H_
#define CPNS_SRC_CORE_FAKE_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "core/mutex.h"
#include "cpns/core/clock.h"

namespace cpns {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override {
    MutexLock l(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    MutexLock l(&mu_);
    now_ += d;
  }

 private:
  mutable Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cpns

#endif  // CPNS_SRC_CORE_FAKE_CLOCK_H_
