// The system calls both daemons make, from start through a key request to the
// drain after SIGTERM, are all allowed by their unit's SystemCallFilter=
// (packaging/systemd), as this machine's `systemd-analyze syscall-filter`
// expands its groups: a call outside it would fail with EPERM under systemd
// (SystemCallErrorNumber=), which cannot be run here (it is not PID 1).
// Every thread is traced (strace -f), so gRPC's and SQLite's calls count too.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "flow_fixture.h"

namespace cpns::test {
namespace {

using Groups = std::map<std::string, std::vector<std::string>>;

// "@name" and its members ("@other" or a call), from systemd-analyze.
Groups FilterGroups() {
  const RunResult r = RunProgram({"/usr/bin/systemd-analyze", "syscall-filter", "--no-pager"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  Groups groups;
  std::string current;
  for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
    const absl::string_view item = absl::StripAsciiWhitespace(line);
    if (item.empty() || item[0] == '#') continue;
    if (line[0] == '@') {
      current = std::string(item.substr(0, item.find(' ')));
      groups[current];
    } else if (!current.empty()) {
      groups[current].push_back(std::string(item));
    }
  }
  return groups;
}

void Expand(const Groups& groups, const std::string& name, std::set<std::string>& into) {
  if (name[0] != '@') {
    into.insert(name);
    return;
  }
  auto it = groups.find(name);
  ASSERT_NE(it, groups.end()) << "systemd-analyze knows no group " << name;
  for (const std::string& member : it->second) Expand(groups, member, into);
}

// What the unit's SystemCallFilter= lines allow: the allowed items, less the
// denied ones ("~...").
std::set<std::string> UnitAllows(const std::string& unit) {
  const Groups groups = FilterGroups();
  std::ifstream in(absl::StrCat(CPNS_SOURCE_DIR, "/packaging/systemd/", unit));
  EXPECT_TRUE(in.good()) << unit;
  std::set<std::string> allowed, denied;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view value = line;
    if (!absl::ConsumePrefix(&value, "SystemCallFilter=")) continue;
    const bool deny = absl::ConsumePrefix(&value, "~");
    for (absl::string_view item : absl::StrSplit(value, ' ', absl::SkipEmpty())) {
      Expand(groups, std::string(item), deny ? denied : allowed);
    }
  }
  EXPECT_FALSE(allowed.empty()) << unit << " has no SystemCallFilter=";
  for (const std::string& call : denied) allowed.erase(call);
  // SQLite gives a journal it creates the database file's owner, but only
  // when it runs as root (robustFchown); the units run as their own user.
  if (::geteuid() == 0) allowed.insert("fchown");
  return allowed;
}

// The calls in an `strace -c` summary.
std::set<std::string> TracedCalls(const std::string& summary_file) {
  std::set<std::string> calls;
  for (absl::string_view line : absl::StrSplit(ReadFileOrEmpty(summary_file), '\n')) {
    std::vector<absl::string_view> cols = absl::StrSplit(line, ' ', absl::SkipEmpty());
    double percent = 0;
    if (cols.size() < 5 || !absl::SimpleAtod(cols[0], &percent) || cols.back() == "total") {
      continue;
    }
    calls.insert(std::string(cols.back()));
  }
  return calls;
}

// SIGTERM to the daemon traced by `strace` (its one child), then waits for
// strace, which exits as the daemon did.
std::optional<int> StopTraced(Process& strace) {
  const std::string children =
      ReadFileOrEmpty(absl::StrCat("/proc/", strace.pid(), "/task/", strace.pid(), "/children"));
  int daemon = 0;
  EXPECT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(children), &daemon)) << children;
  if (daemon > 0) ::kill(daemon, SIGTERM);
  return strace.WaitForExit();
}

class SyscallFilterTest : public FlowTest {};

TEST_F(SyscallFilterTest, BothDaemonsCallOnlyWhatTheirUnitsAllow) {
  const std::string server_trace = dir_ + "/server.strace";
  const std::string gw_trace = dir_ + "/gw.strace";
  launcher_ = {"/usr/bin/strace", "-f", "-qq", "-c", "-o", server_trace, "--"};
  Daemon server = StartServer({"--metrics-listen", "127.0.0.1:0"});
  launcher_ = {"/usr/bin/strace", "-f", "-qq", "-c", "-o", gw_trace, "--"};
  Daemon gateway = StartGateway("gw-A", server.address, "", {"--metrics-listen", "127.0.0.1:0"});
  launcher_.clear();
  const RunResult r = Request(gateway.address, "headset-42", "alice");
  EXPECT_EQ(r.exit_code, 0) << r.err << gateway.process->log();
  EXPECT_EQ(StopTraced(*gateway.process), 0) << gateway.process->log();
  EXPECT_EQ(StopTraced(*server.process), 0) << server.process->log();

  for (const auto& [unit, trace] : {std::pair{"cpns-server.service", server_trace},
                                    std::pair{"cpns-gw.service", gw_trace}}) {
    const std::set<std::string> allowed = UnitAllows(unit);
    const std::set<std::string> called = TracedCalls(trace);
    EXPECT_GT(called.size(), 20u) << "no strace summary in " << trace;
    std::vector<std::string> refused;
    for (const std::string& call : called) {
      if (allowed.count(call) == 0) refused.push_back(call);
    }
    EXPECT_TRUE(refused.empty()) << unit << " would refuse: " << absl::StrJoin(refused, " ");
  }
}

}  // namespace
}  // namespace cpns::test
