#include "core/file_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_format.h"
#include "support/temp_dir.h"

namespace cpns {
namespace {

std::string TempDir() { return test::NewTempDir("cpns_file_util"); }

TEST(FileUtilTest, AtomicWriteSetsModeAndReplacesContents) {
  const std::string path = TempDir() + "/f";
  ASSERT_TRUE(WriteFileAtomically(path, "one", 0600).ok());
  ASSERT_TRUE(WriteFileAtomically(path, "two", 0600).ok());
  EXPECT_EQ(*ReadFile(path), "two");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(FileUtilTest, ReadMissingIsNotFound) {
  EXPECT_EQ(ReadFile(TempDir() + "/missing").status().code(), absl::StatusCode::kNotFound);
}

TEST(FileUtilTest, EnsureDirectoryRefusesAFile) {
  const std::string dir = TempDir();
  ASSERT_TRUE(EnsureDirectory(dir + "/d", 0700).ok());
  ASSERT_TRUE(EnsureDirectory(dir + "/d", 0700).ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/f", "x", 0600).ok());
  EXPECT_EQ(EnsureDirectory(dir + "/f", 0700).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(FileUtilTest, PrivateDirectoryIsCreatedOrTightenedTo0700) {
  const std::string dir = TempDir();
  struct stat st;
  ASSERT_TRUE(EnsurePrivateDirectory(dir + "/new").ok());
  ASSERT_EQ(stat((dir + "/new").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(mkdir((dir + "/loose").c_str(), 0755), 0);
  ASSERT_EQ(chmod((dir + "/loose").c_str(), 0755), 0);
  ASSERT_TRUE(EnsurePrivateDirectory(dir + "/loose").ok());
  ASSERT_EQ(stat((dir + "/loose").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

using ::testing::HasSubstr;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

TEST(FileUtilTest, SecretFileOfOursWithMode0600IsRead) {
  const std::string path = TempDir() + "/secret";
  ASSERT_TRUE(WriteFileAtomically(path, "s3cret", 0600).ok());
  absl::StatusOr<SecretBytes> read = ReadSecretFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->RevealSecret(), "s3cret");
  EXPECT_TRUE(CheckOwnerOnlyFile(path).ok());
  EXPECT_EQ(ReadSecretFile(path + ".missing").status().code(), absl::StatusCode::kNotFound);
}

TEST(FileUtilTest, SecretFileOpenToGroupOrOthersIsRefusedWithItsMode) {
  const std::string path = TempDir() + "/secret";
  ASSERT_TRUE(WriteFileAtomically(path, "s3cret", 0600).ok());
  for (mode_t mode : {0644, 0640, 0604, 0666, 0620, 0601}) {
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
    const absl::Status s = ReadSecretFile(path).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << mode;
    EXPECT_THAT(Message(s), HasSubstr(path)) << mode;
    EXPECT_THAT(Message(s), HasSubstr(absl::StrFormat("(mode %04o); chmod 600 it", mode)));
    EXPECT_EQ(CheckOwnerOnlyFile(path).code(), absl::StatusCode::kFailedPrecondition) << mode;
  }
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  EXPECT_THAT(Message(ReadSecretFile(path).status()), HasSubstr("is readable by group or others"));
  ASSERT_EQ(chmod(path.c_str(), 0620), 0);
  EXPECT_THAT(Message(ReadSecretFile(path).status()), HasSubstr("is writable by group or others"));
  ASSERT_EQ(chmod(path.c_str(), 0400), 0);
  EXPECT_TRUE(ReadSecretFile(path).ok()) << "read-only for the owner is fine";
}

// systemd's credentials directory: its copies are fit whether the service
// user's (systemd 252) or root's with group read standing for an ACL (later
// versions); the same mode elsewhere, or a copy others may read, is not.
TEST(FileUtilTest, SystemdCredentialCopiesAreFitOnlyInTheCredentialsDirectory) {
  const std::string credentials = TempDir();
  const std::string elsewhere = TempDir();
  ASSERT_TRUE(WriteFileAtomically(credentials + "/kek", "s3cret", 0440).ok());
  ASSERT_TRUE(WriteFileAtomically(elsewhere + "/kek", "s3cret", 0440).ok());
  ASSERT_EQ(::setenv("CREDENTIALS_DIRECTORY", credentials.c_str(), 1), 0);
  EXPECT_TRUE(ReadSecretFile(credentials + "/kek").ok());
  EXPECT_TRUE(CheckOwnerOnlyFile(credentials + "/kek").ok());
  EXPECT_EQ(ReadSecretFile(elsewhere + "/kek").status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_EQ(chmod((credentials + "/kek").c_str(), 0444), 0);
  EXPECT_THAT(Message(ReadSecretFile(credentials + "/kek").status()),
              HasSubstr("is readable by group or others"));
  ASSERT_EQ(chmod((credentials + "/kek").c_str(), 0460), 0);
  EXPECT_FALSE(ReadSecretFile(credentials + "/kek").ok()) << "group-writable";
  if (::geteuid() == 0) {  // a copy of another user's is not systemd's
    ASSERT_EQ(chmod((credentials + "/kek").c_str(), 0400), 0);
    ASSERT_EQ(chown((credentials + "/kek").c_str(), 65534, 65534), 0);
    EXPECT_THAT(Message(CheckOwnerOnlyFile(credentials + "/kek")), HasSubstr("belongs to uid 65534"));
  }
  ASSERT_EQ(::unsetenv("CREDENTIALS_DIRECTORY"), 0);
  ASSERT_EQ(chmod((credentials + "/kek").c_str(), 0440), 0);
  EXPECT_FALSE(CheckOwnerOnlyFile(credentials + "/kek").ok()) << "without the variable, the usual rule";
}

TEST(FileUtilTest, SymlinkToAGoodSecretFileIsRefused) {
  const std::string dir = TempDir();
  ASSERT_TRUE(WriteFileAtomically(dir + "/real", "s3cret", 0600).ok());
  ASSERT_EQ(symlink((dir + "/real").c_str(), (dir + "/link").c_str()), 0);
  const absl::Status s = ReadSecretFile(dir + "/link").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(s), HasSubstr(dir + "/link is a symbolic link"));
  EXPECT_THAT(Message(CheckOwnerOnlyFile(dir + "/link")), HasSubstr("is a symbolic link"));
}

TEST(FileUtilTest, SecretThatIsNotARegularFileIsRefused) {
  const std::string dir = TempDir();
  ASSERT_EQ(mkfifo((dir + "/fifo").c_str(), 0600), 0);
  const absl::Status s = ReadSecretFile(dir + "/fifo").status();  // must not block
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(s), HasSubstr("is not a regular file"));
  EXPECT_THAT(Message(ReadSecretFile(dir).status()), HasSubstr("is not a regular file"));
}

TEST(FileUtilTest, SecretFileOfAnotherUserIsRefused) {
  const std::string path = TempDir() + "/secret";
  ASSERT_TRUE(WriteFileAtomically(path, "s3cret", 0600).ok());
  if (geteuid() != 0) GTEST_SKIP() << "changing a file's owner needs root";
  ASSERT_EQ(chown(path.c_str(), 65534, static_cast<gid_t>(-1)), 0);
  const absl::Status s = ReadSecretFile(path).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(s), HasSubstr("belongs to uid 65534"));
}

TEST(FileUtilTest, PrivateDirectoryContentsRefuseLinksAndLooseFiles) {
  const std::string dir = TempDir();
  ASSERT_TRUE(WriteFileAtomically(dir + "/good", "x", 0600).ok());
  ASSERT_EQ(mkdir((dir + "/sub").c_str(), 0755), 0);
  EXPECT_TRUE(CheckPrivateDirectoryContents(dir).ok()) << "directories are left alone";
  ASSERT_TRUE(WriteFileAtomically(dir + "/loose", "x", 0644).ok());
  EXPECT_THAT(Message(CheckPrivateDirectoryContents(dir)), HasSubstr(dir + "/loose is readable"));
  ASSERT_EQ(unlink((dir + "/loose").c_str()), 0);
  ASSERT_EQ(symlink("/etc/hostname", (dir + "/gateway.db").c_str()), 0);
  EXPECT_THAT(Message(CheckPrivateDirectoryContents(dir)),
              HasSubstr(dir + "/gateway.db is a symbolic link"));
}

TEST(FileUtilTest, PrivateDirectoryThatOthersCouldWriteOrALinkIsRefused) {
  const std::string dir = TempDir();
  ASSERT_EQ(mkdir((dir + "/open").c_str(), 0700), 0);
  ASSERT_EQ(chmod((dir + "/open").c_str(), 0777), 0);
  const absl::Status s = EnsurePrivateDirectory(dir + "/open");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(s), HasSubstr("is writable by group or others (mode 0777)"));
  ASSERT_EQ(symlink((dir + "/open").c_str(), (dir + "/link").c_str()), 0);
  EXPECT_THAT(Message(EnsurePrivateDirectory(dir + "/link")), HasSubstr("is a symbolic link"));
}

}  // namespace
}  // namespace cpns
