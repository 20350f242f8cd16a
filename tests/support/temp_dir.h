// Temporary directories for tests: one helper for every test binary.
#ifndef CPNS_TESTS_SUPPORT_TEMP_DIR_H_
#define CPNS_TESTS_SUPPORT_TEMP_DIR_H_

#include <string>
#include <string_view>

namespace cpns::test {

// A new, empty directory (mode 0700) named `prefix`_XXXXXX under the test's
// temporary directory (GoogleTest's TempDir(): $TEST_TMPDIR, else /tmp).
// It is not removed, so a failed test's files can be looked at. Aborts the
// test program when none can be made: no test can go on without it.
// Thread-safe.
std::string NewTempDir(std::string_view prefix);

}  // namespace cpns::test

#endif  // CPNS_TESTS_SUPPORT_TEMP_DIR_H_
