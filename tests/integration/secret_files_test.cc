// What the programs refuse to trust and what they keep from leaking, with the
// real programs: secret files that are links, another user's or open to
// group or others; core dumps; a certificate that is not its key's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "cpns/assignee/key_file.h"
#include "flow_fixture.h"
#include "support/temp_dir.h"

namespace cpns::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kZeroSeedFile[] =
    "cpns-gateway-first-seed 2\ngw_id gw-A\nseed_epoch 1\ncreated_at 0\nexpires_at 0\n"
    "first_seed 0000000000000000000000000000000000000000000000000000000000000000\n";

class SecretFilesTest : public FlowTest {
 protected:
  // Runs a daemon expected to refuse to start: its exit code and everything
  // it printed. (One that starts is stopped, and fails the test.)
  RunResult RunExpectingRefusal(const std::vector<std::string>& argv) {
    Process p(argv, absl::StrCat(dir_, "/refused-", ++runs_, ".log"));
    std::optional<int> code = p.WaitForExit();
    EXPECT_TRUE(code.has_value()) << argv[0] << " started: " << p.log();
    if (!code.has_value()) p.Terminate();
    return RunResult{code.value_or(0), "", p.log()};
  }
  // `cpns-gw serve` for gw-A with its private key `key`, expected to refuse.
  RunResult ServeGatewayExpectingRefusal(std::vector<std::string> extra = {},
                                         const std::string& key = Pki("gw-gw-A.key")) {
    std::vector<std::string> argv = {
        Program("cpns-gw"), "serve", "--gw-id", "gw-A", "--server", "127.0.0.1:1",
        "--server-ca", Pki("ca.crt"), "--cert", Pki("gw-gw-A.crt"), "--key", key,
        "--state-dir", StateDir("gw-A"), "--pn-listen", "unix:" + dir_ + "/gw-A.sock",
        "--admission", "open"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunExpectingRefusal(argv);
  }
  // A state directory for gw-A holding a seed file with `mode`.
  std::string PlantSeedFile(mode_t mode) {
    const std::string state = StateDir("gw-A");
    EXPECT_EQ(mkdir(state.c_str(), 0700), 0);
    const std::string seed = state + "/first_seed";
    EXPECT_TRUE(WriteFileAtomically(seed, kZeroSeedFile, 0600).ok());
    EXPECT_EQ(chmod(seed.c_str(), mode), 0);
    return seed;
  }

  int runs_ = 0;
};

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST_F(SecretFilesTest, AGatewayRefusesASeedFilePlantedOpenToEveryone) {
  const std::string seed = PlantSeedFile(0666);
  const RunResult r = ServeGatewayExpectingRefusal();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat("gateway state: ", seed,
                                            " is readable by group or others (mode 0666); "
                                            "chmod 600 it")));
}

TEST_F(SecretFilesTest, AGatewayRefusesASeedFileOthersCanReadAndLeavesItAlone) {
  const std::string seed = PlantSeedFile(0644);
  const RunResult r = ServeGatewayExpectingRefusal();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(seed + " is readable by group or others (mode 0644)"));
  EXPECT_EQ(ModeOf(seed), 0644u) << "refused, not quietly loaded";
  EXPECT_EQ(ReadFileOrEmpty(seed), kZeroSeedFile);
}

TEST_F(SecretFilesTest, AGatewayRefusesASymlinkedStateDatabase) {
  const std::string state = StateDir("gw-A");
  ASSERT_EQ(mkdir(state.c_str(), 0700), 0);
  const std::string elsewhere = dir_ + "/elsewhere.db";
  ASSERT_EQ(symlink(elsewhere.c_str(), (state + "/gateway.db").c_str()), 0);
  const RunResult r = ServeGatewayExpectingRefusal();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(state + "/gateway.db is a symbolic link"));
  EXPECT_TRUE(ReadFileOrEmpty(elsewhere).empty()) << "nothing written through the link";
  // The owner's tools refuse it too.
  const RunResult list =
      RunProgram({Program("cpns-gw"), "pair", "list", "--state-dir", state});
  EXPECT_EQ(list.exit_code, 1);
  EXPECT_THAT(list.err, HasSubstr("gateway.db is a symbolic link"));
}

TEST_F(SecretFilesTest, AGatewayRefusesAStateDirectoryOthersCanWrite) {
  const std::string state = StateDir("gw-A");
  ASSERT_EQ(mkdir(state.c_str(), 0700), 0);
  ASSERT_EQ(chmod(state.c_str(), 0777), 0);
  const RunResult r = ServeGatewayExpectingRefusal();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(state + " is writable by group or others (mode 0777)"));
}

TEST_F(SecretFilesTest, AGatewayRefusesASealKeyFileOthersCanRead) {
  const std::string key = dir_ + "/gw.key";
  ASSERT_TRUE(WriteFileAtomically(key, std::string(64, 'a') + "\n", 0644).ok());
  const RunResult r = ServeGatewayExpectingRefusal({"--seal-key-file", key});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("--seal-key-file: " + key + " is readable by group or others"));
}

TEST_F(SecretFilesTest, AuthenticateRefusesAKeyFileOthersCanRead) {
  const std::string key_file = dir_ + "/headset.key";
  const assignee::EUKeyAssignment a{
      GatewayId::Parse("gw-A").value(), 1,
      Assignee{EntityType::kPne, EntityId::Parse("headset").value(),
               UserId::Parse("alice").value()},
      0, SecretBytes(32), SecretBytes(32)};
  ASSERT_TRUE(assignee::SaveAssignment(key_file, a).ok());
  ASSERT_EQ(chmod(key_file.c_str(), 0644), 0);
  const RunResult r = RunProgram({Program("cpns-pne"), "authenticate", "--key-file", key_file,
                                  "--gateway", "unix:" + dir_ + "/none.sock"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(key_file + " is readable by group or others (mode 0644)"));
}

// The names in `dir` that look like core files ("core", "core.PID").
std::vector<std::string> CoreFiles(const std::string& dir) {
  std::vector<std::string> cores;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return cores;
  while (const struct dirent* e = readdir(d)) {
    if (std::string(e->d_name).rfind("core", 0) == 0) cores.push_back(e->d_name);
  }
  closedir(d);
  return cores;
}

// `argv` started by a shell in `dir` after `ulimit -c unlimited`, as an
// operator's shell would; the shell execs it, so the pid is the program's.
std::vector<std::string> InShellAllowingCores(const std::string& dir,
                                              const std::vector<std::string>& argv) {
  std::string command = absl::StrCat("cd '", dir, "' && ulimit -c unlimited && exec");
  for (const std::string& a : argv) absl::StrAppend(&command, " '", a, "'");
  return {"/bin/sh", "-c", command};
}

TEST_F(SecretFilesTest, ACrashingGatewayLeavesNoCoreFileEvenUnderUlimitUnlimited) {
  // Control: a dumpable program crashing the same way leaves a core here;
  // if this machine sends cores elsewhere, there is nothing to look for.
  const std::string control_dir = test::NewTempDir("core_control");
  Process control(InShellAllowingCores(control_dir, {"/bin/sleep", "30"}), dir_ + "/sleep.log");
  const std::string comm = absl::StrCat("/proc/", control.pid(), "/comm");
  // Until the shell has exec'd sleep.
  WaitUntil([&] { return ReadFileOrEmpty(comm) == "sleep\n"; }, absl::Seconds(5),
            absl::Milliseconds(10));
  kill(control.pid(), SIGABRT);
  ASSERT_TRUE(control.WaitForExit().has_value());
  const std::vector<std::string> control_cores = CoreFiles(control_dir);
  for (const std::string& core : control_cores) unlink((control_dir + "/" + core).c_str());
  if (control_cores.empty()) {
    GTEST_SKIP() << "this machine writes no core file into the working directory (core_pattern "
                 << ReadFileOrEmpty("/proc/sys/kernel/core_pattern") << ")";
  }
  Daemon server = StartServer();
  const std::string gw_dir = test::NewTempDir("core_gw");
  const std::string ready = dir_ + "/crash-gw.ready";
  Process gw(InShellAllowingCores(
                 gw_dir, {Program("cpns-gw"), "serve", "--gw-id", "gw-A", "--server",
                          server.address, "--server-ca", Pki("ca.crt"), "--cert",
                          Pki("gw-gw-A.crt"), "--key", Pki("gw-gw-A.key"), "--state-dir",
                          StateDir("gw-A"), "--pn-listen", "unix:" + dir_ + "/gw-A.sock",
                          "--admission", "open", "--ready-file", ready}),
             dir_ + "/crash-gw.log");
  ASSERT_TRUE(WaitForFile(ready)) << gw.log();
  // It holds the 1st seed and has just derived an EUKey.
  ASSERT_EQ(Request("unix:" + dir_ + "/gw-A.sock", "headset", "alice").exit_code, 0);
  kill(gw.pid(), SIGABRT);
  ASSERT_EQ(gw.WaitForExit(), std::optional<int>(-1)) << "killed by the signal";
  EXPECT_THAT(CoreFiles(gw_dir), ::testing::IsEmpty());
}

TEST_F(SecretFilesTest, TheDaemonsLeaveNoCoreFile) {
  Daemon server = StartServer();
  Daemon gw = StartGateway("gw-A", server.address);
  for (const Daemon* d : {&server, &gw}) {
    const std::string proc = absl::StrCat("/proc/", d->process->pid());
    std::string limits = ReadFileOrEmpty(proc + "/limits");
    EXPECT_THAT(limits, ::testing::ContainsRegex("Max core file size +0 +0 ")) << limits;
    // Not dumpable: the kernel gives the /proc files of the process to root.
    // (Seen only when the test runs as another user; process_test checks the
    // flag itself.)
    if (geteuid() != 0) {
      struct stat st;
      ASSERT_EQ(stat((proc + "/environ").c_str(), &st), 0);
      EXPECT_EQ(st.st_uid, 0u);
    }
  }
}

TEST_F(SecretFilesTest, ACertificateThatIsNotItsKeysIsNamedBeforeAnyConnection) {
  const RunResult pne = Request("tls:127.0.0.1:1", "headset-42", "alice",
                                {"--gateway-ca", Pki("ca.crt"), "--cert",
                                 Pki("device-headset-42.crt"), "--key", Pki("device-watch-7.key")});
  EXPECT_EQ(pne.exit_code, 1);
  EXPECT_THAT(pne.err, HasSubstr(absl::StrCat("certificate ", Pki("device-headset-42.crt"),
                                              " and private key ", Pki("device-watch-7.key"),
                                              " do not match")));
  EXPECT_THAT(pne.err, Not(HasSubstr("empty address list")));

  const RunResult gw = ServeGatewayExpectingRefusal({}, Pki("gw-gw-B.key"));
  EXPECT_EQ(gw.exit_code, 1);
  EXPECT_THAT(gw.err, HasSubstr(" and private key " + Pki("gw-gw-B.key") + " do not match"));

  const RunResult server = RunExpectingRefusal(
      {Program("cpns-server"), "serve", "--listen", "127.0.0.1:0", "--db", db_, "--cert",
       Pki("server.crt"), "--key", Pki("gw-gw-A.key"), "--client-ca", Pki("ca.crt")});
  EXPECT_EQ(server.exit_code, 1);
  EXPECT_THAT(server.err, HasSubstr("certificate " + Pki("server.crt") + " and private key " +
                                    Pki("gw-gw-A.key") + " do not match"));

  const RunResult no_ca = Request("tls:127.0.0.1:1", "headset-42", "alice",
                                  {"--gateway-ca", Pki("device-headset-42.key")});
  EXPECT_EQ(no_ca.exit_code, 1);
  EXPECT_THAT(no_ca.err, HasSubstr(Pki("device-headset-42.key") + " holds no PEM certificate"));
}

}  // namespace
}  // namespace cpns::test
