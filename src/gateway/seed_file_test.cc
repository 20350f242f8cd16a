#include "gateway/seed_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "support/temp_dir.h"

namespace cpns::gateway {
namespace {

std::string TempFile() {
  return cpns::test::NewTempDir("cpns_seed_file") + "/first_seed";
}

FirstSeed Seed(absl::string_view gw) {
  return FirstSeed{*GatewayId::Parse(gw), 3, SecretBytes::CopyFrom(std::string(32, 'k')),
                   absl::FromUnixSeconds(1'700'000'000), absl::FromUnixSeconds(1'800'000'000)};
}

// Hex of the 32 'k' bytes of Seed().
constexpr absl::string_view kHex =
    "6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b";

TEST(SeedFileTest, RoundTripsWithMode0600) {
  const std::string path = TempFile();
  ASSERT_TRUE(SaveSeedFile(path, Seed("gw-1")).ok());
  absl::StatusOr<FirstSeed> loaded = LoadSeedFile(path, *GatewayId::Parse("gw-1"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->seed_epoch, 3u);
  EXPECT_EQ(loaded->first_seed, Seed("gw-1").first_seed);
  EXPECT_EQ(loaded->created_at, absl::FromUnixSeconds(1'700'000'000));
  EXPECT_EQ(loaded->expires_at, absl::FromUnixSeconds(1'800'000'000));
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

TEST(SeedFileTest, UnknownExpiryIsStoredAsZeroAndLoadsAsInfiniteFuture) {
  const std::string path = TempFile();
  FirstSeed seed = Seed("gw-1");
  seed.expires_at = absl::InfiniteFuture();
  ASSERT_TRUE(SaveSeedFile(path, seed).ok());
  absl::StatusOr<std::string> text = ReadFile(path);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("\nexpires_at 0\n"), std::string::npos) << "as on the wire";
  absl::StatusOr<FirstSeed> loaded = LoadSeedFile(path, *GatewayId::Parse("gw-1"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->expires_at, absl::InfiniteFuture());
}

// Files written by the version before seeds expired.
TEST(SeedFileTest, Version1FileLoadsWithUnknownTimes) {
  const std::string path = TempFile();
  ASSERT_TRUE(WriteFileAtomically(path, absl::StrCat("cpns-gateway-first-seed 1\ngw_id gw-1\n"
                                                     "seed_epoch 4\nfirst_seed ", kHex, "\n"),
                                  0600).ok());
  absl::StatusOr<FirstSeed> loaded = LoadSeedFile(path, *GatewayId::Parse("gw-1"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->seed_epoch, 4u);
  EXPECT_EQ(loaded->first_seed, Seed("gw-1").first_seed);
  EXPECT_EQ(loaded->created_at, absl::UnixEpoch());
  EXPECT_EQ(loaded->expires_at, absl::InfiniteFuture());
}

TEST(SeedFileTest, Version2WithoutTimesOrWithBadTimesIsDataLoss) {
  const std::string path = TempFile();
  const GatewayId gw = *GatewayId::Parse("gw-1");
  ASSERT_TRUE(WriteFileAtomically(path, absl::StrCat("cpns-gateway-first-seed 2\ngw_id gw-1\n"
                                                     "seed_epoch 4\nfirst_seed ", kHex, "\n"),
                                  0600).ok());
  EXPECT_EQ(LoadSeedFile(path, gw).status().code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE(WriteFileAtomically(path, absl::StrCat("cpns-gateway-first-seed 2\ngw_id gw-1\n"
                                                     "seed_epoch 4\ncreated_at 1\n"
                                                     "expires_at soon\nfirst_seed ", kHex, "\n"),
                                  0600).ok());
  EXPECT_EQ(LoadSeedFile(path, gw).status().code(), absl::StatusCode::kDataLoss);
}

TEST(SeedFileTest, RemoveDeletesTheFileAndAMissingOneIsFine) {
  const std::string path = TempFile();
  ASSERT_TRUE(SaveSeedFile(path, Seed("gw-1")).ok());
  ASSERT_TRUE(RemoveSeedFile(path).ok());
  EXPECT_EQ(LoadSeedFile(path, *GatewayId::Parse("gw-1")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(RemoveSeedFile(path).ok());
}

TEST(SeedFileTest, SealedUnderTheGatewayKeyTheFileRevealsNothing) {
  const std::string path = TempFile();
  const std::string key_file = path + ".key";
  const SecretBytes key = *LoadOrCreateSealKey(key_file);
  EXPECT_EQ(LoadOrCreateSealKey(key_file)->RevealSecret(), key.RevealSecret()) << "kept";
  ASSERT_TRUE(SaveSeedFile(path, Seed("gw-1"), &key).ok());
  EXPECT_EQ(ReadFile(path)->find(std::string(kHex)), std::string::npos);
  const GatewayId gw = *GatewayId::Parse("gw-1");
  absl::StatusOr<FirstSeed> opened = LoadSeedFile(path, gw, &key);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->first_seed, Seed("gw-1").first_seed);
  EXPECT_EQ(opened->expires_at, absl::FromUnixSeconds(1'800'000'000));
  EXPECT_EQ(LoadSeedFile(path, gw).status().code(), absl::StatusCode::kFailedPrecondition);
  const SecretBytes other = SecretBytes::CopyFrom(std::string(32, 'o'));
  EXPECT_EQ(LoadSeedFile(path, gw, &other).status().code(), absl::StatusCode::kDataLoss);
  // Bound to the gateway: the sealed file renamed to another gateway's is refused.
  EXPECT_EQ(LoadSeedFile(path, *GatewayId::Parse("gw-2"), &key).status().code(),
            absl::StatusCode::kDataLoss);
  // A plain file still loads when a key is configured (it is sealed when saved).
  ASSERT_TRUE(SaveSeedFile(path, Seed("gw-1")).ok());
  EXPECT_TRUE(LoadSeedFile(path, gw, &key).ok());
}

TEST(SeedFileTest, TheGatewayKeyFileIsPrivate) {
  const std::string key_file = TempFile() + ".key";
  ASSERT_TRUE(LoadOrCreateSealKey(key_file).ok());
  struct stat st;
  ASSERT_EQ(stat(key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(chmod(key_file.c_str(), 0644), 0);
  EXPECT_EQ(LoadOrCreateSealKey(key_file).status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(WriteFileAtomically(key_file, "not hex\n", 0600).ok());
  EXPECT_EQ(LoadOrCreateSealKey(key_file).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace cpns::gateway
