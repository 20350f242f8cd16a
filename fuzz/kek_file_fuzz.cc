// KEK files (cpns-server --kek-file; src/storage/kek.*) through the real
// loader from a scratch file with mode 0600, and the same text as $CPNS_KEK.
// Properties: a KEK that loads, written with WriteNewFile, loads back with
// the same id; failures are InvalidArgument.
#include <string>

#include "fuzz_util.h"
#include "storage/kek.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using cpns::fuzz::Check;
  const absl::string_view text = cpns::fuzz::AsText(data, size);
  const auto from_env = cpns::storage::Kek::FromHex("$CPNS_KEK", text);
  if (!from_env.ok()) Check(from_env.status().code() == absl::StatusCode::kInvalidArgument);

  const std::string path = cpns::fuzz::WriteScratchFile("kek", text);
  const auto kek = cpns::storage::Kek::LoadFile(path);
  if (!kek.ok()) {
    Check(kek.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  const std::string copy = cpns::fuzz::ScratchDir() + "/copy";
  ::unlink(copy.c_str());
  Check(kek->WriteNewFile(copy).ok());
  const auto back = cpns::storage::Kek::LoadFile(copy);
  Check(back.ok() && back->id() == kek->id());
  return 0;
}
