#include "common/process.h"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cstdlib>

namespace cpns {
namespace {

// In a child process (a death test), so this test binary stays as it was.
TEST(ProcessTest, AHardenedProcessIsNotDumpableAndHasNoCoreLimit) {
  if (prctl(PR_GET_DUMPABLE) != 1) GTEST_SKIP() << "this test process is already not dumpable";
  EXPECT_EXIT(
      {
        if (!HardenProcess().ok()) std::_Exit(1);
        if (prctl(PR_GET_DUMPABLE) != 0) std::_Exit(2);
        struct rlimit core;
        if (getrlimit(RLIMIT_CORE, &core) != 0) std::_Exit(3);
        if (core.rlim_cur != 0 || core.rlim_max != 0) std::_Exit(4);
        if (!HardenProcess().ok()) std::_Exit(5);  // idempotent
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace cpns
