// PrometheusMetrics: observe::Metrics on a prometheus::Registry, what the
// daemons hand their roles. Thread-safe; the registry must outlive it, and it
// must outlive every part holding its metrics.
#ifndef CPNS_OBSERVE_PROMETHEUS_METRICS_H_
#define CPNS_OBSERVE_PROMETHEUS_METRICS_H_

#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "observe/metrics.h"

namespace cpns::observe {

class PrometheusMetrics final : public Metrics {
 public:
  // Values of one label past this bound share the series "other".
  static constexpr size_t kMaxLabelValues = 32;

  explicit PrometheusMetrics(prometheus::Registry& registry) : registry_(registry) {}

  Counter& AddCounter(const std::string& name, const std::string& help) override;
  Labeled<Counter>& AddCounter(const std::string& name, const std::string& help,
                               const std::string& label) override;
  Gauge& AddGauge(const std::string& name, const std::string& help) override;
  Labeled<Histogram>& AddHistogram(const std::string& name, const std::string& help,
                                   const std::string& label, const std::vector<Label>& fixed,
                                   const std::vector<double>& buckets) override;

 private:
  template <typename T>
  T& Keep(std::unique_ptr<T> made);

  prometheus::Registry& registry_;
  Mutex mu_;
  std::vector<std::shared_ptr<void>> made_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cpns::observe

#endif  // CPNS_OBSERVE_PROMETHEUS_METRICS_H_
