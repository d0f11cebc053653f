// An in-memory MessageStore whose range read tolerates missing sequence numbers.
//
// QuickFIX 1.15's MemoryStore::get(begin, end) starts from an exact map lookup of `begin`: when `begin` was never
// stored (a number skipped with --skip-seq-at) it returns nothing, and the answer to the ResendRequest (2) becomes
// one SequenceReset-GapFill (4) over messages that were in fact stored. FileStore reads the range correctly; this
// store does too, so a forced gap costs only the skipped numbers with either store.
#pragma once

#include <quickfix/MessageStore.h>

#include <map>
#include <string>
#include <vector>

class SkipTolerantMemoryStore : public FIX::MemoryStore {
 public:
  bool set(int seq_num, const std::string& message) throw(FIX::IOException) override {
    messages_[seq_num] = message;
    return true;
  }
  void get(int begin, int end, std::vector<std::string>& out) const throw(FIX::IOException) override {
    out.clear();
    for (auto it = messages_.lower_bound(begin); it != messages_.end() && it->first <= end; ++it)
      out.push_back(it->second);
  }
  void reset() throw(FIX::IOException) override {
    FIX::MemoryStore::reset();
    messages_.clear();
  }

 private:
  std::map<int, std::string> messages_;  // MsgSeqNum (34) -> the message as sent
};

class SkipTolerantMemoryStoreFactory : public FIX::MessageStoreFactory {
 public:
  FIX::MessageStore* create(const FIX::SessionID&) override { return new SkipTolerantMemoryStore(); }
  void destroy(FIX::MessageStore* store) override { delete store; }
};
