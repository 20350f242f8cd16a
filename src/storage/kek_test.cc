#include "storage/kek.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/file_util.h"
#include "support/temp_dir.h"

namespace cpns::storage {
namespace {

using ::testing::HasSubstr;

std::string TempDir() { return test::NewTempDir("cpns_kek"); }

TEST(KekTest, FileRoundTripsWithMode0600AndIsNeverOverwritten) {
  const std::string path = TempDir() + "/kek";
  const Kek kek = *Kek::Generate();
  ASSERT_TRUE(kek.WriteNewFile(path).ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(Kek::LoadFile(path)->id(), kek.id());
  EXPECT_EQ(Kek::Generate()->WriteNewFile(path).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Kek::LoadFile(path)->id(), kek.id());
}

TEST(KekTest, RefusesAFileOthersCanRead) {
  const std::string path = TempDir() + "/kek";
  ASSERT_TRUE(Kek::Generate()->WriteNewFile(path).ok());
  ASSERT_EQ(chmod(path.c_str(), 0640), 0);
  absl::StatusOr<Kek> k = Kek::LoadFile(path);
  EXPECT_EQ(k.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(k.status().message()), HasSubstr("mode 0640"));
}

TEST(KekTest, RefusesGarbage) {
  const std::string path = TempDir() + "/kek";
  ASSERT_TRUE(WriteFileAtomically(path, "not a key\n", 0600).ok());
  EXPECT_EQ(Kek::LoadFile(path).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Kek::FromHex("$CPNS_KEK", "abcd").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(KekTest, SealedSeedIsBoundToGatewayAndEpoch) {
  const Kek kek = *Kek::Generate();
  const SecretBytes seed = SecretBytes::CopyFrom(std::string(32, 'S'));
  const GatewayId a = *GatewayId::Parse("gw-A"), b = *GatewayId::Parse("gw-B");
  const std::string sealed = *kek.SealSeed(seed, a, 1);
  EXPECT_EQ(sealed.find("SSSS"), std::string::npos);
  EXPECT_EQ(*kek.OpenSeed(sealed, a, 1), seed);
  absl::StatusOr<SecretBytes> moved = kek.OpenSeed(sealed, b, 1);
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(moved.status().message()), HasSubstr("gateway gw-B epoch 1"));
  EXPECT_EQ(kek.OpenSeed(sealed, a, 2).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Kek::Generate()->OpenSeed(sealed, a, 1).status().code(), absl::StatusCode::kDataLoss);
}

TEST(KeyRingTest, FindsByIdAndNamesAMissingOne) {
  std::vector<Kek> keys;
  keys.push_back(*Kek::Generate());
  keys.push_back(*Kek::Generate());
  const std::string second = keys[1].id();
  KeyRing ring = *KeyRing::Create(std::move(keys));
  EXPECT_EQ((*ring.Find(second))->id(), second);
  EXPECT_NE(ring.primary().id(), second);
  EXPECT_THAT(std::string(ring.Find("0000000000000000").status().message()),
              HasSubstr("does not hold KEK 0000000000000000"));
}

}  // namespace
}  // namespace cpns::storage
