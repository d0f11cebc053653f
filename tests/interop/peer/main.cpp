// qfpeer: a small QuickFIX C++ 1.15 counterparty (acceptor or initiator, FIX 4.4) for pyfixmsg-plus interop tests
// and QuickFIX<->QuickFIX speed comparisons. Events and the exit summary are "QFPEER {json}" lines on stdout.
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/SSLSocketAcceptor.h>
#include <quickfix/SSLSocketInitiator.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketAcceptor.h>
#include <quickfix/SocketInitiator.h>
#include <quickfix/fix44/MarketDataIncrementalRefresh.h>
#include <quickfix/fix44/NewOrderSingle.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <csignal>
#include <fstream>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "memory_store.h"
#include "options.h"
#include "peer_app.h"

namespace {

volatile std::sig_atomic_t g_stop_requested = 0;

void request_stop(int) { g_stop_requested = 1; }

void install_signal_handlers() {
  struct sigaction action = {};
  action.sa_handler = request_stop;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a peer that hangs up must not kill us mid-write
}

void pause_briefly() { std::this_thread::sleep_for(std::chrono::milliseconds(5)); }

// QuickFIX settings for the one session this peer runs, with QuickFIX's own key names.
FIX::SessionSettings make_settings(const PeerOptions& o) {
  FIX::Dictionary defaults;
  defaults.setString("ConnectionType", o.mode);
  defaults.setString("StartTime", "00:00:00");  // StartTime == EndTime: a session that never ends
  defaults.setString("EndTime", "00:00:00");
  defaults.setString("HeartBtInt", std::to_string(o.heartbeat_s));
  defaults.setString("SocketNodelay", "Y");
  defaults.setString("ReconnectInterval", "1");
  defaults.setString("ResetOnLogon", o.reset_on_logon ? "Y" : "N");
  defaults.setString("TimestampPrecision", "6");
  const bool fixt = o.begin_string.rfind("FIXT", 0) == 0;
  if (fixt) {
    // FIXT.1.1: the Logon carries DefaultApplVerID (1137); admin messages are checked with the transport
    // dictionary, application messages with the dictionary of their ApplVerID (1128), else of the default.
    defaults.setString("DefaultApplVerID", o.default_appl_ver_id);
    if (!o.transport_dictionary.empty()) {
      defaults.setString("TransportDataDictionary", o.transport_dictionary);
      defaults.setString("AppDataDictionary", o.app_dictionary);
    }
  }
  if (fixt && !o.transport_dictionary.empty()) {
    defaults.setString("UseDataDictionary", "Y");
    defaults.setString("AllowUnknownMsgFields", "Y");
    defaults.setString("ValidateUserDefinedFields", "N");
  } else if (fixt || o.dictionary.empty()) {
    defaults.setString("UseDataDictionary", "N");
  } else {
    defaults.setString("UseDataDictionary", "Y");
    defaults.setString("DataDictionary", o.dictionary);
    // Check what the dictionary declares, and let other standard and user-defined tags through (a small
    // dictionary such as FIX44-peer.xml must not make the peer reject a counterparty's optional fields).
    defaults.setString("AllowUnknownMsgFields", "Y");
    defaults.setString("ValidateUserDefinedFields", "N");
  }
  if (!o.store_dir.empty()) defaults.setString("FileStorePath", o.store_dir);
  if (!o.log_dir.empty()) defaults.setString("FileLogPath", o.log_dir);
  if (o.mode == "acceptor") {
    defaults.setString("SocketAcceptPort", std::to_string(o.port));
  } else {
    defaults.setString("SocketConnectHost", o.host);
    defaults.setString("SocketConnectPort", std::to_string(o.port));
  }
  if (o.tls) {
    const bool server = o.mode == "acceptor";
    if (!o.tls_cert.empty()) {
      defaults.setString(server ? "ServerCertificateFile" : "ClientCertificateFile", o.tls_cert);
      defaults.setString(server ? "ServerCertificateKeyFile" : "ClientCertificateKeyFile", o.tls_key);
    }
    if (!o.tls_ca.empty()) defaults.setString("CertificationAuthoritiesFile", o.tls_ca);
    defaults.setString("CertificateVerifyLevel", std::to_string(o.tls_verify_level));
    defaults.setString("SSLProtocol", "-all +TLSv1.2 +TLSv1.3");
  }
  FIX::SessionSettings settings;
  settings.set(defaults);
  settings.set(FIX::SessionID(o.begin_string, o.sender, o.target), FIX::Dictionary());
  return settings;
}

// The acceptor or initiator for the options: plain TCP or TLS; a FileStore or memory store; a FileLog or none.
class Engine {
 public:
  Engine(const PeerOptions& o, PeerApplication& app) : settings_(make_settings(o)) {
    if (o.store_dir.empty()) {
      store_.reset(new SkipTolerantMemoryStoreFactory());
    } else {
      store_.reset(new FIX::FileStoreFactory(settings_));
    }
    if (!o.log_dir.empty()) log_.reset(new FIX::FileLogFactory(settings_));
    FIX::MessageStoreFactory& store = *store_;
    if (o.mode == "acceptor") {
      acceptor_.reset(o.tls ? make<FIX::SSLSocketAcceptor, FIX::Acceptor>(app, store)
                            : make<FIX::SocketAcceptor, FIX::Acceptor>(app, store));
    } else {
      initiator_.reset(o.tls ? make<FIX::SSLSocketInitiator, FIX::Initiator>(app, store)
                             : make<FIX::SocketInitiator, FIX::Initiator>(app, store));
    }
  }
  // For the acceptor, start() returns once the port is bound (QuickFIX binds in its initialize step).
  void start() { acceptor_ ? acceptor_->start() : initiator_->start(); }
  // Sends Logout (5) and waits for the answer (QuickFIX's LogoutTimeout) before closing the socket.
  // QuickFIX's own stop() checks for the logout only once a second: logging out first and polling every few
  // milliseconds ends a peer that was answered at once in milliseconds instead of a second or more.
  void stop() {
    const std::set<FIX::SessionID> ids = acceptor_ ? acceptor_->getSessions() : initiator_->getSessions();
    for (const FIX::SessionID& id : ids) {
      if (FIX::Session* session = FIX::Session::lookupSession(id)) session->logout();
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kLogoutWaitS);
    while (any_logged_on(ids) && std::chrono::steady_clock::now() < deadline) pause_briefly();
    acceptor_ ? acceptor_->stop() : initiator_->stop();
  }

 private:
  template <class Concrete, class Base>
  Base* make(PeerApplication& app, FIX::MessageStoreFactory& store) {
    if (log_) return new Concrete(app, store, settings_, *log_);
    return new Concrete(app, store, settings_);
  }

  // as long as QuickFIX's stop() waits for logged-on sessions
  static constexpr int kLogoutWaitS = 10;

  static bool any_logged_on(const std::set<FIX::SessionID>& ids) {
    for (const FIX::SessionID& id : ids) {
      FIX::Session* session = FIX::Session::lookupSession(id);
      if (session != nullptr && session->isLoggedOn()) return true;
    }
    return false;
  }

  FIX::SessionSettings settings_;
  std::unique_ptr<FIX::MessageStoreFactory> store_;
  std::unique_ptr<FIX::LogFactory> log_;
  std::unique_ptr<FIX::Acceptor> acceptor_;
  std::unique_ptr<FIX::Initiator> initiator_;
};

// Waits until logged on; false when stopped or (timeout_s > 0) out of time.
bool wait_for_logon(const PeerApplication& app, double timeout_s) {
  const int64_t deadline = now_ns() + static_cast<int64_t>(timeout_s * 1e9);
  while (!app.logged_on) {
    if (g_stop_requested || (timeout_s > 0 && now_ns() > deadline)) return false;
    pause_briefly();
  }
  return true;
}

// Waits until `expected` ExecutionReports have arrived; false when stopped or out of time.
bool wait_for_reports(const PeerApplication& app, long expected, double timeout_s) {
  const int64_t deadline = now_ns() + static_cast<int64_t>(timeout_s * 1e9);
  while (app.counters.reports_received < expected) {
    if (g_stop_requested || now_ns() > deadline) return false;
    pause_briefly();
  }
  return true;
}

FIX44::NewOrderSingle make_order(long index) {
  FIX44::NewOrderSingle order(FIX::ClOrdID("C" + std::to_string(index)),
                              FIX::Side(index % 2 ? FIX::Side_SELL : FIX::Side_BUY), FIX::TransactTime(),
                              FIX::OrdType(FIX::OrdType_LIMIT));
  order.set(FIX::Symbol("EUR/USD"));
  order.set(FIX::OrderQty(100 + index % 900));
  order.set(FIX::Price(1.1 + (index % 100) / 10000.0));
  order.set(FIX::TimeInForce(FIX::TimeInForce_DAY));
  return order;
}

// MarketDataIncrementalRefresh (X) number `index` carries index % 5 + 1 NoMDEntries (268) entries.
FIX44::MarketDataIncrementalRefresh make_refresh(long index) {
  FIX44::MarketDataIncrementalRefresh refresh;
  const int entries = static_cast<int>(index % 5) + 1;
  for (int i = 0; i < entries; ++i) {
    FIX44::MarketDataIncrementalRefresh::NoMDEntries entry;
    entry.set(FIX::MDUpdateAction(FIX::MDUpdateAction_NEW));
    entry.set(FIX::MDEntryType(i % 2 ? FIX::MDEntryType_OFFER : FIX::MDEntryType_BID));
    entry.set(FIX::MDEntryID(std::to_string(index) + "-" + std::to_string(i)));
    entry.set(FIX::Symbol("EUR/USD"));
    entry.set(FIX::MDEntryPx(1.1 + i / 10000.0));
    entry.set(FIX::MDEntrySize(1000000 + i));
    refresh.addGroup(entry);
  }
  return refresh;
}

bool send_orders_as_fast_as_possible(PeerApplication& app, const PeerOptions& o) {
  for (long i = 1; i <= o.orders && !g_stop_requested; ++i) {
    FIX44::NewOrderSingle order = make_order(i);
    if (app.send(order)) ++app.counters.orders_sent;
  }
  return wait_for_reports(app, o.orders, o.work_timeout_s);
}

// Round trip: each order waits for its ExecutionReport; latency = report arrival - just before the send, in ns.
bool send_orders_one_at_a_time(PeerApplication& app, const PeerOptions& o, std::vector<int64_t>& latencies_ns) {
  latencies_ns.reserve(static_cast<std::size_t>(o.orders));
  for (long i = 1; i <= o.orders; ++i) {
    FIX44::NewOrderSingle order = make_order(i);
    const int64_t sent_ns = now_ns();
    if (!app.send(order)) return false;
    ++app.counters.orders_sent;
    // Spin (yielding the core) rather than sleep: a sleep's wake-up would dominate a loopback round trip.
    const int64_t deadline = sent_ns + static_cast<int64_t>(o.work_timeout_s * 1e9);
    while (app.counters.reports_received < i) {
      if (g_stop_requested || now_ns() > deadline) return false;
      std::this_thread::yield();
    }
    latencies_ns.push_back(app.last_report_ns - sent_ns);
  }
  return true;
}

bool send_market_data_burst(PeerApplication& app, const PeerOptions& o) {
  for (long i = 1; i <= o.md_burst && !g_stop_requested; ++i) {
    FIX44::MarketDataIncrementalRefresh refresh = make_refresh(i);
    if (app.send(refresh)) ++app.counters.md_sent;
  }
  return app.counters.md_sent == o.md_burst;
}

void write_latencies(const std::string& path, const std::vector<int64_t>& latencies_ns) {
  std::ofstream out(path);
  for (int64_t latency : latencies_ns) out << latency << '\n';
}

std::string latency_json(std::vector<int64_t> latencies_ns) {
  if (latencies_ns.empty()) return "";
  std::sort(latencies_ns.begin(), latencies_ns.end());
  auto at = [&](double q) { return latencies_ns[static_cast<std::size_t>(q * (latencies_ns.size() - 1))]; };
  return ",\"latency_ns\":{\"count\":" + std::to_string(latencies_ns.size()) + ",\"p50\":" + std::to_string(at(0.5)) +
         ",\"p99\":" + std::to_string(at(0.99)) + ",\"p999\":" + std::to_string(at(0.999)) +
         ",\"max\":" + std::to_string(latencies_ns.back()) + "}";
}

// messages_per_s counts application messages both ways between the first and the last one.
std::string summary_json(const PeerOptions& o, PeerApplication& app, bool work_complete,
                         const std::vector<int64_t>& latencies_ns) {
  const Counters& c = app.counters;
  const double elapsed_s = (c.last_app_ns - c.first_app_ns) / 1e9;
  const long app_messages = c.app_sent() + c.app_received();
  const double rate = elapsed_s > 0 ? app_messages / elapsed_s : 0.0;
  std::string json = "{\"event\":\"summary\",\"mode\":" + json_string(o.mode);
  json += ",\"app_sent\":" + std::to_string(c.app_sent()) + ",\"app_received\":" + std::to_string(c.app_received());
  json += ",\"orders_sent\":" + std::to_string(c.orders_sent) + ",\"reports_received\":" +
          std::to_string(c.reports_received) + ",\"orders_received\":" + std::to_string(c.orders_received) +
          ",\"reports_sent\":" + std::to_string(c.reports_sent) + ",\"md_sent\":" + std::to_string(c.md_sent) +
          ",\"md_received\":" + std::to_string(c.md_received) + ",\"md_entries_received\":" +
          std::to_string(c.md_entries_received);
  json += ",\"admin_sent\":" + app.admin_counts_json(true) + ",\"admin_received\":" + app.admin_counts_json(false);
  json += ",\"elapsed_s\":" + std::to_string(elapsed_s) + ",\"messages_per_s\":" + std::to_string(rate);
  json += std::string(",\"work_complete\":") + (work_complete ? "true" : "false");
  if (FIX::Session* session = FIX::Session::lookupSession(app.session_id())) {
    json += ",\"next_sender_seq\":" + std::to_string(session->getExpectedSenderNum()) +
            ",\"next_target_seq\":" + std::to_string(session->getExpectedTargetNum());
  }
  return json + latency_json(latencies_ns) + "}";
}

bool has_workload(const PeerOptions& o) { return o.orders > 0 || o.md_burst > 0; }

bool run_workload(PeerApplication& app, const PeerOptions& o, std::vector<int64_t>& latencies_ns) {
  bool complete = true;
  if (o.orders > 0) {
    complete = o.round_trip ? send_orders_one_at_a_time(app, o, latencies_ns) : send_orders_as_fast_as_possible(app, o);
    if (!o.latency_file.empty()) write_latencies(o.latency_file, latencies_ns);
  }
  if (o.md_burst > 0) complete = send_market_data_burst(app, o) && complete;
  emit_event(std::string("{\"event\":\"work_done\",\"complete\":") + (complete ? "true" : "false") + "}");
  return complete;
}

// QuickFIX 1.15's SSLSocketInitiator retries a failed TLS handshake in a busy loop that holds the initiator's
// mutex, so Initiator::stop() never returns. Past --stop-grace seconds the peer reports and exits (code 4).
void exit_if_stop_hangs(const PeerOptions& o, PeerApplication& app, const std::vector<int64_t>& latencies_ns) {
  std::thread([&o, &app, &latencies_ns] {
    std::this_thread::sleep_for(std::chrono::duration<double>(o.stop_grace_s));
    emit_event("{\"event\":\"error\",\"reason\":\"QuickFIX stop() hung; exiting without it\"}");
    emit_event(summary_json(o, app, false, latencies_ns));
    std::_Exit(4);
  }).detach();
}

void wait_for_stop_signal() {
  while (!g_stop_requested) pause_briefly();
}

int run(const PeerOptions& o) {
  PeerApplication app(o);
  Engine engine(o, app);
  engine.start();
  emit_event("{\"event\":\"started\",\"mode\":" + json_string(o.mode) + ",\"port\":" + std::to_string(o.port) +
             ",\"tls\":" + (o.tls ? "true" : "false") + "}");
  bool complete = true;
  std::vector<int64_t> latencies_ns;
  const bool initiator = o.mode == "initiator";
  if (initiator || has_workload(o)) {
    if (!wait_for_logon(app, initiator ? o.logon_timeout_s : 0)) {
      complete = g_stop_requested != 0;
      if (!complete) emit_event("{\"event\":\"error\",\"reason\":\"no logon within --logon-timeout\"}");
    } else if (has_workload(o)) {
      complete = run_workload(app, o, latencies_ns);
    }
  }
  // An initiator with a workload logs out when done; anything else keeps the session until SIGTERM or SIGINT.
  if (!initiator || o.linger || !has_workload(o)) wait_for_stop_signal();
  exit_if_stop_hangs(o, app, latencies_ns);
  engine.stop();
  emit_event(summary_json(o, app, complete, latencies_ns));
  return complete ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
  const PeerOptions options = parse_options(argc, argv);
  install_signal_handlers();
  try {
    return run(options);
  } catch (const std::exception& error) {
    emit_event("{\"event\":\"error\",\"reason\":" + json_string(error.what()) + "}");
    std::fprintf(stderr, "qfpeer: %s\n", error.what());
    return 1;
  }
}
