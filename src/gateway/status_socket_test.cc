#include "gateway/status_socket.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <string>

#include "support/temp_dir.h"

namespace cpns::gateway {
namespace {

using ::testing::HasSubstr;

TEST(StatusSocketTest, AnswersEachAskerWithTheCurrentSnapshot) {
  const std::string path = StatusSocketPath(cpns::test::NewTempDir("status_socket"));
  std::atomic<int> asked{0};
  auto socket = StatusSocket::Start(path, [&] { return "status " + std::to_string(++asked); });
  ASSERT_TRUE(socket.ok()) << socket.status();
  EXPECT_EQ(ReadLiveStatus(path, absl::Seconds(5)).value_or(""), "status 1");
  EXPECT_EQ(ReadLiveStatus(path, absl::Seconds(5)).value_or(""), "status 2");
}

TEST(StatusSocketTest, IsTheGatewayUsersAloneAndGoneWhenStopped) {
  const std::string path = StatusSocketPath(cpns::test::NewTempDir("status_socket"));
  {
    auto socket = StatusSocket::Start(path, [] { return std::string("{}"); });
    ASSERT_TRUE(socket.ok()) << socket.status();
    struct stat st;
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
  }
  struct stat st;
  EXPECT_NE(::stat(path.c_str(), &st), 0) << "the socket file outlived its daemon";
  const absl::StatusOr<std::string> none = ReadLiveStatus(path, absl::Seconds(1));
  EXPECT_TRUE(absl::IsUnavailable(none.status())) << none.status();
  EXPECT_THAT(none.status().message(), HasSubstr("no gateway daemon answers on"));
}

TEST(StatusSocketTest, ASecondDaemonOnTheSameStateIsRefused) {
  const std::string path = StatusSocketPath(cpns::test::NewTempDir("status_socket"));
  auto first = StatusSocket::Start(path, [] { return std::string("first"); });
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = StatusSocket::Start(path, [] { return std::string("second"); });
  EXPECT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(), HasSubstr("in use"));
  EXPECT_EQ(ReadLiveStatus(path, absl::Seconds(5)).value_or(""), "first");
}

TEST(StatusSocketTest, ALargeStatusArrivesWholeAndAnOversizedOneIsRefused) {
  const std::string path = StatusSocketPath(cpns::test::NewTempDir("status_socket"));
  std::atomic<size_t> size{300'000};
  auto socket = StatusSocket::Start(path, [&] { return std::string(size.load(), 'x'); });
  ASSERT_TRUE(socket.ok()) << socket.status();
  EXPECT_EQ(ReadLiveStatus(path, absl::Seconds(5)).value_or("").size(), 300'000u);
  size.store(2 << 20);  // over the reader's 1 MiB bound
  EXPECT_FALSE(ReadLiveStatus(path, absl::Seconds(5)).ok());
}

}  // namespace
}  // namespace cpns::gateway
