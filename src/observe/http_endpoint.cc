#include "observe/http_endpoint.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <prometheus/text_serializer.h>

#include <cstring>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace cpns::observe {
namespace {

// "IPV4:PORT", as civetweb's listening_ports wants it (this build of
// civetweb has no IPv6).
absl::Status CheckListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  int port = -1;
  in_addr addr;
  if (colon == std::string::npos ||
      ::inet_pton(AF_INET, listen.substr(0, colon).c_str(), &addr) != 1 ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--metrics-listen ", listen, ": expected IPV4:PORT (e.g. 127.0.0.1:9464; port 0 picks "
        "a free one)"));
  }
  return absl::OkStatus();
}

int Send(struct mg_connection* conn, int status, const char* reason, const char* type,
         std::string_view body, bool head) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
            status, reason, type, body.size());
  if (!head) mg_write(conn, body.data(), body.size());
  return status;
}

constexpr char kPlain[] = "text/plain; charset=utf-8";

}  // namespace

absl::StatusOr<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(const std::string& listen,
                                                                  prometheus::Registry& registry,
                                                                  ReadinessProbe ready) {
  if (absl::Status s = CheckListen(listen); !s.ok()) return s;
  std::unique_ptr<HttpEndpoint> endpoint(new HttpEndpoint(registry, std::move(ready)));
  const std::string threads = std::to_string(kThreads), queue = std::to_string(kQueue),
                    request_bytes = std::to_string(kMaxRequestBytes),
                    timeout = std::to_string(kRequestTimeoutMs);
  const char* options[] = {"listening_ports", listen.c_str(), "num_threads", threads.c_str(),
                           "connection_queue", queue.c_str(), "listen_backlog", queue.c_str(),
                           "max_request_size", request_bytes.c_str(), "request_timeout_ms",
                           timeout.c_str(), "enable_keep_alive", "no",
                           "enable_directory_listing", "no", nullptr};
  mg_callbacks callbacks;
  std::memset(&callbacks, 0, sizeof(callbacks));
  mg_init_data init{.callbacks = &callbacks, .user_data = nullptr,
                    .configuration_options = options};
  char error_text[256] = "";
  unsigned error_code = 0;
  mg_error_data error{.code = &error_code, .text = error_text,
                      .text_buffer_size = sizeof(error_text)};
  endpoint->ctx_ = mg_start2(&init, &error);
  if (endpoint->ctx_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on --metrics-listen ", listen, ": ", error_text));
  }
  mg_set_request_handler(endpoint->ctx_, "/", &HttpEndpoint::Serve, endpoint.get());
  mg_server_port ports[1];
  if (mg_get_server_ports(endpoint->ctx_, 1, ports) != 1) {
    return absl::InternalError("--metrics-listen: civetweb reports no bound port");
  }
  endpoint->port_ = ports[0].port;
  return endpoint;
}

HttpEndpoint::~HttpEndpoint() {
  if (ctx_ != nullptr) mg_stop(ctx_);
}

int HttpEndpoint::Serve(struct mg_connection* conn, void* self) {
  const mg_request_info* request = mg_get_request_info(conn);
  const bool head = std::strcmp(request->request_method, "HEAD") == 0;
  if (!head && std::strcmp(request->request_method, "GET") != 0) {
    return Send(conn, 405, "Method Not Allowed", kPlain, "only GET and HEAD\n", false);
  }
  const auto* endpoint = static_cast<const HttpEndpoint*>(self);
  const std::string_view uri = request->local_uri != nullptr ? request->local_uri : "";
  if (uri == "/metrics") {
    const std::string text = prometheus::TextSerializer().Serialize(endpoint->registry_.Collect());
    return Send(conn, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", text, head);
  }
  if (uri == "/healthz") return Send(conn, 200, "OK", kPlain, "ok\n", head);
  if (uri == "/readyz") {
    auto [ready, reason] = endpoint->ready_();
    if (ready) return Send(conn, 200, "OK", kPlain, "ready\n", head);
    // One line, whatever the probe said.
    reason = absl::StrReplaceAll(reason, {{"\r", " "}, {"\n", " "}});
    return Send(conn, 503, "Service Unavailable", kPlain, absl::StrCat(reason, "\n"), head);
  }
  return Send(conn, 404, "Not Found", kPlain, "not found (try /metrics, /healthz, /readyz)\n",
              head);
}

}  // namespace cpns::observe
