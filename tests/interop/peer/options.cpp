// Command-line parsing for qfpeer (getopt_long); every error names the option and the value at fault.
#include "options.h"

#include <getopt.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace {

const char USAGE[] =
    "usage: qfpeer --mode acceptor|initiator --port N --sender ID --target ID [options]\n"
    "  --host H              initiator connect host (default 127.0.0.1)\n"
    "  --begin-string S      BeginString (default FIX.4.4)\n"
    "  --dictionary PATH     QuickFIX XML data dictionary (default: none, UseDataDictionary=N)\n"
    "  --transport-dictionary PATH  FIXT.1.1: TransportDataDictionary (FIXT11.xml; needs --app-dictionary)\n"
    "  --app-dictionary PATH FIXT.1.1: AppDataDictionary (e.g. FIX50SP2.xml; needs --transport-dictionary)\n"
    "  --default-appl-ver-id V  FIXT.1.1: DefaultApplVerID (default FIX.5.0SP2)\n"
    "  --store-dir DIR       FileStore directory (default: in-memory store)\n"
    "  --log-dir DIR         FileLog directory (default: no message log)\n"
    "  --heartbeat S         HeartBtInt in seconds (default 30)\n"
    "  --reset-on-logon      ResetOnLogon=Y\n"
    "  --orders N            send N NewOrderSingle after logon\n"
    "  --round-trip          send orders one at a time, waiting for each ExecutionReport\n"
    "  --latency-file PATH   round trip latencies, one per line, in nanoseconds\n"
    "  --md-burst N          send N MarketDataIncrementalRefresh (1-5 entries each)\n"
    "  --skip-seq-at K       skip outgoing MsgSeqNum once when it reaches K (forces a gap)\n"
    "  --skip-count M        numbers skipped at K (default 1)\n"
    "  --work-timeout S      longest wait for the workload's reports (default 120)\n"
    "  --logon-timeout S     initiator: longest wait for logon (default 30)\n"
    "  --stop-grace S        longest wait for a clean stop before exiting anyway (default 10)\n"
    "  --linger              initiator: stay logged on after the workload until SIGTERM\n"
    "  --tls --tls-cert PEM --tls-key PEM [--tls-ca PEM] [--tls-verify-level 0|1|2]\n";

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "qfpeer: %s\n%s", message.c_str(), USAGE);
  std::exit(2);
}

long to_long(const char* option, const char* value, long minimum) {
  try {
    std::size_t used = 0;
    long number = std::stol(value, &used);
    if (used == std::string(value).size() && number >= minimum) return number;
  } catch (const std::exception&) {
  }
  fail(std::string("--") + option + " must be an integer >= " + std::to_string(minimum) + ", got '" + value + "'");
}

double to_seconds(const char* option, const char* value) {
  try {
    std::size_t used = 0;
    double number = std::stod(value, &used);
    if (used == std::string(value).size() && number > 0) return number;
  } catch (const std::exception&) {
  }
  fail(std::string("--") + option + " must be a positive number of seconds, got '" + value + "'");
}

void check_complete(const PeerOptions& o) {
  if (o.mode != "acceptor" && o.mode != "initiator")
    fail("--mode must be 'acceptor' or 'initiator', got '" + o.mode + "'");
  if (o.port <= 0 || o.port > 65535) fail("--port is required (1-65535)");
  if (o.sender.empty()) fail("--sender (SenderCompID) is required");
  if (o.target.empty()) fail("--target (TargetCompID) is required");
  if (o.tls && o.mode == "acceptor" && (o.tls_cert.empty() || o.tls_key.empty()))
    fail("--tls in acceptor mode needs --tls-cert and --tls-key (the server certificate)");
  if (o.tls_cert.empty() != o.tls_key.empty()) fail("--tls-cert and --tls-key go together");
  if (o.tls_verify_level > 0 && o.tls_ca.empty())
    fail("--tls-verify-level " + std::to_string(o.tls_verify_level) + " needs --tls-ca");
  if (o.round_trip && o.orders == 0) fail("--round-trip needs --orders N");
  if (!o.latency_file.empty() && !o.round_trip) fail("--latency-file needs --round-trip");
  if (o.transport_dictionary.empty() != o.app_dictionary.empty())
    fail("--transport-dictionary and --app-dictionary go together");
  const bool fixt = o.begin_string.rfind("FIXT", 0) == 0;
  if (!fixt && !o.transport_dictionary.empty())
    fail("--transport-dictionary/--app-dictionary need --begin-string FIXT.1.1, got '" + o.begin_string + "'");
}

}  // namespace

PeerOptions parse_options(int argc, char** argv) {
  static const option LONG_OPTIONS[] = {
      {"mode", required_argument, nullptr, 'm'},           {"host", required_argument, nullptr, 'h'},
      {"port", required_argument, nullptr, 'p'},           {"sender", required_argument, nullptr, 's'},
      {"target", required_argument, nullptr, 't'},         {"begin-string", required_argument, nullptr, 'b'},
      {"dictionary", required_argument, nullptr, 'd'},     {"store-dir", required_argument, nullptr, 'S'},
      {"log-dir", required_argument, nullptr, 'L'},        {"heartbeat", required_argument, nullptr, 'H'},
      {"reset-on-logon", no_argument, nullptr, 'r'},       {"orders", required_argument, nullptr, 'o'},
      {"round-trip", no_argument, nullptr, 'R'},           {"latency-file", required_argument, nullptr, 'l'},
      {"md-burst", required_argument, nullptr, 'x'},       {"skip-seq-at", required_argument, nullptr, 'k'},
      {"skip-count", required_argument, nullptr, 'K'},     {"work-timeout", required_argument, nullptr, 'w'},
      {"logon-timeout", required_argument, nullptr, 'W'},  {"linger", no_argument, nullptr, 'g'},
      {"stop-grace", required_argument, nullptr, 'G'},
      {"tls", no_argument, nullptr, 'T'},                  {"tls-cert", required_argument, nullptr, 'c'},
      {"tls-key", required_argument, nullptr, 'y'},        {"tls-ca", required_argument, nullptr, 'a'},
      {"tls-verify-level", required_argument, nullptr, 'v'}, {"help", no_argument, nullptr, '?'},
      {"transport-dictionary", required_argument, nullptr, 'X'}, {"app-dictionary", required_argument, nullptr, 'A'},
      {"default-appl-ver-id", required_argument, nullptr, 'V'},
      {nullptr, 0, nullptr, 0}};
  PeerOptions o;
  opterr = 0;  // errors are reported by fail() with the usage text
  int code;
  int index = 0;
  while ((code = getopt_long(argc, argv, "", LONG_OPTIONS, &index)) != -1) {
    const char* name = LONG_OPTIONS[index].name;
    switch (code) {
      case 'm': o.mode = optarg; break;
      case 'h': o.host = optarg; break;
      case 'p': o.port = static_cast<int>(to_long(name, optarg, 1)); break;
      case 's': o.sender = optarg; break;
      case 't': o.target = optarg; break;
      case 'b': o.begin_string = optarg; break;
      case 'd': o.dictionary = optarg; break;
      case 'S': o.store_dir = optarg; break;
      case 'L': o.log_dir = optarg; break;
      case 'H': o.heartbeat_s = static_cast<int>(to_long(name, optarg, 1)); break;
      case 'r': o.reset_on_logon = true; break;
      case 'o': o.orders = to_long(name, optarg, 0); break;
      case 'R': o.round_trip = true; break;
      case 'l': o.latency_file = optarg; break;
      case 'x': o.md_burst = to_long(name, optarg, 0); break;
      case 'k': o.skip_seq_at = to_long(name, optarg, 1); break;
      case 'K': o.skip_count = to_long(name, optarg, 1); break;
      case 'w': o.work_timeout_s = to_seconds(name, optarg); break;
      case 'W': o.logon_timeout_s = to_seconds(name, optarg); break;
      case 'g': o.linger = true; break;
      case 'G': o.stop_grace_s = to_seconds(name, optarg); break;
      case 'T': o.tls = true; break;
      case 'c': o.tls_cert = optarg; break;
      case 'y': o.tls_key = optarg; break;
      case 'a': o.tls_ca = optarg; break;
      case 'v': o.tls_verify_level = static_cast<int>(to_long(name, optarg, 0)); break;
      case 'X': o.transport_dictionary = optarg; break;
      case 'A': o.app_dictionary = optarg; break;
      case 'V': o.default_appl_ver_id = optarg; break;
      default: fail(std::string("unknown or incomplete option '") + argv[optind - 1] + "'");
    }
    index = 0;
  }
  if (optind < argc) fail(std::string("unexpected argument '") + argv[optind] + "'");
  check_complete(o);
  return o;
}
