#pragma once
// Moving tickets in and out: JSONL and CSV with the same fields, so that export → import into
// an empty store → export gives the same bytes.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "desk/session.hpp"
#include "ticket/repository.hpp"

namespace opsdesk::ticket {

enum class TransferFormat { jsonl, csv };

// The format named by a file's extension (.csv → csv, else jsonl), or sniffed from `text`
// for standard input: a first '{' means JSONL.
TransferFormat detect_format(std::string_view origin, std::string_view text);

// Every ticket matching `filter` with its events, in creation order, one record (ending in
// '\n') at a time to `write`; CSV starts with a header and carries the events as JSON.
void export_tickets(store::Db& db, const repo::ListFilter& filter, TransferFormat format,
                    const std::function<void(std::string_view)>& write);

struct ImportResult {
  std::int64_t count = 0;
  std::optional<std::string> first;
  std::optional<std::string> last;
};

// Import every record of `text` (named `origin` in errors) or none: a bad record, an unknown
// field or a reference that already exists is Error(data) naming the line and the field.
// Records without `events` get events made from their timestamps.
ImportResult import_tickets(const desk::Session& s, std::string_view text, std::string_view origin,
                            TransferFormat format);

}  // namespace opsdesk::ticket
