#include "wire/redact.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/unknown_field_set.h>

#include <openssl/crypto.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "cpns/core/secret_bytes.h"
#include "cpns/v1/cpns.pb.h"

namespace cpns::wire {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

template <typename Fn>
void ForEachSensitiveStringField(Message& message, Fn fn) {
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field->is_repeated()) {
      ForEachSensitiveStringField(*reflection->MutableMessage(&message, field), fn);
      continue;
    }
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_STRING || field->is_repeated()) continue;
    if (!field->options().GetExtension(cpns::v1::sensitive)) continue;
    fn(reflection, field);
  }
}

size_t FieldSize(const Message& message, const google::protobuf::Reflection* r,
                 const FieldDescriptor* f) {
  std::string scratch;
  const size_t n = r->GetStringReference(message, f, &scratch).size();
  WipeString(scratch);
  return n;
}

// Zeroes the field's bytes where they are. For a plain string field
// GetStringReference returns the field's own storage (not the scratch), so the
// cleanse reaches the real buffer; reflection has no mutable accessor, hence
// the const_cast.
void OverwriteWithZeros(Message& message, const google::protobuf::Reflection* r,
                        const FieldDescriptor* f) {
  std::string scratch;
  const std::string& ref = r->GetStringReference(message, f, &scratch);
  if (&ref != &scratch && !ref.empty()) {
    OPENSSL_cleanse(const_cast<char*>(ref.data()), ref.size());
  }
  WipeString(scratch);
}

// Fields this version does not know may be secret too: a retired one (field
// 4 of EUKeyAssignmentRequest carried a pairing code in cpns 0.1), or one
// of a newer version. Overwritten, then dropped.
void WipeUnknownFields(Message& message) {
  google::protobuf::UnknownFieldSet* unknown =
      message.GetReflection()->MutableUnknownFields(&message);
  for (int i = 0; i < unknown->field_count(); ++i) {
    google::protobuf::UnknownField* field = unknown->mutable_field(i);
    if (field->type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) continue;
    std::string* bytes = field->mutable_length_delimited();
    if (!bytes->empty()) OPENSSL_cleanse(bytes->data(), bytes->size());
  }
  unknown->Clear();
}

}  // namespace

std::string Redacted(const Message& message) {
  std::unique_ptr<Message> copy(message.New());
  copy->CopyFrom(message);
  ForEachSensitiveStringField(*copy, [&](const google::protobuf::Reflection* r,
                                         const FieldDescriptor* f) {
    const size_t n = FieldSize(*copy, r, f);
    OverwriteWithZeros(*copy, r, f);
    r->SetString(copy.get(), f, absl::StrCat("<redacted ", n, " bytes>"));
  });
  WipeUnknownFields(*copy);  // not printed: they may be secret
  std::string out = copy->ShortDebugString();
  WipeSensitiveFields(*copy);
  return out;
}

void OverwriteSensitiveFields(Message& message) {
  ForEachSensitiveStringField(message, [&](const google::protobuf::Reflection* r,
                                           const FieldDescriptor* f) {
    OverwriteWithZeros(message, r, f);
  });
}

void WipeSensitiveFields(Message& message) {
  OverwriteSensitiveFields(message);
  ForEachSensitiveStringField(message, [&](const google::protobuf::Reflection* r,
                                           const FieldDescriptor* f) { r->ClearField(&message, f); });
  WipeUnknownFields(message);
}

}  // namespace cpns::wire
