// qfpeer's Application: fills every NewOrderSingle, counts market data, reports session events as JSON lines.
#include "peer_app.h"

#include <quickfix/Session.h>
#include <quickfix/fix44/ExecutionReport.h>

#include <chrono>
#include <cstdio>
#include <sstream>

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void emit_event(const std::string& json_object) {
  static std::mutex stdout_mutex;  // QuickFIX calls back from its socket thread while main() reports too
  std::lock_guard<std::mutex> lock(stdout_mutex);
  std::fprintf(stdout, "QFPEER %s\n", json_object.c_str());
  std::fflush(stdout);
}

std::string json_string(const std::string& text) {
  std::ostringstream out;
  out << '"';
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out << '\\' << c;
    } else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out << escaped;
    } else {
      out << c;
    }
  }
  out << '"';
  return out.str();
}

void Counters::mark_app_traffic() {
  int64_t now = now_ns();
  int64_t unset = 0;
  first_app_ns.compare_exchange_strong(unset, now);
  last_app_ns = now;
}

namespace {

std::string msg_type_of(const FIX::Message& message) {
  FIX::MsgType type;
  message.getHeader().getField(type);
  return type.getValue();
}

std::string seq_numbers_json(const FIX::SessionID& id) {
  FIX::Session* session = FIX::Session::lookupSession(id);
  if (session == nullptr) return "";
  return ",\"next_sender_seq\":" + std::to_string(session->getExpectedSenderNum()) +
         ",\"next_target_seq\":" + std::to_string(session->getExpectedTargetNum());
}

}  // namespace

FIX::SessionID PeerApplication::session_id() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return session_;
}

void PeerApplication::onCreate(const FIX::SessionID& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  session_ = id;
}

void PeerApplication::onLogon(const FIX::SessionID& id) {
  logged_on = true;
  emit_event("{\"event\":\"logon\",\"session\":" + json_string(id.toString()) + seq_numbers_json(id) + "}");
}

void PeerApplication::onLogout(const FIX::SessionID& id) {
  // QuickFIX calls onLogout on every disconnect, also one that never reached logon: report only real logouts.
  if (!logged_on.exchange(false)) return;
  emit_event("{\"event\":\"logout\",\"session\":" + json_string(id.toString()) + seq_numbers_json(id) + "}");
}

void PeerApplication::count_admin(const FIX::Message& message, bool sent) {
  std::string type = msg_type_of(message);
  std::lock_guard<std::mutex> lock(mutex_);
  ++(sent ? admin_sent_ : admin_received_)[type];
}

std::string PeerApplication::admin_counts_json(bool sent) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string json = "{";
  for (const auto& entry : sent ? admin_sent_ : admin_received_) {
    if (json.size() > 1) json += ",";
    json += json_string(entry.first) + ":" + std::to_string(entry.second);
  }
  return json + "}";
}

void PeerApplication::toAdmin(FIX::Message& message, const FIX::SessionID&) { count_admin(message, true); }

void PeerApplication::fromAdmin(const FIX::Message& message, const FIX::SessionID&) throw(
    FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) {
  count_admin(message, false);
}

void PeerApplication::fromApp(const FIX::Message& message, const FIX::SessionID&) throw(
    FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::UnsupportedMessageType) {
  counters.mark_app_traffic();
  std::string type = msg_type_of(message);
  if (type == "D") {
    answer_order(message);
  } else if (type == "8") {
    last_report_ns = now_ns();  // before the count: the round-trip waiter reads it once the count moves
    ++counters.reports_received;
  } else if (type == "X") {
    count_market_data(message);
  } else {
    ++counters.other_app_received;
  }
}

// NewOrderSingle (D) -> ExecutionReport (8) with ExecType (150) = F (trade) and OrdStatus (39) = 2 (filled):
// the whole OrderQty (38) fills at Price (44), or at 0 for an order without a price (market order).
// A missing ClOrdID, Side, Symbol or OrderQty throws FieldNotFound, which QuickFIX answers with a Reject (3).
void PeerApplication::answer_order(const FIX::Message& order) {
  ++counters.orders_received;
  const std::string quantity = order.getField(FIX::FIELD::OrderQty);
  const std::string price = order.isSetField(FIX::FIELD::Price) ? order.getField(FIX::FIELD::Price) : "0";
  const long exec_id = ++next_exec_id_;
  FIX44::ExecutionReport report;
  report.set(FIX::OrderID("O" + std::to_string(exec_id)));
  report.set(FIX::ExecID("E" + std::to_string(exec_id)));
  report.set(FIX::ExecType(FIX::ExecType_TRADE));
  report.set(FIX::OrdStatus(FIX::OrdStatus_FILLED));
  report.setField(FIX::FIELD::ClOrdID, order.getField(FIX::FIELD::ClOrdID));
  report.setField(FIX::FIELD::Symbol, order.getField(FIX::FIELD::Symbol));
  report.setField(FIX::FIELD::Side, order.getField(FIX::FIELD::Side));
  report.setField(FIX::FIELD::OrderQty, quantity);
  report.setField(FIX::FIELD::LastQty, quantity);
  report.setField(FIX::FIELD::LastPx, price);
  report.setField(FIX::FIELD::CumQty, quantity);
  report.setField(FIX::FIELD::AvgPx, price);
  report.set(FIX::LeavesQty(0));
  if (send(report)) ++counters.reports_sent;
}

// MarketDataIncrementalRefresh (X): counts the messages and their NoMDEntries (268) entries.
void PeerApplication::count_market_data(const FIX::Message& refresh) {
  ++counters.md_received;
  if (refresh.isSetField(FIX::FIELD::NoMDEntries))
    counters.md_entries_received += std::stol(refresh.getField(FIX::FIELD::NoMDEntries));
}

// --skip-seq-at K: the first time the next outgoing MsgSeqNum (34) is K or more, it jumps ahead by --skip-count,
// so the other side sees a gap, sends a ResendRequest (2), and QuickFIX answers with SequenceReset-GapFill (4,
// 123=Y) because the skipped numbers were never stored. Only the application sender moves the number, and a
// heartbeat sent by the socket thread in between would only shift which number is skipped.
void PeerApplication::skip_sequence_numbers_once() {
  if (options_.skip_seq_at <= 0 || skipped_) return;
  FIX::Session* session = FIX::Session::lookupSession(session_id());
  if (session == nullptr) return;
  const int next = session->getExpectedSenderNum();
  if (next < options_.skip_seq_at) return;
  skipped_ = true;
  session->setNextSenderMsgSeqNum(next + static_cast<int>(options_.skip_count));
  emit_event("{\"event\":\"skipped_seq\",\"from\":" + std::to_string(next) +
             ",\"to\":" + std::to_string(next + options_.skip_count) + "}");
}

bool PeerApplication::send(FIX::Message& message) {
  skip_sequence_numbers_once();
  counters.mark_app_traffic();
  return FIX::Session::sendToTarget(message, session_id());
}
