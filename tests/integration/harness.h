// Test harness for integration tests: the real cpns programs, started as
// processes on loopback and Unix sockets in a temporary directory.
//
// Waiting is bounded polling for a condition (a ready file appears, a process
// exits), never a fixed sleep. Not thread-safe; one harness per test.
#ifndef CPNS_TESTS_INTEGRATION_HARNESS_H_
#define CPNS_TESTS_INTEGRATION_HARNESS_H_

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace cpns::test {

// Path of an installed program in the build tree, e.g. Program("cpns-gw").
std::string Program(const std::string& name);

std::string ReadFileOrEmpty(const std::string& path);

// Polls until `path` exists and is non-empty, up to `timeout_ms`.
bool WaitForFile(const std::string& path, int timeout_ms = 20000);

// Checks `condition` until it holds, every `every`, for at most `timeout`;
// returns whether it held. The one way tests wait for something a program
// does in its own time (a status written, a seed fetched): never a fixed sleep.
bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout,
               absl::Duration every = absl::Milliseconds(50));

struct RunResult {
  int exit_code = -1;  // -1: killed by a signal
  std::string out;
  std::string err;
};

// Runs a program to completion with no stdin.
RunResult RunProgram(const std::vector<std::string>& argv);

// A long-running program. Its stdout and stderr go to <log_prefix>.log.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::string& log_path);
  ~Process();  // SIGKILL if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Sends SIGTERM and waits; returns the exit code (-1 if killed by a signal,
  // or if it did not exit within the timeout).
  int Terminate(int timeout_ms = 20000);
  // SIGKILL, as a crash would, and waits for the process to go.
  void Kill();
  bool running();
  // Waits up to `timeout_ms` for the process to exit on its own; its exit
  // code (-1 if killed by a signal), or nullopt if it is still running.
  std::optional<int> WaitForExit(int timeout_ms = 20000);
  pid_t pid() const { return pid_; }
  std::string log() const { return ReadFileOrEmpty(log_path_); }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  std::optional<int> exit_code_;
};

}  // namespace cpns::test

#endif  // CPNS_TESTS_INTEGRATION_HARNESS_H_
