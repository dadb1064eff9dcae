#pragma once
// Which backups to keep, with restic's rules exactly: backups newest first; for each rule
// the newest backup of each calendar bucket (hour, day, Monday-to-Sunday week, month, year,
// in the desk's time zone) is kept until the rule's count of buckets is used up; buckets
// without a backup do not count; "last" keeps the newest N; "within" keeps everything within
// a duration of the newest backup (not counting backups dated in the future of `now`); the rules
// are OR-ed, so one backup can fill several; a rule with counts left also keeps the oldest
// backup (restic 0.17: the longest history while counts are left).
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/time.hpp"

namespace opsdesk::backup {

struct Decision {
  std::size_t index = 0;             // into the list given
  bool keep = false;
  std::vector<std::string> reasons;  // "daily 3", "monthly 1", "within 30d", "newest verified"
};

// `times` in any order; `protect` marks backups that are never removed (the newest verified
// backup of the target). Error(config) for an empty policy.
std::vector<Decision> apply_retention(const std::vector<core::Timestamp>& times, const std::vector<bool>& protect,
                                      const config::Config::Retention& policy, core::Timestamp now);

}  // namespace opsdesk::backup
