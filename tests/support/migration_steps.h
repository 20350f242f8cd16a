// Test migrations for the schema runner (core/migrations.h), shared by its
// SQLite and PostgreSQL tests. Each step logs itself and creates a table
// without IF NOT EXISTS: a step run twice fails, and the log shows which
// steps ran.
#ifndef CPNS_TESTS_SUPPORT_MIGRATION_STEPS_H_
#define CPNS_TESTS_SUPPORT_MIGRATION_STEPS_H_

#include "core/migrations.h"

namespace cpns::test {

inline constexpr SchemaStep kLoggedSteps[] = {
    {1, "log and seeds", "CREATE TABLE log (step INTEGER); CREATE TABLE seeds (id INTEGER);"
                         "INSERT INTO log VALUES (1);"},
    {2, "owners", "CREATE TABLE owners (id INTEGER); INSERT INTO log VALUES (2);"},
    {3, "keys", "CREATE TABLE keys (id INTEGER); INSERT INTO log VALUES (3);"},
};

// The same, with a second step that fails after doing part of its work.
inline constexpr SchemaStep kBrokenSecondStep[] = {
    kLoggedSteps[0],
    {2, "owners", "CREATE TABLE owners (id INTEGER); INSERT INTO log VALUES (2);"
                  "INSERT INTO no_such_table VALUES (1);"},
    kLoggedSteps[2],
};

}  // namespace cpns::test

#endif  // CPNS_TESTS_SUPPORT_MIGRATION_STEPS_H_
