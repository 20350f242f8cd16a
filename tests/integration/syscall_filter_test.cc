// What both daemons do, from start through a key request to the drain after
// SIGTERM, stays within their unit's sandbox (packaging/systemd), which
// cannot be started here (systemd is not PID 1): every system call is allowed
// by SystemCallFilter= as this machine's `systemd-analyze syscall-filter`
// expands its groups (another would fail with EPERM), every socket is of a
// family RestrictAddressFamilies= allows, and no mapping is made writable and
// executable, or executable after the fact (MemoryDenyWriteExecute=). Every
// thread is traced (strace -f), from the dynamic loader on, so gRPC's,
// OpenSSL's and SQLite's calls count too.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <algorithm>
#include <map>
#include <optional>
#include <set>
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

// The values of `key`= in the unit, in order.
std::vector<std::string> Directives(const std::string& unit, absl::string_view key) {
  std::ifstream in(absl::StrCat(CPNS_SOURCE_DIR, "/packaging/systemd/", unit));
  EXPECT_TRUE(in.good()) << unit;
  std::vector<std::string> values;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view value = line;
    if (absl::ConsumePrefix(&value, key) && absl::ConsumePrefix(&value, "=")) {
      values.emplace_back(value);
    }
  }
  return values;
}

// What the unit's SystemCallFilter= lines allow: the allowed items, less the
// denied ones ("~...").
std::set<std::string> UnitAllows(const std::string& unit) {
  const Groups groups = FilterGroups();
  std::set<std::string> allowed, denied;
  for (absl::string_view value : Directives(unit, "SystemCallFilter")) {
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

// What an `strace -f` log shows a process did.
struct Trace {
  std::set<std::string> calls;     // every system call made
  std::set<std::string> families;  // of every socket() (AF_INET, ...)
  std::vector<std::string> wx;     // calls making memory writable and executable
};

Trace ReadTrace(const std::string& log) {
  Trace t;
  for (absl::string_view line : absl::StrSplit(ReadFileOrEmpty(log), '\n')) {
    // "PID name(args) = r", "PID <... name resumed>..."; not signals or exits.
    absl::string_view rest = line.substr(std::min(line.find(' '), line.size()));
    rest = absl::StripLeadingAsciiWhitespace(rest);
    absl::ConsumePrefix(&rest, "<... ");
    const size_t end = rest.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_");
    if (end == 0 || end == absl::string_view::npos) continue;
    const std::string name(rest.substr(0, end));
    t.calls.insert(name);
    if (name == "socket" && absl::ConsumePrefix(&rest, "socket(")) {
      t.families.insert(std::string(rest.substr(0, rest.find_first_of(",)"))));
    }
    const bool exec = absl::StrContains(rest, "PROT_EXEC");
    if ((name == "mmap" && exec && absl::StrContains(rest, "PROT_WRITE")) ||
        (absl::EndsWith(name, "mprotect") && exec)) {
      t.wx.emplace_back(line);
    }
  }
  return t;
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

// LeakSanitizer stops the world with ptrace at exit, which fails under
// strace and turns a clean exit into an error: a traced daemon of a
// sanitizer build runs without it (no effect in other builds).
void NoLeakCheckUnderTrace() {
  const char* asan = ::getenv("ASAN_OPTIONS");
  const std::string options = absl::StrCat(asan == nullptr ? "" : asan, ":detect_leaks=0");
  ::setenv("ASAN_OPTIONS", options.c_str(), 1);
}

class SyscallFilterTest : public FlowTest {};

TEST_F(SyscallFilterTest, BothDaemonsStayWithinTheirUnitsSandbox) {
  const std::string server_trace = dir_ + "/server.strace";
  const std::string gw_trace = dir_ + "/gw.strace";
  NoLeakCheckUnderTrace();
  launcher_ = {"/usr/bin/strace", "-f", "-qq", "-s", "16", "-o", server_trace, "--"};
  Daemon server = StartServer({"--metrics-listen", "127.0.0.1:0"});
  launcher_ = {"/usr/bin/strace", "-f", "-qq", "-s", "16", "-o", gw_trace, "--"};
  Daemon gateway = StartGateway("gw-A", server.address, "", {"--metrics-listen", "127.0.0.1:0"});
  launcher_.clear();
  const RunResult r = Request(gateway.address, "headset-42", "alice");
  EXPECT_EQ(r.exit_code, 0) << r.err << gateway.process->log();
  EXPECT_EQ(StopTraced(*gateway.process), 0) << gateway.process->log();
  EXPECT_EQ(StopTraced(*server.process), 0) << server.process->log();

  for (const auto& [unit, log] : {std::pair{"cpns-server.service", server_trace},
                                  std::pair{"cpns-gw.service", gw_trace}}) {
    const Trace trace = ReadTrace(log);
    EXPECT_GT(trace.calls.size(), 20u) << "nothing traced in " << log;
    const std::set<std::string> allowed = UnitAllows(unit);
    std::vector<std::string> refused;
    for (const std::string& call : trace.calls) {
      if (allowed.count(call) == 0) refused.push_back(call);
    }
    EXPECT_TRUE(refused.empty()) << unit << " would refuse: " << absl::StrJoin(refused, " ");
    const std::vector<std::string> families = Directives(unit, "RestrictAddressFamilies");
    ASSERT_EQ(families.size(), 1u) << unit;
    const std::set<std::string> allowed_families = absl::StrSplit(families[0], ' ');
    EXPECT_TRUE(trace.families.count("AF_INET") + trace.families.count("AF_INET6") > 0)
        << "no TCP socket traced: " << absl::StrJoin(trace.families, " ");
    for (const std::string& family : trace.families) {
      EXPECT_EQ(allowed_families.count(family), 1u) << unit << " would refuse a socket of " << family;
    }
    EXPECT_TRUE(trace.wx.empty()) << unit << " (MemoryDenyWriteExecute=) would refuse:\n"
                                  << absl::StrJoin(trace.wx, "\n");
  }
}

}  // namespace
}  // namespace cpns::test
