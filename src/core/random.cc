#include "cpns/core/random.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>

namespace cpns {
namespace {

// Bumped in a forked child, so that no buffered nonce bytes are handed out
// by both parent and child.
std::atomic<uint64_t> fork_generation{0};

void CountFork() { fork_generation.fetch_add(1, std::memory_order_relaxed); }

// One thread's unused CSPRNG output for nonces. Bytes are cleansed as they
// are handed out, and the rest when the thread exits.
struct NonceBuffer {
  static constexpr size_t kSize = 512;  // 32 nonces per RAND_priv_bytes call
  std::array<uint8_t, kSize> bytes;
  size_t used = kSize;  // empty
  uint64_t generation = 0;
  ~NonceBuffer() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

}  // namespace

absl::StatusOr<SecretBytes> SecureRandomBytes(size_t size) {
  SecretBytes out(size);
  if (size > 0 && RAND_priv_bytes(out.MutableSecretData(), static_cast<int>(size)) != 1) {
    return absl::InternalError("OpenSSL CSPRNG (RAND_priv_bytes) failed");
  }
  return out;
}

absl::StatusOr<SecretBytes> SecureRandomNonce(size_t size) {
  if (size > kMaxNonceSize) return SecureRandomBytes(size);
  static std::once_flag at_fork;
  std::call_once(at_fork, [] { pthread_atfork(nullptr, nullptr, CountFork); });
  thread_local NonceBuffer buffer;
  const uint64_t generation = fork_generation.load(std::memory_order_relaxed);
  if (buffer.used + size > buffer.bytes.size() || buffer.generation != generation) {
    if (RAND_priv_bytes(buffer.bytes.data(), static_cast<int>(buffer.bytes.size())) != 1) {
      return absl::InternalError("OpenSSL CSPRNG (RAND_priv_bytes) failed");
    }
    buffer.used = 0;
    buffer.generation = generation;
  }
  uint8_t* const next = buffer.bytes.data() + buffer.used;
  SecretBytes out(next, size);
  OPENSSL_cleanse(next, size);
  buffer.used += size;
  return out;
}

}  // namespace cpns
