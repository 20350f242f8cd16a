#include "observe/metrics.h"

namespace cpns::observe {
namespace {

class NullCounter final : public Counter, public Labeled<Counter> {
 public:
  void Increment() override {}
  Counter& With(const std::string&) override { return *this; }
};
class NullGauge final : public Gauge {
 public:
  void Set(double) override {}
};
class NullHistogram final : public Histogram, public Labeled<Histogram> {
 public:
  void Observe(double) override {}
  Histogram& With(const std::string&) override { return *this; }
};

class Null final : public Metrics {
 public:
  Counter& AddCounter(const std::string&, const std::string&) override { return counter_; }
  Labeled<Counter>& AddCounter(const std::string&, const std::string&,
                               const std::string&) override {
    return counter_;
  }
  Gauge& AddGauge(const std::string&, const std::string&) override { return gauge_; }
  Labeled<Histogram>& AddHistogram(const std::string&, const std::string&, const std::string&,
                                   const std::vector<Label>&,
                                   const std::vector<double>&) override {
    return histogram_;
  }

 private:
  NullCounter counter_;
  NullGauge gauge_;
  NullHistogram histogram_;
};

}  // namespace

Metrics& NullMetrics() {
  // Stateless, and never destroyed: safe from any thread at any time.
  static Null* const kNull = new Null;
  return *kNull;
}

std::vector<double> LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

}  // namespace cpns::observe
