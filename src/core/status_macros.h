// Early-return helpers for absl::Status / absl::StatusOr. Internal to cpns.
#ifndef CPNS_CORE_STATUS_MACROS_H_
#define CPNS_CORE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define CPNS_CONCAT_INNER_(a, b) a##b
#define CPNS_CONCAT_(a, b) CPNS_CONCAT_INNER_(a, b)

#define CPNS_RETURN_IF_ERROR(expr)                 \
  do {                                             \
    if (::absl::Status _st = (expr); !_st.ok()) {  \
      return _st;                                  \
    }                                              \
  } while (0)

#define CPNS_ASSIGN_OR_RETURN(lhs, expr) \
  CPNS_ASSIGN_OR_RETURN_IMPL_(CPNS_CONCAT_(_statusor_, __LINE__), lhs, expr)

#define CPNS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).status();    \
  lhs = std::move(tmp).value()

#endif  // CPNS_CORE_STATUS_MACROS_H_
