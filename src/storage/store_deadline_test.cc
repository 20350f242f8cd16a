// The store deadline: how a call's deadline becomes the store's, how scopes
// nest, and that the waits of both stores end by it (a PostgreSQL server
// that accepts a connection but never answers; a SQLite lock held by another
// connection).
#include "storage/store_deadline.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/fake_clock.h"
#include "storage/pg_pool.h"
#include "storage/kek.h"
#include "storage/open_store.h"
#include "storage/sqlite_statement.h"
#include "cpns/core/identifiers.h"
#include "support/temp_dir.h"

namespace cpns::storage {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

TEST(StoreDeadlineTest, KeepsAMarginOfTenPercentAndAtLeast250Ms) {
  EXPECT_EQ(StoreDeadlineFor(kNow + absl::Seconds(3), kNow), kNow + absl::Milliseconds(2700));
  EXPECT_EQ(StoreDeadlineFor(kNow + absl::Seconds(1), kNow), kNow + absl::Milliseconds(750));
}

TEST(StoreDeadlineTest, CapsACallWithoutOrWithAFarDeadline) {
  EXPECT_EQ(StoreDeadlineFor(absl::InfiniteFuture(), kNow), kNow + kDefaultStoreCallTimeout);
  EXPECT_EQ(StoreDeadlineFor(kNow + absl::Hours(1), kNow), kNow + kDefaultStoreCallTimeout);
}

TEST(StoreDeadlineTest, ScopesNestAndOnlyShorten) {
  const absl::Time outer = absl::Now() + absl::Seconds(5);
  {
    ScopedStoreDeadline a(outer);
    EXPECT_EQ(CurrentStoreDeadline(), outer);
    {
      ScopedStoreDeadline later(outer + absl::Seconds(5));
      EXPECT_EQ(CurrentStoreDeadline(), outer);
      ScopedStoreDeadline sooner(outer - absl::Seconds(1));
      EXPECT_EQ(CurrentStoreDeadline(), outer - absl::Seconds(1));
    }
    EXPECT_EQ(CurrentStoreDeadline(), outer);
  }
  EXPECT_GT(CurrentStoreDeadline(), absl::Now() + kUnscopedStoreWait - absl::Seconds(1))
      << "outside any scope each wait gets kUnscopedStoreWait";
}

TEST(StoreDeadlineTest, OnlyTheDeadlineErrorIsADeadlineMiss) {
  const absl::Status miss = StoreDeadlineError("PostgreSQL");
  EXPECT_TRUE(absl::IsUnavailable(miss));
  EXPECT_TRUE(IsStoreDeadlineMiss(miss));
  EXPECT_THAT(miss.message(), HasSubstr("PostgreSQL did not answer in time"));
  EXPECT_FALSE(IsStoreDeadlineMiss(absl::UnavailableError("PostgreSQL did not answer in time")));
}

TEST(StoreDeadlineTest, PostgresPoolGivesUpWhenTheDeadlineHasPassed) {
  ScopedStoreDeadline passed(absl::Now() - absl::Seconds(1));
  pg::Pool pool({.conninfo = "postgresql://postgres@127.0.0.1:1/none"});
  absl::StatusOr<pg::Connection> c = pool.Acquire();
  EXPECT_TRUE(IsStoreDeadlineMiss(c.status())) << c.status();
}

// A listening socket that nobody accepts on: the kernel completes the TCP
// handshake, and the connection's start-up is never answered, as with a
// frozen postmaster.
TEST(StoreDeadlineTest, PostgresConnectingEndsByTheDeadline) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(listen(fd, 8), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  pg::Pool pool({.conninfo = absl::StrCat("postgresql://postgres@127.0.0.1:",
                                          ntohs(addr.sin_port), "/none?sslmode=disable")});
  const absl::Time deadline = absl::Now() + absl::Milliseconds(300);
  absl::StatusOr<pg::Connection> c = [&] {
    ScopedStoreDeadline bound(deadline);
    return pool.Acquire();
  }();
  EXPECT_TRUE(IsStoreDeadlineMiss(c.status())) << c.status();
  EXPECT_THAT(c.status().message(), HasSubstr("connecting"));
  EXPECT_GE(absl::Now(), deadline) << "it waited until the deadline, not less";
  close(fd);
}

TEST(StoreDeadlineTest, SqliteBusyWaitEndsByTheDeadline) {
  const std::string path = test::NewTempDir("cpns_deadline") + "/locked.db";
  sqlite3* holder = nullptr;
  sqlite3* waiter = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_open(path.c_str(), &waiter), SQLITE_OK);
  sqlite3_busy_handler(waiter, sqlite::BusyUntilStoreDeadline, nullptr);
  ASSERT_TRUE(sqlite::Exec(holder, "CREATE TABLE t (x); BEGIN EXCLUSIVE").ok());

  const absl::Time deadline = absl::Now() + absl::Milliseconds(300);
  absl::Status s;
  {
    ScopedStoreDeadline bound(deadline);
    s = sqlite::Exec(waiter, "BEGIN IMMEDIATE");
  }
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("database is locked"));
  EXPECT_GE(absl::Now(), deadline) << "it waited for the lock until the deadline";

  ASSERT_TRUE(sqlite::Exec(holder, "COMMIT").ok());
  ScopedStoreDeadline bound(absl::Now() + absl::Seconds(5));
  EXPECT_TRUE(sqlite::Exec(waiter, "BEGIN IMMEDIATE; COMMIT").ok()) << "the lock was freed";
  sqlite3_close(waiter);
  sqlite3_close(holder);
}

// A request that waits for the lock (held by another process) holds the
// store's one connection meanwhile: a second request gives up by its own,
// shorter deadline rather than waiting for the first one's turn.
TEST(StoreDeadlineTest, ASqliteRequestDoesNotWaitPastItsDeadlineForAnother) {
  const std::string path = test::NewTempDir("cpns_deadline") + "/seeds.db";
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  std::vector<Kek> keks;
  keks.push_back(*Kek::Generate());
  const KeyRing ring = *KeyRing::Create(std::move(keks));
  auto store = OpenSeedStore(path, {.keys = &ring, .migrate = true}, clock);
  ASSERT_TRUE(store.ok()) << store.status();
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &holder), SQLITE_OK);
  ASSERT_TRUE(sqlite::Exec(holder, "BEGIN EXCLUSIVE").ok());

  std::thread first([&] {
    ScopedStoreDeadline bound(absl::Now() + absl::Seconds(3));
    EXPECT_FALSE((*store)->GetOrCreateActive(*GatewayId::Parse("gw-00")).ok());
  });
  absl::SleepFor(absl::Milliseconds(200));  // the first is in its busy wait
  const absl::Time start = absl::Now();
  absl::Status second;
  {
    ScopedStoreDeadline bound(start + absl::Milliseconds(300));
    second = (*store)->GetOrCreateActive(*GatewayId::Parse("gw-01")).status();
  }
  const absl::Duration waited = absl::Now() - start;
  EXPECT_TRUE(absl::IsUnavailable(second)) << second;
  EXPECT_LT(waited, absl::Seconds(2)) << "it waited for the first request's turn";
  first.join();
  ASSERT_TRUE(sqlite::Exec(holder, "COMMIT").ok());
  sqlite3_close(holder);
}

}  // namespace
}  // namespace cpns::storage
