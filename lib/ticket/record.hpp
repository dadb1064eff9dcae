#pragma once
// The service record form the contract has both parties sign: who, when, what was done, the
// time spent and the SLA outcome. Its canonical text (Markdown, UTC times) is what a
// signature's SHA-256 covers, so any later change makes the signature show as stale.
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "desk/session.hpp"
#include "sla/sla.hpp"
#include "ticket/ticket.hpp"

namespace opsdesk::ticket {

struct Signature {
  std::string party;  // engineer or customer
  std::string signer;
  std::string role;
  core::Timestamp at = 0;
  std::string sha256;  // of the record content when signed
  bool current = false;
};

struct ServiceRecord {
  std::string desk;
  Ticket ticket;
  std::vector<Event> work;      // time spent
  std::vector<Event> comments;  // what was done
  core::Seconds work_total = 0;
  std::vector<sla::ClockStatus> clocks;
  std::string content;  // canonical Markdown
  std::string sha256;
  std::vector<Signature> signatures;
};

ServiceRecord service_record(store::Db& db, const config::Config& config, std::string_view ref, core::Timestamp now);

enum class RecordFormat { text, markdown, html };
// The record for reading or printing; Markdown is the signed content plus the signatures.
std::string render_record(const ServiceRecord& record, RecordFormat format);

// Sign the record as the engineer (staff roles) or as the customer (customer role). Only a
// resolved or closed ticket's record is signed; one current signature per party.
Signature sign(const desk::Session& s, std::string_view ref);

}  // namespace opsdesk::ticket
