// What a part of cpns needs to log: events with fields (cpns::log below),
// spdlog's default logger for plain messages, and a formatter for abseil's
// string_view. Which logger that is (stderr, the level, text or JSON) is the
// program's choice, made once in main (InitLogging in apps/common/process.h);
// no library sets it.
// Nothing in cpns logs secret bytes: wire messages are logged only through
// wire::Redacted(), SecretBytes has no formatter and log::Value takes none.
#ifndef CPNS_CORE_LOGGING_H_
#define CPNS_CORE_LOGGING_H_

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

// Debian's abseil keeps its own string_view type; let fmt/spdlog print it.
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  template <typename Ctx>
  auto format(absl::string_view s, Ctx& ctx) const {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(s.data(), s.size()), ctx);
  }
};

// Events with fields:
//   log::Info("1st Seed Response", {{"gw_id", gw.value()}, {"epoch", epoch}});
// The program's formatter renders it as `1st Seed Response gw_id=gw-1 epoch=3`
// in text and as {"ts":..,"level":..,"program":..,"msg":..,"gw_id":..,
// "epoch":3} in JSON. Messages are constant text; what varies goes in fields,
// whose keys are constant snake_case names (gw_id, epoch, entity_type, peer,
// result, duration_ms, error, ...). Thread-safe, as spdlog's logger is.
namespace cpns::log {

// A field's value: text (any bytes; the formatter escapes) or a number.
class Value {
 public:
  Value(std::string_view text) : text_(text) {}
  Value(absl::string_view text) : text_(text.data(), text.size()) {}
  Value(const std::string& text) : text_(text) {}
  Value(const char* text) : text_(text) {}
  template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>)
  Value(T n) : text_(absl::StrCat(n)), number_(true) {}
  // "CODE: message", as absl::Status::ToString without payloads.
  Value(const absl::Status& s)
      : text_(s.ok() ? "OK"
                     : absl::StrCat(absl::StatusCodeToString(s.code()), ": ", s.message())) {}

  const std::string& text() const { return text_; }
  bool is_number() const { return number_; }

 private:
  std::string text_;
  bool number_ = false;
};

struct Field {
  std::string_view key;
  Value value;
};

// An event as it travels through spdlog's payload to the formatter.
struct Event {
  std::string msg;
  std::vector<std::pair<std::string, Value>> fields;
};

namespace internal {

// The payload of an event: kMark, then the message, then per field the key,
// 'n' or 't' (number or text) and the value, each as <length>:<bytes>, so
// that no byte of a value can be mistaken for a separator.
inline constexpr char kMark = '\x1e';

inline void Put(std::string& out, std::string_view s) {
  absl::StrAppend(&out, s.size(), ":");
  out.append(s);
}

inline std::optional<std::string_view> Take(std::string_view& in) {
  const size_t colon = in.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  size_t n = 0;
  auto [end, err] = std::from_chars(in.data(), in.data() + colon, n);
  if (err != std::errc() || end != in.data() + colon || n > in.size() - colon - 1) {
    return std::nullopt;
  }
  std::string_view item = in.substr(colon + 1, n);
  in.remove_prefix(colon + 1 + n);
  return item;
}

}  // namespace internal

inline std::string Encode(std::string_view msg, std::initializer_list<Field> fields) {
  std::string out(1, internal::kMark);
  internal::Put(out, msg);
  for (const Field& f : fields) {
    internal::Put(out, f.key);
    out.push_back(f.value.is_number() ? 'n' : 't');
    internal::Put(out, f.value.text());
  }
  return out;
}

// The event in a payload that Encode wrote; nullopt for any other payload
// (a plain spdlog message), which the formatter prints as its message.
inline std::optional<Event> Decode(std::string_view payload) {
  if (payload.empty() || payload.front() != internal::kMark) return std::nullopt;
  payload.remove_prefix(1);
  std::optional<std::string_view> msg = internal::Take(payload);
  if (!msg) return std::nullopt;
  Event event{std::string(*msg), {}};
  while (!payload.empty()) {
    std::optional<std::string_view> key = internal::Take(payload);
    if (!key || payload.empty()) return std::nullopt;
    const char kind = payload.front();
    payload.remove_prefix(1);
    std::optional<std::string_view> text = internal::Take(payload);
    if (!text || (kind != 'n' && kind != 't')) return std::nullopt;
    Value value(*text);
    if (kind == 'n') {
      int64_t n = 0;
      auto [end, err] = std::from_chars(text->data(), text->data() + text->size(), n);
      if (err != std::errc() || end != text->data() + text->size()) return std::nullopt;
      value = Value(n);
    }
    event.fields.emplace_back(std::string(*key), std::move(value));
  }
  return event;
}

inline void Log(spdlog::level::level_enum level, std::string_view msg,
                std::initializer_list<Field> fields) {
  spdlog::logger& logger = *spdlog::default_logger_raw();
  if (!logger.should_log(level)) return;
  logger.log(level, "{}", Encode(msg, fields));
}

inline void Debug(std::string_view msg, std::initializer_list<Field> fields = {}) {
  Log(spdlog::level::debug, msg, fields);
}
inline void Info(std::string_view msg, std::initializer_list<Field> fields = {}) {
  Log(spdlog::level::info, msg, fields);
}
inline void Warn(std::string_view msg, std::initializer_list<Field> fields = {}) {
  Log(spdlog::level::warn, msg, fields);
}
inline void Error(std::string_view msg, std::initializer_list<Field> fields = {}) {
  Log(spdlog::level::err, msg, fields);
}
inline void Critical(std::string_view msg, std::initializer_list<Field> fields = {}) {
  Log(spdlog::level::critical, msg, fields);
}

}  // namespace cpns::log

#endif  // CPNS_CORE_LOGGING_H_
