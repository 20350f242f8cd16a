#include "core/hmac_sha256.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cpns/core/hex.h"

namespace cpns {
namespace {

std::string Bytes(absl::string_view hex) { return *HexDecode("test", hex); }

std::string Hex(const HmacSha256Out& out) {
  return HexEncode(absl::string_view(reinterpret_cast<const char*>(out.data()), out.size()));
}

struct Rfc4231Case {
  std::string key;
  std::string data;
  std::string mac;
};

// RFC 4231 test cases 1 (20-byte key), 2 (short key), 4 (25-byte key) and
// 6 (131-byte key, longer than a block, so hashed first).
std::vector<Rfc4231Case> Rfc4231Cases() {
  return {
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {Bytes("0102030405060708090a0b0c0d0e0f10111213141516171819"), std::string(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
  };
}

TEST(HmacSha256Test, MatchesRfc4231) {
  for (const Rfc4231Case& c : Rfc4231Cases()) {
    SCOPED_TRACE(c.mac);
    HmacSha256Out out;
    HmacSha256(c.key, c.data, out);
    EXPECT_EQ(Hex(out), c.mac);
  }
}

TEST(HmacSha256Test, PreparedKeyMatchesRfc4231AndCanBeReused) {
  for (const Rfc4231Case& c : Rfc4231Cases()) {
    SCOPED_TRACE(c.mac);
    const HmacSha256Key key(c.key);
    for (int i = 0; i < 2; ++i) {  // the second use starts from the same keyed state
      HmacSha256Out out;
      key.Mac(c.data, out);
      EXPECT_EQ(Hex(out), c.mac);
    }
  }
}

}  // namespace
}  // namespace cpns
