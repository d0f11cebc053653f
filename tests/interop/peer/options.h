// Command-line options of qfpeer, the project's QuickFIX C++ counterparty for interop tests and benchmarks.
#pragma once

#include <string>

struct PeerOptions {
  std::string mode;                  // "acceptor" or "initiator"
  std::string host = "127.0.0.1";    // initiator: SocketConnectHost (the acceptor binds every interface)
  int port = 0;                      // SocketAcceptPort or SocketConnectPort
  std::string sender;                // SenderCompID (49) of this peer
  std::string target;                // TargetCompID (56) of this peer
  std::string begin_string = "FIX.4.4";
  std::string dictionary;            // QuickFIX XML data dictionary; empty: UseDataDictionary=N
  // FIXT.1.1 sessions (BeginString FIXT.1.1) only: both dictionaries set -> UseDataDictionary=Y with them.
  std::string transport_dictionary;  // TransportDataDictionary (FIXT11.xml): admin messages, header, trailer
  std::string app_dictionary;        // AppDataDictionary (e.g. FIX50SP2.xml): application messages
  std::string default_appl_ver_id = "FIX.5.0SP2";  // DefaultApplVerID: sent as 1137 on the Logon
  std::string store_dir;             // FileStore directory; empty: in-memory store
  std::string log_dir;               // FileLog directory; empty: no message log
  int heartbeat_s = 30;              // HeartBtInt (108), seconds
  bool reset_on_logon = false;       // ResetOnLogon: 141=Y and both numbers back to 1 at each logon

  // Workload, run once after the first logon.
  long orders = 0;                   // NewOrderSingle (D) messages to send
  bool round_trip = false;           // one order at a time, each waiting for its ExecutionReport (8)
  std::string latency_file;          // round trip: one latency per line, nanoseconds
  long md_burst = 0;                 // MarketDataIncrementalRefresh (X) messages to send, 1-5 NoMDEntries each
  long skip_seq_at = 0;              // skip outgoing MsgSeqNum (34) once when it reaches this number
  long skip_count = 1;               // how many numbers to skip
  double work_timeout_s = 120;       // longest wait for the workload's ExecutionReports
  double logon_timeout_s = 30;       // initiator: longest wait for the first logon
  double stop_grace_s = 10;          // longest wait for QuickFIX's stop() (Logout exchange) before exiting
  bool linger = false;               // initiator: stay logged on after the workload until signalled

  // TLS (QuickFIX's SSLSocketAcceptor / SSLSocketInitiator).
  bool tls = false;
  std::string tls_cert;              // PEM certificate of this peer (server cert, or client cert)
  std::string tls_key;               // PEM private key of this peer
  std::string tls_ca;                // PEM CA bundle used to verify the other side
  int tls_verify_level = 0;          // CertificateVerifyLevel: 0 none, 1 verify, 2 also require a client cert
};

// Parses argv into options; on a bad or missing option prints a one-line error naming it to stderr and exits 2.
PeerOptions parse_options(int argc, char** argv);
