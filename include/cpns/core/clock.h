// Time is passed in. Production uses RealClock; tests pass a FakeClock
// (core/fake_clock.h, not part of the public face) so no test depends on the
// wall clock or sleeps. Implementations are thread-safe.
#ifndef CPNS_CORE_CLOCK_H_
#define CPNS_CORE_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace cpns {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace cpns

#endif  // CPNS_CORE_CLOCK_H_
