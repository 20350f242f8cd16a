// SecretBytes: key material that wipes itself.
//
// Thread-compatible (like std::string): concurrent const access is safe.
// The bytes are zeroized (OPENSSL_cleanse) when the object is destroyed,
// moved from or reassigned. Equality is constant-time in the contents.
// There is deliberately no operator<< and no implicit conversion: reading the
// raw bytes needs RevealSecret(), a call that can be grepped for.
#ifndef CPNS_CORE_SECRET_BYTES_H_
#define CPNS_CORE_SECRET_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

namespace cpns {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size);  // `size` zero bytes
  SecretBytes(const uint8_t* data, size_t size);
  // Copies `bytes`; the caller is responsible for wiping its own copy.
  static SecretBytes CopyFrom(absl::string_view bytes);

  SecretBytes(const SecretBytes& other);
  SecretBytes& operator=(const SecretBytes& other);
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes();

  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

  // The raw secret. Every caller is a place where the secret leaves this type.
  absl::string_view RevealSecret() const {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }
  uint8_t* MutableSecretData() { return bytes_.data(); }

  // Concatenation, for KDF keys such as first_seed || second_seed.
  SecretBytes Concat(const SecretBytes& tail) const;

  // Constant-time in the contents (the length is not secret).
  friend bool operator==(const SecretBytes& a, const SecretBytes& b);

 private:
  void Wipe();
  std::vector<uint8_t> bytes_;
};

// Constant-time comparison of two byte strings of public length.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// Overwrites the contents of `s` with zeros (for protobuf copies of secrets).
void WipeString(std::string& s);

}  // namespace cpns

#endif  // CPNS_CORE_SECRET_BYTES_H_
