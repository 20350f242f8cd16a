// Redaction of secret fields for logs, in one place.
//
// Every field marked [(cpns.v1.sensitive) = true] in proto/cpns/v1/cpns.proto
// is replaced by "<redacted N bytes>", and fields this version does not know
// are left out. Thread-safe.
#ifndef CPNS_WIRE_REDACT_H_
#define CPNS_WIRE_REDACT_H_

#include <google/protobuf/message.h>

#include <string>

namespace cpns::wire {

// A one-line text form of `message` with every sensitive field redacted.
std::string Redacted(const google::protobuf::Message& message);

// Overwrites the bytes of every sensitive field of `message` with zeros, in
// place (the fields keep their length).
void OverwriteSensitiveFields(google::protobuf::Message& message);

// OverwriteSensitiveFields, then clears those fields, and overwrites and
// drops the fields this version does not know (a retired field may have
// carried a secret). Call on a message that held secrets before it is
// destroyed.
void WipeSensitiveFields(google::protobuf::Message& message);

}  // namespace cpns::wire

#endif  // CPNS_WIRE_REDACT_H_
