// cpns_build_info{program,version} = 1, the metric dashboards join on to show
// which version each instance runs.
#ifndef CPNS_OBSERVE_PROGRAM_INFO_H_
#define CPNS_OBSERVE_PROGRAM_INFO_H_

#include <prometheus/registry.h>

#include <string_view>

namespace cpns::observe {

// Adds cpns_build_info{program=`program`,version=cpns::Version()} = 1 to
// `registry`: the version of core/version.h, as --version prints it.
// Call once per registry.
void AddBuildInfo(prometheus::Registry& registry, std::string_view program);

}  // namespace cpns::observe

#endif  // CPNS_OBSERVE_PROGRAM_INFO_H_
