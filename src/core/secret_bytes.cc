#include "cpns/core/secret_bytes.h"

#include <openssl/crypto.h>

#include <utility>

// The bytes live on the ordinary heap, not in pages marked MADV_DONTDUMP: a
// secret also passes through gRPC, protobuf and OpenSSL buffers that no mark
// on this type reaches, and a page per secret would cost an mmap and munmap
// per value on the request path. Core dumps are closed for the whole process
// instead (HardenProcess in apps/common/process.h: non-dumpable, core limit 0),
// which every program that holds secrets calls first.

namespace cpns {

SecretBytes::SecretBytes(size_t size) : bytes_(size, 0) {}

SecretBytes::SecretBytes(const uint8_t* data, size_t size) : bytes_(data, data + size) {}

SecretBytes SecretBytes::CopyFrom(absl::string_view bytes) {
  return SecretBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

SecretBytes::SecretBytes(const SecretBytes& other) : bytes_(other.bytes_) {}

SecretBytes& SecretBytes::operator=(const SecretBytes& other) {
  if (this != &other) {
    Wipe();
    bytes_ = other.bytes_;
  }
  return *this;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
  other.bytes_.clear();
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

SecretBytes::~SecretBytes() { Wipe(); }

void SecretBytes::Wipe() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  bytes_.clear();
}

SecretBytes SecretBytes::Concat(const SecretBytes& tail) const {
  SecretBytes out(size() + tail.size());
  std::copy(bytes_.begin(), bytes_.end(), out.bytes_.begin());
  std::copy(tail.bytes_.begin(), tail.bytes_.end(), out.bytes_.begin() + size());
  return out;
}

bool operator==(const SecretBytes& a, const SecretBytes& b) {
  return ConstantTimeEquals(a.RevealSecret(), b.RevealSecret());
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void WipeString(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace cpns
