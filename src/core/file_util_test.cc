#include "core/file_util.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

namespace cpns {
namespace {

std::string TempDir() {
  std::string tmpl = ::testing::TempDir() + "cpns_file_util_XXXXXX";
  return std::string(mkdtemp(tmpl.data()));
}

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

}  // namespace
}  // namespace cpns
