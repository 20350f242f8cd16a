// PostgreSQL for tests: the server of the ctest fixture "postgres" (started
// by tests/pg/pg-cluster before the tests that need it) and fresh databases
// on it or on any other test server. Every test binary that needs PostgreSQL
// gets it here. Thread-safe.
#ifndef CPNS_TESTS_SUPPORT_POSTGRES_H_
#define CPNS_TESTS_SUPPORT_POSTGRES_H_

#include <string>
#include <vector>

namespace cpns::test {

// The URL of the fixture's server; empty when the test runs outside ctest
// (no fixture).
std::string PgFixtureUrl();

// Creates a new, empty database on the server of `base_url` (a test failure
// when it cannot) and returns its URL. The database sorts text by a
// linguistic (ICU en-US) collation, so that a query that orders without
// COLLATE "C" sorts differently from SQLite and fails its test.
std::string NewPgDatabase(const std::string& base_url = PgFixtureUrl());

// Runs `sql` on the database at `url`; a test failure when it fails.
void PgExec(const std::string& url, const std::string& sql);

// The first column of each row `sql` returns on the database at `url`; a
// test failure (and no rows) when it fails.
std::vector<std::string> PgRows(const std::string& url, const std::string& sql);

}  // namespace cpns::test

#endif  // CPNS_TESTS_SUPPORT_POSTGRES_H_
