#include "observe/program_info.h"

#include <prometheus/gauge.h>

#include <string>

#include "core/version.h"

namespace cpns::observe {

void AddBuildInfo(prometheus::Registry& registry, std::string_view program) {
  prometheus::BuildGauge()
      .Name("cpns_build_info")
      .Help("Always 1; the labels name the program and its version")
      .Register(registry)
      .Add({{"program", std::string(program)}, {"version", std::string(cpns::Version())}})
      .Set(1);
}

}  // namespace cpns::observe
