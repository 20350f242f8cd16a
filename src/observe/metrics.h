// The metrics a role counts, without Prometheus: the small interfaces the
// roles receive (target cpns_metrics). The daemon implements them on its
// prometheus::Registry (observe/prometheus_metrics.h); unit tests and the
// offline commands use NullMetrics().
//
// A part asks for its metrics once, when it is built, and keeps the
// references: nothing is looked up by name while serving. Label values are
// few and fixed (a result, an operation), never an entity id, a user id, a
// pairing code or key material.
//
// Thread-safety: every method of every class here is thread-safe.
// References returned stay valid as long as the Metrics object.
#ifndef CPNS_OBSERVE_METRICS_H_
#define CPNS_OBSERVE_METRICS_H_

#include <string>
#include <vector>

namespace cpns::observe {

class Counter {
 public:
  virtual ~Counter() = default;
  virtual void Increment() = 0;
};

class Gauge {
 public:
  virtual ~Gauge() = default;
  virtual void Set(double value) = 0;
};

class Histogram {
 public:
  virtual ~Histogram() = default;
  virtual void Observe(double value) = 0;
};

// A family with one varying label. With() makes a value's series the first
// time (keep the reference where the value is fixed); past a bound on the
// number of values, further ones share the series of the value "other".
template <typename Metric>
class Labeled {
 public:
  virtual ~Labeled() = default;
  virtual Metric& With(const std::string& value) = 0;
};

struct Label {
  std::string name, value;
};

class Metrics {
 public:
  virtual ~Metrics() = default;
  virtual Counter& AddCounter(const std::string& name, const std::string& help) = 0;
  virtual Labeled<Counter>& AddCounter(const std::string& name, const std::string& help,
                                       const std::string& label) = 0;
  virtual Gauge& AddGauge(const std::string& name, const std::string& help) = 0;
  // Every series gets `fixed` labels too (e.g. the store's backend).
  virtual Labeled<Histogram>& AddHistogram(const std::string& name, const std::string& help,
                                           const std::string& label,
                                           const std::vector<Label>& fixed,
                                           const std::vector<double>& buckets) = 0;
};

// Metrics that count nothing; one process-wide instance without state.
Metrics& NullMetrics();

// Seconds buckets for operations that take milliseconds to seconds (a store
// call): 1 ms .. 10 s.
std::vector<double> LatencyBuckets();

}  // namespace cpns::observe

#endif  // CPNS_OBSERVE_METRICS_H_
