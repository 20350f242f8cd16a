// cpns.v1 messages as they arrive from a peer (src/wire/messages.*,
// src/wire/redact.*). The first byte picks the message type, the rest is its
// wire form, parsed with protobuf's ParseFromArray as gRPC does.
// Properties: a valid EUKey Assignment Request survives
// MakeAssignmentRequest -> serialize -> parse -> ParseAssignmentRequest
// unchanged; the log form of any message redacts every sensitive field.
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "cpns/v1/cpns.pb.h"
#include "fuzz_util.h"
#include "wire/messages.h"
#include "wire/redact.h"

namespace {

using cpns::fuzz::Check;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

std::unique_ptr<Message> NewMessage(uint8_t selector) {
  switch (selector % 5) {
    case 0: return std::make_unique<cpns::v1::EUKeyAssignmentRequest>();
    case 1: return std::make_unique<cpns::v1::AuthenticateRequest>();
    case 2: return std::make_unique<cpns::v1::FirstSeedRequest>();
    case 3: return std::make_unique<cpns::v1::FirstSeedResponse>();
    default: return std::make_unique<cpns::v1::EUKeyAssignmentResponse>();
  }
}

// How many sensitive fields of `message` (not nested) hold bytes.
int SetSensitiveFields(const Message& message) {
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  int n = 0;
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING && !field->is_repeated() &&
        field->options().GetExtension(cpns::v1::sensitive)) {
      ++n;
    }
  }
  return n;
}

int CountRedactions(absl::string_view text) {
  int n = 0;
  for (size_t at = text.find("<redacted "); at != absl::string_view::npos;
       at = text.find("<redacted ", at + 1)) {
    ++n;
  }
  return n;
}

void CheckAssignmentRequest(const cpns::v1::EUKeyAssignmentRequest& request) {
  const auto assignee = cpns::wire::ParseAssignmentRequest(request);
  if (!assignee.ok()) {
    Check(assignee.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  const std::string bytes = cpns::wire::MakeAssignmentRequest(*assignee).SerializeAsString();
  cpns::v1::EUKeyAssignmentRequest parsed;
  Check(parsed.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
  const auto again = cpns::wire::ParseAssignmentRequest(parsed);
  Check(again.ok() && again->entity_type == assignee->entity_type &&
        again->entity_id == assignee->entity_id && again->user_id == assignee->user_id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::unique_ptr<Message> message = NewMessage(data[0]);
  if (!message->ParseFromArray(data + 1, static_cast<int>(size - 1))) return 0;
  if (auto* request = dynamic_cast<cpns::v1::EUKeyAssignmentRequest*>(message.get())) {
    CheckAssignmentRequest(*request);
  }
  Check(CountRedactions(cpns::wire::Redacted(*message)) >= SetSensitiveFields(*message));
  cpns::wire::WipeSensitiveFields(*message);
  Check(SetSensitiveFields(*message) == 0);
  return 0;
}
