// The built-in checks measured in-process and judged by their thresholds: disk, load, memory,
// process, file_age and sqlite (the network ones are in test_net.cpp).
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <utime.h>

#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "inspect/probe.hpp"
#include "store/db.hpp"
#include "support/helpers.hpp"
#include "support/inspect_helpers.hpp"

using namespace opsdesk;
using namespace opsdesk::inspect;
using opsdesk::test::Child;
using opsdesk::test::has;
using opsdesk::test::make_check;
using opsdesk::test::range;
using opsdesk::test::spit;
using opsdesk::test::TempDir;

TEST_SUITE_BEGIN("inspect");

namespace {

const Metric* metric(const Measurement& m, const std::string& name) {
  for (const auto& x : m.metrics)
    if (x.name == name) return &x;
  return nullptr;
}

const Perfdatum* perf(const Result& r, const std::string& label) {
  for (const auto& p : r.perfdata)
    if (p.label == label) return &p;
  return nullptr;
}

Measurement measured(std::vector<Metric> metrics, std::string what = "what was seen") {
  Measurement m;
  m.what = std::move(what);
  m.metrics = std::move(metrics);
  return m;
}

ProbeContext at(core::Timestamp now) {
  ProbeContext c;
  c.now = now;
  return c;
}

void set_mtime(const std::filesystem::path& p, core::Timestamp t) {
  utimbuf times{static_cast<time_t>(t), static_cast<time_t>(t)};
  REQUIRE(::utime(p.c_str(), &times) == 0);
}

// A database of `rows` rows of 300 bytes each: many pages.
void make_db(const std::filesystem::path& path, int rows) {
  store::SqliteDb db(path, store::Mode::read_write, std::chrono::milliseconds(1000));
  db.exec("PRAGMA page_size = 4096; CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
  db.exec("BEGIN");
  for (int i = 0; i < rows; ++i) db.run("INSERT INTO t (payload) VALUES (?)", std::string(300, static_cast<char>('a' + i % 26)));
  db.exec("COMMIT");
}

}  // namespace

TEST_CASE("inspect::judge, thresholds") {
  auto c = make_check("root-disk", "disk");
  c.warning = range("20:");
  c.critical = range("10:");
  auto of = [&](double free) {
    return judge(c, measured({{"free_percent", free, "%", 0.0, 100.0}, {"used_percent", 100 - free, "%", 0.0, 100.0}}));
  };
  SUBCASE("OK, WARNING, CRITICAL by the ranges, end points inside") {
    CHECK(of(50).state == State::ok);
    CHECK(of(20).state == State::ok);
    CHECK(of(19.9).state == State::warning);
    CHECK(of(10).state == State::warning);
    CHECK(of(9.9).state == State::critical);
    CHECK(of(0).state == State::critical);
  }
  SUBCASE("the summary names the type and the state") {
    const auto r = of(15);
    CHECK(r.summary == "DISK WARNING - what was seen");
    CHECK(r.check == "root-disk");
    CHECK(r.type == "disk");
  }
  SUBCASE("perfdata: every metric, the thresholds on the judged one") {
    const auto r = of(15);
    REQUIRE(r.perfdata.size() == 2);
    const auto* free = perf(r, "free_percent");
    REQUIRE(free != nullptr);
    CHECK(free->value == 15);
    CHECK(free->uom == "%");
    CHECK(free->warn == "20:");
    CHECK(free->crit == "10:");
    CHECK(free->min == 0.0);
    CHECK(free->max == 100.0);
    const auto* used = perf(r, "used_percent");
    REQUIRE(used != nullptr);
    CHECK(used->warn.empty());
    CHECK(used->crit.empty());
  }
  SUBCASE("the critical range is tried first") {
    c.warning = range("~:10");
    c.critical = range("~:5");
    CHECK(of(50).state == State::critical);
  }
  SUBCASE("an inside range (@)") {
    c.warning.reset();
    c.critical = range("@40:60");
    CHECK(of(40).state == State::critical);
    CHECK(of(60).state == State::critical);
    CHECK(of(61).state == State::ok);
  }
  SUBCASE("another metric chosen") {
    c.metric = "used_percent";
    c.warning = range("~:80");
    c.critical = range("~:90");
    CHECK(of(15).state == State::warning);  // 85% used
    CHECK(of(5).state == State::critical);
    CHECK(perf(of(5), "used_percent")->crit == "~:90");
    CHECK(perf(of(5), "free_percent")->crit.empty());
  }
  SUBCASE("no thresholds: OK whatever the value") {
    c.warning.reset();
    c.critical.reset();
    CHECK(of(0).state == State::ok);
  }
}

TEST_CASE("inspect::judge, forced states") {
  auto c = make_check("web", "http");
  c.critical = range("~:5");
  SUBCASE("a forced state wins over the thresholds") {
    Measurement m = measured({{"time", 0.01, "s", 0.0, 10.0}}, "connection refused");
    m.forced = State::critical;
    const auto r = judge(c, m);
    CHECK(r.state == State::critical);
    CHECK(r.summary == "HTTP CRITICAL - connection refused");
    m.forced = State::unknown;
    CHECK(judge(c, m).state == State::unknown);
  }
  SUBCASE("thresholds but no such metric measured: UNKNOWN, not OK") {
    const auto r = judge(c, measured({{"size", 10, "B", 0.0, std::nullopt}}));
    CHECK(r.state == State::unknown);
  }
  SUBCASE("long output is kept") {
    Measurement m = measured({});
    m.long_output = "line 1\nline 2";
    CHECK(judge(c, m).long_output == "line 1\nline 2");
  }
  SUBCASE("an expired certificate is CRITICAL whatever the thresholds") {
    auto cert = make_check("tls", "certificate");
    CHECK(judge(cert, measured({{"days", -0.5, "", std::nullopt, std::nullopt}})).state == State::critical);
    cert.warning = range("30:");
    CHECK(judge(cert, measured({{"days", 20, "", std::nullopt, std::nullopt}})).state == State::warning);
    CHECK(judge(cert, measured({{"days", 40, "", std::nullopt, std::nullopt}})).state == State::ok);
  }
  SUBCASE("file_age checks are called FILE") {
    auto f = make_check("dump", "file_age");
    CHECK(judge(f, measured({{"age", 1, "s", 0.0, std::nullopt}})).summary == "FILE OK - what was seen");
  }
}

TEST_CASE("inspect::measure, disk") {
  TempDir dir;
  auto c = make_check("tmp-disk", "disk");
  c.path = dir.path.string();
  SUBCASE("the metrics of a real file system") {
    const auto m = measure(c, at(0));
    CHECK_FALSE(m.forced.has_value());
    const auto* free = metric(m, "free_percent");
    const auto* used = metric(m, "used_percent");
    const auto* bytes = metric(m, "free_bytes");
    const auto* inodes = metric(m, "inodes_free_percent");
    REQUIRE(free != nullptr);
    REQUIRE(used != nullptr);
    REQUIRE(bytes != nullptr);
    REQUIRE(inodes != nullptr);
    CHECK(free->value >= 0);
    CHECK(free->value <= 100);
    CHECK(free->value + used->value == doctest::Approx(100));
    CHECK(bytes->value > 0);
    REQUIRE(bytes->max.has_value());
    CHECK(bytes->value <= *bytes->max);
    CHECK(inodes->value >= 0);
    CHECK(inodes->value <= 100);
    CHECK(has(m.what, dir.path.string()));
  }
  SUBCASE("judged: a range that always alerts and one that never does") {
    c.critical = range("@0:100");
    CHECK(judge(c, measure(c, at(0))).state == State::critical);
    c.critical = range("0:100");
    c.warning = range("101:");
    CHECK(judge(c, measure(c, at(0))).state == State::warning);
    c.warning = range("0:100");
    CHECK(judge(c, measure(c, at(0))).state == State::ok);
  }
  SUBCASE("a path that does not exist is CRITICAL") {
    c.path = (dir / "nowhere").string();
    const auto r = judge(c, measure(c, at(0)));
    CHECK(r.state == State::critical);
    CHECK(has(r.summary, "nowhere"));
  }
}

TEST_CASE("inspect::measure, memory and load") {
  SUBCASE("memory") {
    const auto c = make_check("mem", "memory");
    const auto m = measure(c, at(0));
    CHECK_FALSE(m.forced.has_value());
    const auto* avail = metric(m, "available_percent");
    const auto* used = metric(m, "used_percent");
    const auto* bytes = metric(m, "available_bytes");
    const auto* swap = metric(m, "swap_used_percent");
    REQUIRE(avail != nullptr);
    REQUIRE(used != nullptr);
    REQUIRE(bytes != nullptr);
    REQUIRE(swap != nullptr);
    CHECK(avail->value > 0);
    CHECK(avail->value <= 100);
    CHECK(avail->value + used->value == doctest::Approx(100));
    CHECK(bytes->value > 1024.0 * 1024.0);  // more than a MiB free
    REQUIRE(bytes->max.has_value());
    CHECK(bytes->value <= *bytes->max);
    CHECK(swap->value >= 0);
    CHECK(swap->value <= 100);
    CHECK(judge(c, m).state == State::ok);
  }
  SUBCASE("load") {
    auto c = make_check("load", "load");
    const auto m = measure(c, at(0));
    CHECK_FALSE(m.forced.has_value());
    for (const char* name : {"load1", "load5", "load15"}) {
      const std::string metric_name = name;
      CAPTURE(metric_name);
      const auto* l = metric(m, name);
      REQUIRE(l != nullptr);
      CHECK(l->value >= 0);
      CHECK(l->value < 10000);
    }
    CHECK(has(m.what, "load average"));
    c.critical = range("~:100000");
    CHECK(judge(c, m).state == State::ok);
    c.critical = range("@0:100000");
    CHECK(judge(c, m).state == State::critical);
  }
}

TEST_CASE("inspect::measure, process") {
  // Sleeps whose argument no other process has.
  const std::string token = "3600." + std::to_string(::getpid()) + "7";
  auto c = make_check("sleepers", "process");
  c.process_args = token;
  auto count = [&] {
    const auto m = measure(c, at(0));
    const auto* n = metric(m, "count");
    REQUIRE(n != nullptr);
    return static_cast<int>(n->value);
  };
  CHECK(count() == 0);
  {
    Child one({"sleep", token});
    CHECK(count() == 1);
    {
      Child two({"sleep", token});
      CHECK(count() == 2);
      c.process_name = "sleep";
      CHECK(count() == 2);
      c.process_name = "cron-not-me";
      CHECK(count() == 0);
      c.process_name.clear();
    }
    CHECK(count() == 1);
    auto by_name = make_check("sleep", "process");  // by name alone: at least ours
    by_name.process_name = "sleep";
    const auto m = measure(by_name, at(0));
    REQUIRE(metric(m, "count") != nullptr);
    CHECK(metric(m, "count")->value >= 1);
  }
  CHECK(count() == 0);
  c.critical = range("1:");
  const auto r = judge(c, measure(c, at(0)));
  CHECK(r.state == State::critical);
  CHECK(has(r.summary, "0 processes"));
}

TEST_CASE("inspect::measure, file_age") {
  TempDir dir;
  const core::Timestamp now = static_cast<core::Timestamp>(std::time(nullptr));
  spit(dir / "old.log", "old");
  spit(dir / "new.log", "newest dump");
  spit(dir / "newer.txt", "not a log");
  set_mtime(dir / "old.log", now - 7200);
  set_mtime(dir / "new.log", now - 600);
  set_mtime(dir / "newer.txt", now - 10);
  auto c = make_check("dump", "file_age");
  SUBCASE("one file: its age and size") {
    c.path = (dir / "old.log").string();
    const auto m = measure(c, at(now));
    CHECK_FALSE(m.forced.has_value());
    REQUIRE(metric(m, "age") != nullptr);
    CHECK(metric(m, "age")->value == 7200);
    CHECK(metric(m, "size")->value == 3);
    c.warning = range("~:3600");
    c.critical = range("~:86400");
    CHECK(judge(c, m).state == State::warning);
  }
  SUBCASE("a glob: the newest match counts") {
    c.path = (dir / "*.log").string();
    const auto m = measure(c, at(now));
    REQUIRE(metric(m, "age") != nullptr);
    CHECK(metric(m, "age")->value == 600);
    CHECK(metric(m, "size")->value == 11);
    CHECK(has(m.what, "new.log"));
    c.warning = range("~:3600");
    CHECK(judge(c, m).state == State::ok);
    c.metric = "size";
    c.warning.reset();
    c.critical = range("100:");  // smaller than 100 bytes
    CHECK(judge(c, m).state == State::critical);
  }
  SUBCASE("nothing matches: CRITICAL") {
    c.path = (dir / "*.bak").string();
    const auto r = judge(c, measure(c, at(now)));
    CHECK(r.state == State::critical);
    CHECK(has(r.summary, "*.bak"));
  }
  SUBCASE("only directories match: CRITICAL") {
    std::filesystem::create_directory(dir / "sub.d");
    c.path = (dir / "*.d").string();
    CHECK(judge(c, measure(c, at(now))).state == State::critical);
  }
}

TEST_CASE("inspect::measure, sqlite") {
  TempDir dir;
  const auto path = dir / "app.db";
  make_db(path, 2000);
  auto c = make_check("app-db", "sqlite");
  c.path = path.string();
  SUBCASE("a healthy database") {
    const auto m = measure(c, at(0));
    CHECK_FALSE(m.forced.has_value());
    REQUIRE(metric(m, "size") != nullptr);
    CHECK(metric(m, "size")->value == static_cast<double>(std::filesystem::file_size(path)));
    CHECK(metric(m, "freelist_ratio")->value == 0);
    CHECK(has(m.what, "quick check ok"));
    CHECK(judge(c, m).state == State::ok);
    c.integrity = "full";
    CHECK(judge(c, measure(c, at(0))).state == State::ok);
  }
  SUBCASE("a query value") {
    c.query = "SELECT count(*) FROM t";
    c.metric = "value";
    c.critical = range("~:1000");
    const auto m = measure(c, at(0));
    REQUIRE(metric(m, "value") != nullptr);
    CHECK(metric(m, "value")->value == 2000);
    CHECK(judge(c, m).state == State::critical);
    c.critical = range("~:5000");
    CHECK(judge(c, m).state == State::ok);
    c.query = "SELECT max(id) FROM t WHERE id < 0";  // NULL
    CHECK(judge(c, measure(c, at(0))).state == State::unknown);
  }
  SUBCASE("free pages") {
    {
      store::SqliteDb db(path, store::Mode::read_write, std::chrono::milliseconds(1000));
      db.exec("DELETE FROM t WHERE id > 500");
    }
    c.metric = "freelist_ratio";
    c.warning = range("~:0.2");
    const auto m = measure(c, at(0));
    REQUIRE(metric(m, "freelist_ratio") != nullptr);
    CHECK(metric(m, "freelist_ratio")->value > 0.5);
    CHECK(metric(m, "freelist_ratio")->value < 1);
    CHECK(judge(c, m).state == State::warning);
  }
  SUBCASE("opened read-only: a writing query changes nothing") {
    c.query = "DELETE FROM t RETURNING 1";
    c.metric = "value";
    CHECK(judge(c, measure(c, at(0))).state != State::ok);
    store::SqliteDb db(path, store::Mode::read_only, std::chrono::milliseconds(1000));
    CHECK(db.one_int("SELECT count(*) FROM t") == 2000);
  }
  SUBCASE("a corrupted b-tree page is CRITICAL") {
    std::int64_t pages = 0;
    {
      store::SqliteDb db(path, store::Mode::read_only, std::chrono::milliseconds(1000));
      pages = db.one_int("PRAGMA page_count").value_or(0);
    }
    REQUIRE(pages > 50);
    const std::int64_t victim = pages / 2;  // a leaf of table t
    {
      std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
      REQUIRE(f.good());
      f.seekp((victim - 1) * 4096);
      const std::string garbage(4096, '\xA5');
      f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
      REQUIRE(f.good());
    }
    const auto r = judge(c, measure(c, at(0)));
    CHECK(r.state == State::critical);
    CHECK(has(r.summary, path.string()));
    c.integrity = "full";
    CHECK(judge(c, measure(c, at(0))).state == State::critical);
  }
  SUBCASE("a file that is not a database is CRITICAL") {
    spit(dir / "notes.txt", std::string(8192, 'x'));
    c.path = (dir / "notes.txt").string();
    CHECK(judge(c, measure(c, at(0))).state == State::critical);
  }
  SUBCASE("a missing file is CRITICAL, and is not created") {
    c.path = (dir / "gone.db").string();
    const auto r = judge(c, measure(c, at(0)));
    CHECK(r.state == State::critical);
    CHECK(has(r.summary, "gone.db"));
    CHECK_FALSE(std::filesystem::exists(dir / "gone.db"));
  }
}

TEST_CASE("inspect::measure, postgres: a server that is not there is CRITICAL with libpq's message") {
  TempDir dir;  // a socket directory with no server in it
  auto c = make_check("erp-db", "postgres");
  c.url = "postgresql://monitor@/erp?host=" + dir.path.string();
  c.timeout = 2;
  c.warning = range("~:60");
  const auto r = judge(c, measure(c, at(0)));
  CHECK(r.state == State::critical);
  CHECK_MESSAGE(has(r.summary, "POSTGRES CRITICAL - cannot connect to " + c.url + ": "), r.summary);
  CHECK_MESSAGE(has(r.summary, "No such file or directory"), r.summary);
  CHECK(r.perfdata.empty());
}

TEST_CASE("inspect::judge, postgres: lag thresholds judge a standby, not a primary") {
  auto c = make_check("erp-db", "postgres");
  c.warning = range("~:60");
  c.critical = range("~:300");
  SUBCASE("a primary: OK, its size as perfdata, no lag") {
    auto m = measured({{"size", 7969263, "B", 0.0, std::nullopt}}, "erp (PostgreSQL 15.18) 7.6 MiB, primary");
    m.not_applicable = true;
    const auto r = judge(c, m);
    CHECK(r.state == State::ok);
    CHECK(r.summary == "POSTGRES OK - erp (PostgreSQL 15.18) 7.6 MiB, primary");
    CHECK(format_perfdata(r.perfdata) == "size=7969263B;;;0");
  }
  SUBCASE("a standby, by its replay lag") {
    auto standby = [&](double lag) {
      return judge(c, measured({{"size", 1000, "B", 0.0, std::nullopt}, {"lag", lag, "s", 0.0, std::nullopt}}));
    };
    CHECK(standby(3).state == State::ok);
    CHECK(standby(61).state == State::warning);
    CHECK(standby(301).state == State::critical);
    CHECK(format_perfdata(standby(3).perfdata) == "size=1000B;;;0 lag=3s;~:60;~:300;0");
  }
  SUBCASE("a standby that replayed nothing yet: its lag is unknown") {
    CHECK(judge(c, measured({{"size", 1000, "B", 0.0, std::nullopt}})).state == State::unknown);
  }
  SUBCASE("metric size on a primary is judged") {
    c.metric = "size";
    c.warning = range("~:500");
    c.critical.reset();
    auto m = measured({{"size", 1000, "B", 0.0, std::nullopt}});
    CHECK(judge(c, m).state == State::warning);
  }
}

TEST_SUITE_END();
