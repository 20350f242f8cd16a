#include "cpns/core/random.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>

namespace cpns {
namespace {

TEST(SecureRandomNonceTest, GivesTheAskedSizeAndNeverRepeatsAcrossRefills) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {  // about 30 refills of the 512-byte buffer
    absl::StatusOr<SecretBytes> nonce = SecureRandomNonce(16);
    ASSERT_TRUE(nonce.ok()) << nonce.status();
    ASSERT_EQ(nonce->size(), 16u);
    EXPECT_TRUE(seen.insert(std::string(nonce->RevealSecret())).second) << "repeated at " << i;
  }
  EXPECT_EQ(SecureRandomNonce(kMaxNonceSize + 1)->size(), kMaxNonceSize + 1);
}

TEST(SecureRandomNonceTest, ForkedChildDoesNotReuseTheParentsBufferedBytes) {
  ASSERT_TRUE(SecureRandomNonce(16).ok());  // the buffer now holds unused bytes
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<SecretBytes> nonce = SecureRandomNonce(16);
    const bool ok = nonce.ok() && write(fds[1], nonce->RevealSecret().data(), 16) == 16;
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  const std::string parent(SecureRandomNonce(16)->RevealSecret());
  std::string from_child(16, '\0');
  EXPECT_EQ(read(fds[0], from_child.data(), 16), 16);
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_NE(parent, from_child);
}

}  // namespace
}  // namespace cpns
