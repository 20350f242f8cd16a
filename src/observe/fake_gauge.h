// Test support: a Gauge whose last value can be read back. Not used by the
// daemons. Thread-safe.
#ifndef CPNS_OBSERVE_FAKE_GAUGE_H_
#define CPNS_OBSERVE_FAKE_GAUGE_H_

#include <atomic>

#include "observe/metrics.h"

namespace cpns::observe {

class FakeGauge final : public Gauge {
 public:
  void Set(double value) override { value_.store(value); }
  double value() const { return value_.load(); }  // -1 until set

 private:
  std::atomic<double> value_{-1};
};

}  // namespace cpns::observe

#endif  // CPNS_OBSERVE_FAKE_GAUGE_H_
