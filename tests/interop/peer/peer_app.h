// The QuickFIX Application of qfpeer: answers orders with fills, counts what it sees, reports events as JSON lines.
#pragma once

#include <quickfix/Application.h>
#include <quickfix/Message.h>
#include <quickfix/SessionID.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "options.h"

// Nanoseconds on the monotonic clock.
int64_t now_ns();

// Writes one machine-readable line "QFPEER {json}" to stdout and flushes it (the harness reads these).
void emit_event(const std::string& json_object);

// JSON string literal of text (quotes and escapes included).
std::string json_string(const std::string& text);

struct Counters {
  std::atomic<long> orders_sent{0}, reports_received{0}, md_sent{0};
  std::atomic<long> orders_received{0}, reports_sent{0}, md_received{0}, md_entries_received{0};
  std::atomic<long> other_app_received{0};
  std::atomic<int64_t> first_app_ns{0}, last_app_ns{0};  // first and last application message, either way

  long app_sent() const { return orders_sent + reports_sent + md_sent; }
  long app_received() const { return orders_received + reports_received + md_received + other_app_received; }
  void mark_app_traffic();
};

class PeerApplication : public FIX::Application {
 public:
  explicit PeerApplication(const PeerOptions& options) : options_(options) {}

  Counters counters;
  std::atomic<bool> logged_on{false};
  std::atomic<int64_t> last_report_ns{0};  // arrival time of the latest ExecutionReport (round trip)

  // Sends an application message, first skipping sequence numbers when --skip-seq-at says so.
  bool send(FIX::Message& message);
  FIX::SessionID session_id() const;
  // Admin messages (Logon, Heartbeat, ResendRequest, SequenceReset, ...) counted by MsgType, as a JSON object.
  std::string admin_counts_json(bool sent) const;

  void onCreate(const FIX::SessionID&) override;
  void onLogon(const FIX::SessionID&) override;
  void onLogout(const FIX::SessionID&) override;
  void toAdmin(FIX::Message&, const FIX::SessionID&) override;
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message&, const FIX::SessionID&) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override;
  void fromApp(const FIX::Message&, const FIX::SessionID&) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::UnsupportedMessageType) override;

 private:
  void answer_order(const FIX::Message& order);
  void count_market_data(const FIX::Message& refresh);
  void skip_sequence_numbers_once();
  void count_admin(const FIX::Message& message, bool sent);

  const PeerOptions& options_;
  mutable std::mutex mutex_;  // guards session_ and the admin maps
  FIX::SessionID session_;
  std::map<std::string, long> admin_sent_, admin_received_;
  std::atomic<bool> skipped_{false};
  std::atomic<long> next_exec_id_{0};
};
