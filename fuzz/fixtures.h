// The fixed keys and time the harnesses and the corpus generator share, so
// that the seed corpus holds inputs that really verify or open.
#ifndef CPNS_FUZZ_FIXTURES_H_
#define CPNS_FUZZ_FIXTURES_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace cpns::fuzz {

// The challenge codec's key: 32 bytes of 0x5a. Its clock stands still here.
inline constexpr char kChallengeKeyByte = 0x5a;
inline constexpr int64_t kNowUnixSeconds = 1798761600;  // 2027-01-01
// The store's KEK (sealed seeds) and the gateway key (sealed seed files).
inline constexpr absl::string_view kKekHex =
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
inline constexpr char kSealKeyByte = 0x33;
// The gateway whose seed file the seed_file harness loads.
inline constexpr absl::string_view kGatewayId = "gw-fuzz";

}  // namespace cpns::fuzz

#endif  // CPNS_FUZZ_FIXTURES_H_
