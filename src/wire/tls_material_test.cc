#include "wire/tls_material.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file_util.h"
#include "pki/dev_pki.h"
#include "support/temp_dir.h"
#include "wire/mem_file.h"

namespace cpns::wire {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class TlsMaterialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki::WriteDevelopmentPki(
                    {.out_dir = dir_, .server_name = "cpns.test", .gateway_ids = {"gw-1"}})
                    .ok());
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  const std::string dir_ = test::NewTempDir("cpns_tls_material");
};

TEST_F(TlsMaterialTest, ReadsAMatchingPairUnderTheOwnerOnlyRule) {
  auto id = ReadIdentity(Path("server.crt"), Path("server.key"), KeyFileRule::kOwnerOnly);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_THAT(id->cert_chain, HasSubstr("BEGIN CERTIFICATE"));
  EXPECT_THAT(id->private_key, HasSubstr("BEGIN PRIVATE KEY"));
}

TEST_F(TlsMaterialTest, AKeyOfAnotherCertificateIsRefusedNamingBothFiles) {
  auto id = ReadIdentity(Path("server.crt"), Path("gw-gw-1.key"), KeyFileRule::kOwnerOnly);
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(id.status().message(), HasSubstr("do not match"));
  EXPECT_THAT(id.status().message(), HasSubstr("gw-gw-1.key"));
}

TEST_F(TlsMaterialTest, AKeyOthersMayReadIsRefusedOnlyUnderTheOwnerOnlyRule) {
  ASSERT_EQ(::chmod(Path("server.key").c_str(), 0644), 0);
  auto strict = ReadIdentity(Path("server.crt"), Path("server.key"), KeyFileRule::kOwnerOnly);
  EXPECT_EQ(strict.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(strict.status().message(), HasSubstr("private key"));
  EXPECT_TRUE(ReadIdentity(Path("server.crt"), Path("server.key"), KeyFileRule::kAnyMode).ok());
}

TEST_F(TlsMaterialTest, GarbageIsRefusedAsNotPemAndNoKeyBytesAreInTheError) {
  ASSERT_TRUE(WriteFileAtomically(Path("junk.crt"), "not a certificate", 0644).ok());
  auto id = ReadIdentity(Path("junk.crt"), Path("server.key"), KeyFileRule::kOwnerOnly);
  EXPECT_THAT(id.status().message(), HasSubstr("junk.crt is not PEM"));
  // A certificate given as the key: PEM, but no private key in it.
  auto swapped = ReadIdentity(Path("server.crt"), Path("server.crt"), KeyFileRule::kAnyMode);
  EXPECT_THAT(swapped.status().message(), HasSubstr("holds no unencrypted PEM private key"));
  EXPECT_THAT(swapped.status().message(), Not(HasSubstr("BEGIN")));
}

TEST_F(TlsMaterialTest, ACaBundleWithoutCertificateIsRefused) {
  auto bundle = ReadCaBundle("client CA", Path("server.key"));
  EXPECT_EQ(bundle.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bundle.status().message(), HasSubstr("client CA file"));
  EXPECT_EQ(Certificates(*ReadFile(Path("ca.crt")) + *ReadFile(Path("server.crt")), "both")->size(), 2u);
}

std::string ReadPath(const std::string& path) {
  absl::StatusOr<std::string> s = ReadFile(path);
  return s.ok() ? *s : "<" + s.status().ToString() + ">";
}

TEST(MemFileTest, APathShowsTheLatestVersionAndAnOpenReaderKeepsItsOwn) {
  auto file = MemFile::Create("test", "one");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(ReadPath((*file)->path()), "one");
  const int early = ::open((*file)->path().c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(early, 0);
  struct stat before {};
  ASSERT_EQ(::stat((*file)->path().c_str(), &before), 0);
  EXPECT_EQ(before.st_mode & 0777, 0600u);
  ASSERT_TRUE((*file)->Replace("two, longer").ok());
  EXPECT_EQ(ReadPath((*file)->path()), "two, longer");
  char buf[16] = {};
  EXPECT_EQ(::read(early, buf, sizeof buf), 3);
  EXPECT_EQ(std::string(buf, 3), "one");
  ::close(early);
  // Each version has its own modification time: gRPC's watcher sees a change.
  struct stat after {};
  ASSERT_EQ(::stat((*file)->path().c_str(), &after), 0);
  EXPECT_NE(before.st_mtime, after.st_mtime);
}

// A reload prepares every file before it commits any, so a failure while
// preparing the second leaves the first as it was.
TEST(MemFileTest, APreparedVersionIsUnseenUntilCommittedAndDroppedWithoutTrace) {
  auto identity = MemFile::Create("identity", "key one");
  auto roots = MemFile::Create("roots", "roots one");
  ASSERT_TRUE(identity.ok() && roots.ok());
  {
    auto next = (*identity)->Prepare("key two");
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_EQ(ReadPath((*identity)->path()), "key one");
  }  // the roots' preparation "failed": nothing committed
  EXPECT_EQ(ReadPath((*identity)->path()), "key one");
  auto next = (*identity)->Prepare("key three");
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE((*identity)->Commit(std::move(*next)).ok());
  EXPECT_EQ(ReadPath((*identity)->path()), "key three");
  EXPECT_EQ(ReadPath((*roots)->path()), "roots one");
}

}  // namespace
}  // namespace cpns::wire
