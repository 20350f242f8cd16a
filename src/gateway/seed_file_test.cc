#include "gateway/seed_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/file_util.h"

namespace cpns::gateway {
namespace {

std::string TempFile() {
  std::string tmpl = ::testing::TempDir() + "cpns_seed_file_XXXXXX";
  return std::string(mkdtemp(tmpl.data())) + "/first_seed";
}

FirstSeed Seed(absl::string_view gw) {
  return FirstSeed{*GatewayId::Parse(gw), 3, SecretBytes::CopyFrom(std::string(32, 'k'))};
}

TEST(SeedFileTest, RoundTripsWithMode0600) {
  const std::string path = TempFile();
  ASSERT_TRUE(SaveSeedFile(path, Seed("gw-1")).ok());
  absl::StatusOr<FirstSeed> loaded = LoadSeedFile(path, *GatewayId::Parse("gw-1"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->seed_epoch, 3u);
  EXPECT_EQ(loaded->first_seed, Seed("gw-1").first_seed);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(SeedFileTest, AnotherGatewaysFileIsRefused) {
  const std::string path = TempFile();
  ASSERT_TRUE(SaveSeedFile(path, Seed("gw-1")).ok());
  EXPECT_EQ(LoadSeedFile(path, *GatewayId::Parse("gw-2")).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(SeedFileTest, MissingIsNotFoundAndGarbageIsDataLoss) {
  const std::string path = TempFile();
  EXPECT_EQ(LoadSeedFile(path, *GatewayId::Parse("gw-1")).status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(WriteFileAtomically(path, "cpns-gateway-first-seed 1\ngw_id gw-1\nseed_epoch 1\n"
                                        "first_seed abcd\n", 0600).ok());
  EXPECT_EQ(LoadSeedFile(path, *GatewayId::Parse("gw-1")).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace cpns::gateway
