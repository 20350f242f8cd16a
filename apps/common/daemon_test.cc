#include "common/daemon.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "absl/time/clock.h"
#include "common/process.h"
#include "support/temp_dir.h"

// daemon::Run sets process-wide state (umask, signal mask, logger, limits),
// so each test runs it in a child process (a death test) and reports what it
// saw through the child's exit code: 0 when every check held, else the
// number of the first check that failed.
namespace cpns::daemon {
namespace {

std::string TempDir() { return test::NewTempDir("cpns_daemon"); }

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Waits (up to 10 s) for the ready file and returns what it says; ends the
// child with 90 if it never comes.
std::string AwaitReadyFile(const std::string& path) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!Exists(path)) {
    if (absl::Now() > deadline) std::_Exit(90);
    absl::SleepFor(absl::Milliseconds(5));
  }
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// What a FakeService saw.
struct Record {
  std::string ready_seen;
  bool ready_gone_at_drain = false;
  absl::Duration grace = absl::ZeroDuration();
  std::atomic<int> reloads{0};  // Reload calls, made on the main thread
};

// Once the ready file is there, does `act` from its own thread (as a listener
// would), and records the ready file and how it was shut down.
class FakeService final : public Service {
 public:
  FakeService(std::string ready_file, std::function<void()> act, Record& record,
              int fault_exit_code)
      : ready_file_(std::move(ready_file)), record_(record), fault_exit_code_(fault_exit_code),
        thread_([this, act] {
          record_.ready_seen = AwaitReadyFile(ready_file_);
          act();
        }) {}
  ~FakeService() override { thread_.join(); }

  std::string ReadyText() const override { return "pn_listen unix:/x\ntls_port 7"; }
  void Shutdown(absl::Duration grace) override {
    record_.ready_gone_at_drain = !Exists(ready_file_);
    record_.grace = grace;
  }
  // The first reload works, every later one fails.
  absl::Status Reload() override {
    if (record_.reloads.fetch_add(1) == 0) return absl::OkStatus();
    return absl::InvalidArgumentError("certificate file /x.crt is not PEM");
  }
  int ExitCode(bool after_fault) override {
    return fault_exit_code_ < 0 ? Service::ExitCode(after_fault) : fault_exit_code_;
  }

 private:
  const std::string ready_file_;
  Record& record_;
  const int fault_exit_code_;
  std::thread thread_;
};

// Runs a daemon whose service does `act` once ready, checks what every run
// that served must show, and ends the child: 0 when Run returned
// `expected_code` and every check held.
[[noreturn]] void RunAndCheck(std::function<void(const Context&, const Record&)> act,
                              int expected_code,
                              int fault_exit_code = -1) {
  const std::string ready = TempDir() + "/ready";
  Record record;
  const int code = daemon::Run({.program = "cpns-test", .log_level = "info", .ready_file = ready,
                        .drain = absl::Seconds(3)},
                       [&](const Context& context) -> absl::StatusOr<std::unique_ptr<Service>> {
                         return std::make_unique<FakeService>(
                             ready, [act, context, &record] { act(context, record); }, record,
                             fault_exit_code);
                       });
  if (code != expected_code) std::_Exit(1);
  if (record.ready_seen != "pn_listen unix:/x\ntls_port 7\n") std::_Exit(2);
  if (!record.ready_gone_at_drain) std::_Exit(3);  // removed before the drain
  if (record.grace != absl::Seconds(3)) std::_Exit(4);
  if (Exists(ready)) std::_Exit(5);
  std::_Exit(0);
}

[[noreturn]] void RunAndCheck(std::function<void(const Context&)> act, int expected_code,
                              int fault_exit_code = -1) {
  RunAndCheck([act](const Context& context, const Record&) { act(context); }, expected_code,
              fault_exit_code);
}

TEST(DaemonTest, ServesUntilAskedToStopThenRemovesTheReadyFileDrainsAndExitsZero) {
  EXPECT_EXIT(RunAndCheck([](const Context&) { kill(getpid(), SIGTERM); }, 0),
              ::testing::ExitedWithCode(0), "signal 15: shutting down");
}

// Waits (up to 10 s) until the service was asked to reload `n` times; ends
// the child with 91 if it never is.
void AwaitReloads(const Record& record, int n) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (record.reloads.load() < n) {
    if (absl::Now() > deadline) std::_Exit(91);
    absl::SleepFor(absl::Milliseconds(5));
  }
}

// SIGHUP reloads and the daemon serves on, whether the reload worked or not;
// only the SIGTERM after them stops it (RunAndCheck: exit 0, drained).
TEST(DaemonTest, SighupReloadsAndKeepsServingWhetherTheReloadWorkedOrNot) {
  EXPECT_EXIT(RunAndCheck(
                  [](const Context&, const Record& record) {
                    kill(getpid(), SIGHUP);
                    AwaitReloads(record, 1);
                    kill(getpid(), SIGHUP);
                    AwaitReloads(record, 2);
                    kill(getpid(), SIGTERM);
                  },
                  0),
              ::testing::ExitedWithCode(0),
              "reloaded.*reload failed.*certificate file /x.crt is not PEM.*signal 15: shutting "
              "down");
}

TEST(DaemonTest, AFatalFaultEndsTheDaemonWithExitOne) {
  EXPECT_EXIT(RunAndCheck([](const Context& c) { c.on_fatal(absl::InternalError("accept")); }, 1),
              ::testing::ExitedWithCode(0), "cannot recover");
}

TEST(DaemonTest, AServiceNamesItsOwnExitCodeForItsFault) {
  EXPECT_EXIT(RunAndCheck([](const Context& c) { c.on_fatal(absl::DataLossError("store")); }, 3,
                          /*fault_exit_code=*/3),
              ::testing::ExitedWithCode(0), "");
}

// A fault the service found while draining after a request to stop (the
// server: a corrupt store) keeps its exit code.
TEST(DaemonTest, AFaultFoundWhileStoppingKeepsTheServicesExitCode) {
  EXPECT_EXIT(RunAndCheck([](const Context&) { kill(getpid(), SIGTERM); }, 3,
                          /*fault_exit_code=*/3),
              ::testing::ExitedWithCode(0), "signal 15: shutting down");
}

// The fault signal sent from outside (here: without RaiseFatalFault) is not a
// fault of this daemon; the SIGTERM after it still stops it with 0.
TEST(DaemonTest, TheFaultSignalFromOutsideIsNotAFault) {
  EXPECT_EXIT(RunAndCheck(
                  [](const Context&) {
                    kill(getpid(), kFatalFaultSignal);
                    kill(getpid(), SIGTERM);
                  },
                  0),
              ::testing::ExitedWithCode(0), "");
}

// What start may take for granted: files private, no core, descriptors
// raised, and termination signals blocked, so that its threads inherit the
// mask. 0 when all hold, else the number of the first that does not.
int CheckProcessAtStart(const Context& context) {
  const mode_t mask = ::umask(0077);
  if (mask != 0077) return 11;
  if (prctl(PR_GET_DUMPABLE) != 0) return 12;
  struct rlimit files;
  if (::getrlimit(RLIMIT_NOFILE, &files) != 0) return 13;
  if (files.rlim_cur != files.rlim_max && files.rlim_max != RLIM_INFINITY) return 14;
  const bool finite = files.rlim_cur != RLIM_INFINITY;
  if (finite && context.descriptor_limit != static_cast<long>(files.rlim_cur)) return 15;
  sigset_t blocked;
  pthread_sigmask(SIG_BLOCK, nullptr, &blocked);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, kFatalFaultSignal}) {
    if (!sigismember(&blocked, sig)) return 16;
  }
  return 0;
}

TEST(DaemonTest, StartRunsInAPrivateHardenedProcessWithSignalsBlocked) {
  EXPECT_EXIT(
      {
        int failed = -1;
        const int code = daemon::Run({.program = "cpns-test", .log_level = "info"},
                             [&](const Context& context)
                                 -> absl::StatusOr<std::unique_ptr<Service>> {
                               failed = CheckProcessAtStart(context);
                               return absl::FailedPreconditionError("checked");
                             });
        std::_Exit(failed != 0 ? 10 + failed : code);
      },
      ::testing::ExitedWithCode(1), "cpns-test: FAILED_PRECONDITION: checked");
}

// A start that fails: the ready file must not appear.
[[noreturn]] void RunAFailingStart() {
  const std::string ready = TempDir() + "/ready";
  const int code = daemon::Run(
      {.program = "cpns-test", .log_level = "info", .ready_file = ready},
      [](const Context&) -> absl::StatusOr<std::unique_ptr<Service>> {
        return absl::DataLossError("the store is corrupt");
      });
  std::_Exit(Exists(ready) ? 9 : code);
}

TEST(DaemonTest, AStartThatFailsExitsOneWithTheReasonAndWritesNoReadyFile) {
  EXPECT_EXIT(RunAFailingStart(), ::testing::ExitedWithCode(1),
              "cpns-test: DATA_LOSS: the store is corrupt");
}

TEST(DaemonTest, ABadLogLevelFailsBeforeStart) {
  EXPECT_EXIT(
      {
        bool started = false;
        const int code = daemon::Run({.program = "cpns-test", .log_level = "loud"},
                             [&](const Context&) -> absl::StatusOr<std::unique_ptr<Service>> {
                               started = true;
                               return absl::InternalError("started");
                             });
        std::_Exit(started ? 9 : code);
      },
      ::testing::ExitedWithCode(1), "--log-level 'loud' is not one of");
}

}  // namespace
}  // namespace cpns::daemon
