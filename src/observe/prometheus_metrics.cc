#include "observe/prometheus_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include <functional>
#include <map>

namespace cpns::observe {
namespace {

class PromCounter final : public Counter {
 public:
  explicit PromCounter(prometheus::Counter& c) : c_(c) {}
  void Increment() override { c_.Increment(); }

 private:
  prometheus::Counter& c_;
};

class PromGauge final : public Gauge {
 public:
  explicit PromGauge(prometheus::Gauge& g) : g_(g) {}
  void Set(double value) override { g_.Set(value); }

 private:
  prometheus::Gauge& g_;
};

class PromHistogram final : public Histogram {
 public:
  explicit PromHistogram(prometheus::Histogram& h) : h_(h) {}
  void Observe(double value) override { h_.Observe(value); }

 private:
  prometheus::Histogram& h_;
};

// One label's series, each made once; past kMaxLabelValues values, "other".
template <typename Metric, typename Adapter, typename PromMetric>
class LabeledFamily final : public Labeled<Metric> {
 public:
  using Make = std::function<PromMetric&(const prometheus::Labels&)>;
  LabeledFamily(std::string label, prometheus::Labels fixed, Make make)
      : label_(std::move(label)), fixed_(std::move(fixed)), make_(std::move(make)) {}

  Metric& With(const std::string& value) override {
    MutexLock lock(&mu_);
    auto it = series_.find(value);
    if (it != series_.end()) return *it->second;
    const std::string key =
        series_.size() < PrometheusMetrics::kMaxLabelValues ? value : std::string("other");
    if (it = series_.find(key); it != series_.end()) return *it->second;
    prometheus::Labels labels = fixed_;
    labels[label_] = key;
    return *series_.emplace(key, std::make_unique<Adapter>(make_(labels))).first->second;
  }

 private:
  const std::string label_;
  const prometheus::Labels fixed_;
  const Make make_;
  Mutex mu_;
  std::map<std::string, std::unique_ptr<Adapter>> series_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

template <typename T>
T& PrometheusMetrics::Keep(std::unique_ptr<T> made) {
  T& ref = *made;
  MutexLock lock(&mu_);
  made_.push_back(std::shared_ptr<T>(std::move(made)));
  return ref;
}

Counter& PrometheusMetrics::AddCounter(const std::string& name, const std::string& help) {
  auto& family = prometheus::BuildCounter().Name(name).Help(help).Register(registry_);
  return Keep(std::make_unique<PromCounter>(family.Add({})));
}

Labeled<Counter>& PrometheusMetrics::AddCounter(const std::string& name, const std::string& help,
                                                const std::string& label) {
  auto* family = &prometheus::BuildCounter().Name(name).Help(help).Register(registry_);
  return Keep(std::make_unique<LabeledFamily<Counter, PromCounter, prometheus::Counter>>(
      label, prometheus::Labels{},
      [family](const prometheus::Labels& l) -> prometheus::Counter& { return family->Add(l); }));
}

Gauge& PrometheusMetrics::AddGauge(const std::string& name, const std::string& help) {
  auto& family = prometheus::BuildGauge().Name(name).Help(help).Register(registry_);
  return Keep(std::make_unique<PromGauge>(family.Add({})));
}

Labeled<Histogram>& PrometheusMetrics::AddHistogram(const std::string& name,
                                                    const std::string& help,
                                                    const std::string& label,
                                                    const std::vector<Label>& fixed,
                                                    const std::vector<double>& buckets) {
  auto* family = &prometheus::BuildHistogram().Name(name).Help(help).Register(registry_);
  prometheus::Labels fixed_labels;
  for (const Label& l : fixed) fixed_labels[l.name] = l.value;
  return Keep(std::make_unique<LabeledFamily<Histogram, PromHistogram, prometheus::Histogram>>(
      label, std::move(fixed_labels),
      [family, buckets](const prometheus::Labels& l) -> prometheus::Histogram& {
        return family->Add(l, buckets);
      }));
}

}  // namespace cpns::observe
