#include "observe/prometheus_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

namespace cpns::observe {
namespace {

std::string Scrape(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

bool Has(const std::string& text, const std::string& sample) {
  return text.find(sample + "\n") != std::string::npos;
}

TEST(PrometheusMetricsTest, CountsThroughTheInterfaces) {
  prometheus::Registry registry;
  PrometheusMetrics metrics(registry);
  Counter& issued = metrics.AddCounter("cpns_test_issued_total", "h");
  Labeled<Counter>& results = metrics.AddCounter("cpns_test_results_total", "h", "result");
  Gauge& up = metrics.AddGauge("cpns_test_up", "h");
  Labeled<Histogram>& ops = metrics.AddHistogram("cpns_test_seconds", "h", "op",
                                                 {{"backend", "sqlite"}}, LatencyBuckets());
  issued.Increment();
  issued.Increment();
  results.With("ok").Increment();
  results.With("no-seed").Increment();
  results.With("ok").Increment();
  up.Set(1);
  ops.With("get").Observe(0.002);
  const std::string text = Scrape(registry);
  EXPECT_TRUE(Has(text, "cpns_test_issued_total 2")) << text;
  EXPECT_TRUE(Has(text, "cpns_test_results_total{result=\"ok\"} 2")) << text;
  EXPECT_TRUE(Has(text, "cpns_test_results_total{result=\"no-seed\"} 1")) << text;
  EXPECT_TRUE(Has(text, "cpns_test_up 1")) << text;
  EXPECT_TRUE(Has(text, "cpns_test_seconds_count{backend=\"sqlite\",op=\"get\"} 1")) << text;
}

TEST(PrometheusMetricsTest, LabelValuesPastTheBoundShareOther) {
  prometheus::Registry registry;
  PrometheusMetrics metrics(registry);
  Labeled<Counter>& results = metrics.AddCounter("cpns_test_results_total", "h", "result");
  for (size_t i = 0; i < PrometheusMetrics::kMaxLabelValues; ++i) {
    results.With("r" + std::to_string(i));
  }
  results.With("one-more").Increment();
  results.With("and-another").Increment();
  const std::string text = Scrape(registry);
  EXPECT_TRUE(Has(text, "cpns_test_results_total{result=\"other\"} 2")) << text;
  EXPECT_EQ(text.find("one-more"), std::string::npos);
}

TEST(PrometheusMetricsTest, NullMetricsCountNothingAndAreSafeToUse) {
  Metrics& null = NullMetrics();
  null.AddCounter("x_total", "h").Increment();
  null.AddCounter("y_total", "h", "result").With("ok").Increment();
  null.AddGauge("z", "h").Set(3);
  null.AddHistogram("w_seconds", "h", "op", {}, LatencyBuckets()).With("get").Observe(1);
  SUCCEED();  // nothing to observe: that is the contract
}

}  // namespace
}  // namespace cpns::observe
