// Raw SQL on SQLite files for tests: what an older release, an operator or an
// attacker with the file could do to it, outside the code under test.
// Thread-safe (each call opens its own connection).
#ifndef CPNS_TESTS_SUPPORT_SQLITE_FILES_H_
#define CPNS_TESTS_SUPPORT_SQLITE_FILES_H_

#include <string>
#include <vector>

namespace cpns::test {

// Runs `sql` (one or more statements) on the file at `path`, creating it if
// missing; a test failure when it fails.
void SqliteExec(const std::string& path, const std::string& sql);

// The rows of `sql` on the file at `path`, each row's columns joined by '|'
// (NULL as "NULL"); a test failure (and what was read so far) when it fails.
std::vector<std::string> SqliteRows(const std::string& path, const std::string& sql);

}  // namespace cpns::test

#endif  // CPNS_TESTS_SUPPORT_SQLITE_FILES_H_
