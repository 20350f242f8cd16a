#include "observe/program_info.h"

#include <prometheus/gauge.h>

#include <string>

namespace cpns::observe {

const char* Version() { return CPNS_VERSION; }

void AddBuildInfo(prometheus::Registry& registry, std::string_view program) {
  prometheus::BuildGauge()
      .Name("cpns_build_info")
      .Help("Always 1; the labels name the program and its version")
      .Register(registry)
      .Add({{"program", std::string(program)}, {"version", std::string(Version())}})
      .Set(1);
}

}  // namespace cpns::observe
