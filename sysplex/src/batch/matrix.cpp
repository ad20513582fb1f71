// SPDX-License-Identifier: Apache-2.0
// The faults matrix's engine (docs/faults.md), shared by `zplex faults` (on a sysplex
// of its own) and the batch program ZPXMATRX (on the sysplex a job runs against): for
// each fault, one at a time, a LAN trace with the ESP keys (`zplex trace`), long-lived
// plain connections from CLIENT1 and protected ones from PEER1 to DVA1:60 (ZPXTRAF's
// engine), the fault (ZPXFAULT's code, or the operator's VARY), its detection and the
// first new connection through the survivors, new connections after it, the sysplex
// restored and checked as it was; then the connections kept and lost against what z/OS
// loses, the capture's sequence numbers per SPI and a replay window of the peer's size,
// charon's log. One table.
#include "batch.hpp"
#include "impair.hpp"
#include "traffic.hpp"
#include "../run_support.hpp"

#include <zplex/operating/faults.hpp>
#include <zplex/sysplex/private_file.hpp>
#include <zplex/sysplex/line_socket.hpp>
#include <zplex/sysplex/process.hpp>
#include <zplex/sysplex/text.hpp>

#include <fmt/format.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <future>
#include <sstream>
#include <thread>

namespace zplex::cli::batch {

namespace fs = std::filesystem;
namespace fx = operating::faults;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

/// The anti-replay window of PEER1's charon: libipsec's, fixed at 128 packets
/// (ESP_DEFAULT_WINDOW_SIZE).
constexpr std::uint32_t peer_window = 128;

/// Where the matrix's lines go (run_matrix's sink), and whether it is asked to stop.
const std::function<void(const std::string&)>* g_say = nullptr;
const volatile std::sig_atomic_t* g_stop = nullptr;
bool interrupted() { return g_stop && *g_stop; }
void say(const std::string& line) {
    if (g_say && *g_say) (*g_say)(line);
}

long ms_since(steady::time_point from, steady::time_point to) {
    return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count());
}

std::string file_text(const fs::path& p, std::uintmax_t from = 0) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return {};
    in.seekg(static_cast<std::streamoff>(from));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::uintmax_t size_of(const fs::path& p) {
    std::error_code ec;
    auto n = fs::file_size(p, ec);
    return ec ? 0 : n;
}

int occurrences(const std::string& s, const std::string& what) {
    int n = 0;
    for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + what.size())) ++n;
    return n;
}

/// Lines of @p text holding every one of @p needles.
int lines_with(const std::string& text, const std::vector<std::string>& needles) {
    std::istringstream in(text);
    int n = 0;
    for (std::string l; std::getline(in, l);) {
        bool all = true;
        for (const auto& w : needles) all = all && l.find(w) != std::string::npos;
        n += all;
    }
    return n;
}

/// Milliseconds since the epoch of a log line's stamp (UTC, run_support's writer), or -1.
long long stamp_ms(const std::string& line) {
    auto st = batch::log_watch::stamp_of(line);
    if (st.empty()) return -1;
    std::tm tm{};
    if (!::strptime(st.c_str(), "%Y-%m-%d %H:%M:%S", &tm)) return -1;
    return static_cast<long long>(::timegm(&tm)) * 1000 + std::stoi(st.substr(20, 3));
}

long long wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// `zplex trace` of the run's LAN as a child of ours (it ends with us): PREFIX.pcap and
/// PREFIX.esp_sa, its messages in PREFIX.log.
class lan_trace {
public:
    ~lan_trace() {
        if (_pid > 0) {
            ::kill(_pid, SIGKILL);
            ::waitpid(_pid, nullptr, 0);
        }
    }
    bool start(const fs::path& dir, const fs::path& prefix, std::string& why) {
        _log = prefix.string() + ".log";
        std::string err;
        int fd = sysplex::open_private_file(_log.string(), err);
        if (fd < 0) {
            why = _log.string() + " CANNOT BE WRITTEN: " + err;
            return false;
        }
        std::vector<std::string> argv{fs::read_symlink("/proc/self/exe").string(), "trace", "--run-dir", dir.string(),
                                      "--out", prefix.string(), "--seconds", "900"};
        _pid = ::fork();
        if (_pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            std::vector<char*> a;
            for (auto& s : argv) a.push_back(s.data());
            a.push_back(nullptr);
            ::execv(a[0], a.data());
            _exit(127);
        }
        ::close(fd);
        if (_pid < 0) {
            why = "fork: " + std::string(std::strerror(errno));
            return false;
        }
        auto until = steady::now() + 20s;
        while (steady::now() < until) {
            auto said = file_text(_log);
            if (said.find("ZPX1886I") != std::string::npos) return true;
            int st = 0;
            if (::waitpid(_pid, &st, WNOHANG) == _pid) {
                _pid = -1;
                why = said.empty() ? "zplex trace ENDED AT ONCE" : said.substr(0, 400);
                while (!why.empty() && why.back() == '\n') why.pop_back();
                return false;
            }
            std::this_thread::sleep_for(50ms);
        }
        why = "zplex trace DID NOT START IN 20 S";
        return false;
    }
    /// SIGTERM: the trace takes the keys again and ends. True when it ended well (RC 0 or 4).
    bool stop(std::string& why) {
        if (_pid <= 0) return false;
        ::kill(_pid, SIGTERM);
        int st = 0;
        auto until = steady::now() + 30s;
        while (::waitpid(_pid, &st, WNOHANG) != _pid) {
            if (steady::now() >= until) {
                ::kill(_pid, SIGKILL);
                ::waitpid(_pid, &st, 0);
                break;
            }
            std::this_thread::sleep_for(50ms);
        }
        _pid = -1;
        bool ok = WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 4);
        if (!ok) why = file_text(_log).substr(0, 600);
        return ok;
    }

private:
    pid_t _pid = -1;
    fs::path _log;
};

/// The parts of the sysplex a row uses, found once.
struct plex {
    console& con;
    std::string sysplex_name;
    std::string dva1_text;        ///< 198.18.2.1
    std::uint32_t dva1 = 0, peer1 = 0;  ///< host order
    std::uint32_t dvb1 = 0;       ///< 198.18.2.2 (MVS5's, distributed to all five); 0: none
    std::string owner = "MVS1", backup = "MVS2";
    std::vector<std::string> targets{"MVS1", "MVS2", "MVS4"};
    bool dva1_target(const std::string& system) const {
        return std::find(targets.begin(), targets.end(), system) != targets.end();
    }
    fs::path out;                 ///< where the captures go
    std::string dvb1_text;        ///< 198.18.2.2
    std::string dvb1_owner = "MVS5";
    std::map<std::string, std::uint32_t> hosts;  ///< the LAN's hosts' addresses (host order)

    batch::traffic_spec spec(const std::string& host, long n, long at_once, long bytes, std::chrono::milliseconds duration,
                             std::chrono::milliseconds timeout) const {
        batch::traffic_spec s;
        s.netns = con.r.netns_of(host)->name;
        s.address = dva1;
        s.port = 60;
        s.connections = n;
        s.concurrency = at_once;
        s.bytes = bytes;
        s.duration = duration;
        s.timeout = timeout;
        return s;
    }
    void reload() {
        std::string err;
        operating::load_run(con.dir, con.r, err);
    }
    std::string xcfip(const std::string& system) const {
        const auto* im = con.image(system);
        if (!im) return "?";
        auto it = im->symbols.find("XCFIP");
        return it == im->symbols.end() ? "?" : it->second;
    }
};

/// Is the sysplex as FIG4 starts: DVA1 owned by its owner, its backup ranked, three
/// targets ready, the owner's IKE SA with PEER1, one shadow SA on a pure target, and a
/// plain and a protected connection served. Polled until @p until; empty when it is,
/// else what is not.
std::string settled(plex& p, steady::time_point until) {
    std::string why;
    for (;;) {
        p.reload();
        why.clear();
        auto dyn = p.con.command("D TCPIP,TCPIPA,SYSPLEX,VIPADYN", p.owner).text;
        auto vdpt = p.con.command("D TCPIP,TCPIPA,NETSTAT,VDPT", p.owner).text;
        auto ike = p.con.uss("ipsec -k display", p.owner).text;
        auto shadows = p.con.uss("ipsec -y display -s -r detail", "MVS4").text;
        auto str = p.con.command("D XCF,STR", p.owner).text;
        if (lines_with(dyn, {"TCPIPA   " + p.owner + "     ACTIVE", "BOTH"}) != 1) why = p.owner + " DOES NOT OWN DVA1";
        else if (lines_with(dyn, {"TCPIPA   " + p.backup + "     BACKUP 100"}) != 1) why = p.backup + " IS NOT DVA1'S BACKUP";
        else if (lines_with(vdpt, {"RDY: 001"}) != 3) why = "DVA1 DOES NOT HAVE 3 READY TARGETS";
        else if (lines_with(ike, {"RemoteEndPoint:", "198.18.0.200"}) < 1) why = p.owner + "'S IKED HAS NO IKE SA WITH PEER1";
        else if (lines_with(shadows, {"ShadowOf:", "TCPIPA"}) != 1) why = "MVS4 DOES NOT HOLD EXACTLY ONE SHADOW SA";
        else if (lines_with(str, {"EZBDVIPA", "DUPLEXING REBUILD: PRIMARY IN "}) != 1) why = "EZBDVIPA IS NOT DUPLEXED";
        else if (lines_with(str, {" ALLOCATED IN "}) + lines_with(str, {"DUPLEXING REBUILD"}) != 3)
            why = "NOT EVERY STRUCTURE IS ALLOCATED (D XCF,STR)";
        if (why.empty()) {
            // Each path once, end to end.
            auto plain = batch::run_traffic(p.spec("CLIENT1", 3, 1, 4096, 0ms, 5000ms));
            auto prot = batch::run_traffic(p.spec("PEER1", 3, 1, 4096, 0ms, 5000ms));
            long ok = 0;
            for (const auto* r : {&plain, &prot})
                for (const auto& c : r->connections) ok += c.failed.empty() && c.digest_ok;
            if (ok == 6) return {};
            why = fmt::format("{} OF 6 CONNECTIONS TO DVA1 ENDED WHOLE", ok);
        }
        if (interrupted()) return "INTERRUPTED (" + why + ")";
        if (steady::now() >= until) return why;
        std::this_thread::sleep_for(300ms);
    }
}

/// The CF holding duplexed EZBDVIPA's primary instance, or with @p copy its duplex
/// copy (D XCF,STR); "" when it is not duplexed.
std::string duplex_cf(plex& p, bool copy) {
    auto str = p.con.command("D XCF,STR", p.owner).text;
    std::istringstream in(str);
    const std::string key = copy ? ", SECONDARY IN " : "DUPLEXING REBUILD: PRIMARY IN ";
    for (std::string l; std::getline(in, l);) {
        auto at = l.find(key);
        if (l.find("EZBDVIPA") == std::string::npos || at == std::string::npos) continue;
        auto from = at + key.size();
        return l.substr(from, l.find_first_of(", ", from) - from);
    }
    return {};
}

/// SIGSTOP (or SIGCONT) to @p system's stack, by the run's recorded PID and start time.
bool signal_stack(plex& p, const std::string& system, int sig, std::string& why) {
    p.reload();
    for (const auto& q : p.con.r.processes) {
        if (q.kind != "tcpip" || q.system != system || !sysplex::process_alive(q.id)) continue;
        if (::kill(q.id.pid, sig) == 0) return true;
        why = fmt::format("PID {}: {}", q.id.pid, std::strerror(errno));
        return false;
    }
    why = "NO STACK " + system + " RUNS IN THIS RUN";
    return false;
}

/// A connection that ended whole, served by another system than @p failed.
bool served_whole(const batch::connection_result& c, const std::string& failed) {
    return c.failed.empty() && c.digest_ok && (failed.empty() || c.image != failed);
}

/// Fresh connections from @p spec's namespace, back to back, until one is served whole
/// by another system than @p failed: when it ended, or nullopt by @p until. An attempt
/// is given 150 ms in the first 3 s after @p from (a SYN lost in the takeover is not
/// waited for: the next attempt sends its own), 1 s up to 8 s, 3 s after that (a loaded
/// machine is not taken for an outage).
std::optional<steady::time_point> probe(batch::traffic_spec spec, std::string failed, steady::time_point from,
                                        steady::time_point until) {
    while (steady::now() < until && !interrupted()) {
        auto since = steady::now() - from;
        spec.timeout = since < 3s ? 150ms : since < 8s ? 1000ms : 3000ms;
        auto r = batch::run_traffic(spec);
        if (!r.error.empty()) return std::nullopt;
        if (!r.connections.empty() && served_whole(r.connections[0], failed)) return r.connections[0].ended;
        std::this_thread::sleep_for(20ms);
    }
    return std::nullopt;
}


/// One row: the fault under traffic, measured, the sysplex restored. Sets @p restored
/// false when the sysplex could not be made as it was (the matrix stops).
fx::row_outcome run_row(plex& p, const fx::row_spec& row, int index, bool& restored) {
    fx::row_outcome o;
    o.row = row;
    const bool stall = row.kind == fx::fault_kind::stall_system;
    const bool under_hercules = p.con.r.hercules;
    const bool image_kill = row.kind == fx::fault_kind::kill_image;
    const bool stack_fault = row.kind == fx::fault_kind::kill_stack || stall || image_kill;
    const std::string failed = stack_fault ? row.target : "";
    const bool impair = row.kind == fx::fault_kind::impair_lan;
    const bool xcf_delay = row.kind == fx::fault_kind::delay_xcf;
    const bool full = row.kind == fx::fault_kind::structure_full;
    o.detection_expected = row.kind != fx::fault_kind::kill_iked && !impair && !xcf_delay;
    p.reload();
    const fs::path prefix = p.out / fmt::format("ROW{}", index);
    const fs::path charon_log = p.con.dir / "logs" / "PEER1.CHARON.log";
    const bool have_charon = fs::exists(charon_log);
    const auto charon_from = size_of(charon_log);

    // The capture first: the keys of the SAs that exist now, and every frame from here.
    lan_trace trace;
    std::string why;
    bool tracing = trace.start(p.con.dir, prefix, why);
    if (!tracing) say(fmt::format("ZPX1906W {}: NO LAN TRACE: {}", row.name, why));

    // Long-lived connections, all open at once over 5 s: to DVA1 6 plain from CLIENT1 and
    // 6 protected from PEER1 in bulk (128 KiB each), 3 of each request/response (1 KiB
    // requests, each answered before the next, 64 KiB in all); to DVB1 (MVS5 distributes
    // it to all five) 4 plain in bulk from CLIENT2.
    std::atomic<long> greeted{0};
    std::vector<batch::traffic_spec> specs{p.spec("CLIENT1", 6, 6, 131072, 5000ms, 8000ms),
                                           p.spec("PEER1", 6, 6, 131072, 5000ms, 8000ms),
                                           p.spec("CLIENT1", 3, 3, 65536, 5000ms, 8000ms),
                                           p.spec("PEER1", 3, 3, 65536, 5000ms, 8000ms)};
    specs[2].request = specs[3].request = 1024;
    if (p.dvb1 != 0 && p.con.r.netns_of("CLIENT2")) {
        specs.push_back(p.spec("CLIENT2", 4, 4, 131072, 5000ms, 8000ms));
        specs.back().address = p.dvb1;
    }
    long want_greeted = 0;
    std::vector<std::future<batch::traffic_result>> running;
    for (auto& s : specs) {
        s.greeted = &greeted;
        want_greeted += s.connections;
        running.push_back(std::async(std::launch::async, batch::run_traffic, s));
    }
    auto greet_by = steady::now() + 10s;
    while (greeted.load() < want_greeted && steady::now() < greet_by) std::this_thread::sleep_for(20ms);
    if (greeted.load() < want_greeted)
        o.notes.push_back(fmt::format("ONLY {} OF {} LONG-LIVED CONNECTIONS WERE GREETED", greeted.load(), want_greeted));
    std::this_thread::sleep_for(1000ms);  // well into their transfers

    // What the fault hits: for a CF, the one holding EZBDVIPA's primary now.
    std::string object = row.target;
    const bool copy_cf = row.kind == fx::fault_kind::kill_cf && row.target == "SECONDARY";
    // SIMPLEX: duplexing stopped first, so the CF's failure loses EZBDVIPA (its counters
    // with it): every SA is rekeyed before anyone sends under it again.
    const bool lose_cf = row.kind == fx::fault_kind::kill_cf && row.target == "SIMPLEX";
    if (row.kind == fx::fault_kind::kill_cf) {
        object = duplex_cf(p, copy_cf);
        if (object.empty())
            o.notes.push_back(std::string("EZBDVIPA IS NOT DUPLEXED: NO ") + (copy_cf ? "COPY" : "PRIMARY") + " TO KILL");
    }
    if (lose_cf && !object.empty()) {
        auto a = p.con.command("SETXCF STOP,REBUILD,DUPLEX,STRNAME=EZBDVIPA", p.owner);
        say("  " + a.text.substr(0, a.text.find('\n')));
        if (!duplex_cf(p, false).empty()) {
            o.notes.push_back("SETXCF STOP,REBUILD,DUPLEX DID NOT END EZBDVIPA'S DUPLEXING");
            object.clear();
        }
    }
    const char* kill_verb = row.kind == fx::fault_kind::kill_iked ? "KILL IKED "
                            : row.kind == fx::fault_kind::kill_cf ? "KILL CF "
                            : image_kill                           ? "KILL IMAGE "
                                                                   : "KILL STACK ";
    const char* restart_verb = row.kind == fx::fault_kind::kill_iked ? "RESTART IKED "
                               : row.kind == fx::fault_kind::kill_cf ? "RESTART CF "
                                                                     : "RESTART STACK ";

    // The fault.
    batch::log_watch logs(p.con);
    batch::report rep;
    // EZBDVIPA full: no entry left for a new SA record before the refresh (the fault, and
    // the time its recovery is measured from), which must take over its old SA's.
    const bool filled = full && batch::make_fault(p.con, "FILL STRUCTURE " + row.target, rep);
    const auto t_fault = steady::now();
    const auto wall_fault = wall_ms();
    bool made = false;
    batch::lan_impairment lan;
    // The XCF link impairment is a line of the control socket of each stack whose
    // incoming link it impairs: the owner's (the row's target), or DVA1's other targets'.
    std::vector<std::string> linked;
    for (const auto& t : p.targets)
        if (row.target == p.owner ? t == p.owner : t != p.owner) linked.push_back(t);
    auto xcf_links = [&](const std::string& line) {
        bool ok = true;
        for (const auto& t : linked) {
            std::string a;
            try {
                a = sysplex::line_request(run::stack_socket(p.con.dir, t).string(), line, std::chrono::seconds(10));
            } catch (const std::exception& e) {
                a = e.what();
            }
            ok = ok && a.rfind("ZPX1045I", 0) == 0;
            say("  " + t + ": " + a.substr(0, a.find('\n')));
        }
        return ok;
    };
    if (xcf_delay) {
        made = xcf_links("XCF LINKS IMPAIR DROP 100 DELAY 20");
    } else if (impair) {
        batch::impairment im;
        auto host = p.hosts.find(row.target);
        im.host_address = host == p.hosts.end() ? 0 : host->second;
        std::string why_not;
        const auto* lan_ns = p.con.r.netns_of("LAN");
        made = lan_ns && lan.start(lan_ns->name, "v" + sysplex::lower(row.target), im, why_not);
        if (!made) rep.say(" THE LAN PORT OF " + row.target + " CANNOT BE IMPAIRED: " + (lan_ns ? why_not : "NO LAN"));
    } else if (row.kind == fx::fault_kind::planned_move) {
        auto a = p.con.command("V TCPIP,TCPIPA,SYSPLEX,DEACTIVATE,DVIPA=" + p.dva1_text, row.target);
        made = a.rc == 0 && a.text.find("ZPX1001I") != std::string::npos;
        if (!made) rep.say(" " + a.text);
    } else if (filled) {
        auto a = p.con.uss("ipsec -y refresh -a", p.owner);
        rep.say(" " + a.text.substr(0, a.text.find('\n')));
        made = a.rc == 0 && a.text.rfind("ZPX1751I", 0) == 0 && a.text.find(": NONE") == std::string::npos;
    } else if (stall && under_hercules) {
        made = batch::make_fault(p.con, "STOP CPU " + row.target, rep);
    } else if (stall) {
        std::string why_not;
        made = signal_stack(p, row.target, SIGSTOP, why_not);
        if (!made) rep.say(" " + why_not);
    } else if (!object.empty()) {
        made = batch::make_fault(p.con, kill_verb + object, rep);
    }
    for (const auto& l : rep.lines) say("  " + l.substr(l.find_first_not_of(' ')));
    if (!made) o.notes.push_back("THE FAULT WAS NOT MADE");
    if (made) say(fmt::format("ZPX1905I {}: FAULT MADE{}", row.name, object != row.target ? " ON " + object : ""));

    // Recovery: a new plain and a new protected connection through the survivors.
    auto until = t_fault + 20s;
    auto plain_probe = std::async(std::launch::async, probe, p.spec("CLIENT1", 1, 1, 1024, 0ms, 1000ms), failed, t_fault, until);
    auto prot_probe = std::async(std::launch::async, probe, p.spec("PEER1", 1, 1, 1024, 0ms, 1000ms), failed, t_fault, until);

    // Detection: the takeover message, or the distributor dropping the target.
    const bool owner_fault =
        row.target == p.owner && (stack_fault || row.kind == fx::fault_kind::planned_move);
    // DVB1's owner (MVS5): MVS4, its backup, takes DVB1 over.
    const bool dvb1_owner_fault = stack_fault && p.dvb1 != 0 && row.target == p.dvb1_owner;
    // Detection by a message: the takeover (EZZ8301I) or the fault's own.
    auto detected_by = [&](const char* msgid, const std::string& text) {
        if (auto line = logs.wait_for(msgid, text, 15s)) {
            long long at = stamp_ms(*line);
            if (at >= 0) o.detection_ms = std::max(0LL, at - wall_fault);
            say(fmt::format("ZPX1905I {}: DETECTED: {}", row.name, line->substr(run::stamp_size)));
        }
    };
    if (owner_fault) {
        detected_by("EZZ8301I", p.dva1_text);
    } else if (dvb1_owner_fault) {
        detected_by("EZZ8301I", p.dvb1_text);
    } else if (full) {
        detected_by("ZPX1764I", "EZBDVIPA IS FULL");
    } else if (lose_cf) {
        detected_by("ZPX1762E", "EZBDVIPA WAS LOST");
    } else if (row.kind == fx::fault_kind::kill_cf) {
        detected_by(copy_cf ? "IXC572I" : "IXC573I", "EZBDVIPA");
    } else if (stack_fault) {
        // The distributor of a DVIPA the system is a target of: DVA1's owner, or DVB1's.
        const std::string& distributor = p.dva1_target(row.target) ? p.owner : p.dvb1_owner;
        const std::string xcf = "DESTXCF:    " + p.xcfip(row.target);
        auto by = t_fault + 15s;
        while (steady::now() < by) {
            auto v = p.con.command("D TCPIP,TCPIPA,NETSTAT,VDPT", distributor).text;
            if (v.find("RECORDS DISPLAYED") != std::string::npos && v.find(xcf) == std::string::npos) {
                o.detection_ms = ms_since(t_fault, steady::now());
                say(fmt::format("ZPX1905I {}: DETECTED: {}'S VDPT NO LONGER HOLDS {}", row.name, distributor, row.target));
                break;
            }
            std::this_thread::sleep_for(20ms);
        }
    }
    // A stalled stack is continued once the others have partitioned its system: it must
    // find itself fenced (ZPX1020E) and never hold DVA1 again beside the new owner.
    if (stall && made) {
        std::this_thread::sleep_for(500ms);
        std::string why_not;
        batch::report cont;
        const bool continued = under_hercules ? batch::make_fault(p.con, "START CPU " + row.target, cont)
                                              : signal_stack(p, row.target, SIGCONT, why_not);
        for (const auto& l : cont.lines) say("  " + l.substr(l.find_first_not_of(' ')));
        if (!continued) o.notes.push_back("NOT CONTINUED" + (why_not.empty() ? "" : ": " + why_not));
        else say(fmt::format("ZPX1905I {}: CONTINUED", row.name));
        if (!logs.wait_for("ZPX1020E", "ON " + row.target + " IS FENCED", 15s))
            o.notes.push_back(row.target + " WAS NOT FENCED AFTER IT CONTINUED (NO ZPX1020E IN 15 S)");
        std::this_thread::sleep_for(500ms);  // time for a second owner to show
        auto own = p.con.command("D TCPIP,TCPIPA,NETSTAT,VIPADYN", row.target).text;
        if (lines_with(own, {p.dva1_text + " ", "Active"}) != 0)
            o.notes.push_back(row.target + " HOLDS DVA1 ACTIVE AGAIN AFTER IT CONTINUED: A SECOND OWNER");
        if (dvb1_owner_fault && lines_with(own, {p.dvb1_text + " ", "Active"}) != 0)
            o.notes.push_back(row.target + " HOLDS DVB1 ACTIVE AGAIN AFTER IT CONTINUED: A SECOND OWNER");
        if (owner_fault) {
            auto dyn = p.con.command("D TCPIP,TCPIPA,SYSPLEX,VIPADYN", p.backup).text;
            if (lines_with(dyn, {"TCPIPA   " + p.backup + "     ACTIVE", "BOTH"}) != 1 ||
                lines_with(dyn, {"TCPIPA   " + row.target + "     ACTIVE"}) != 0)
                o.notes.push_back(p.backup + " DOES NOT HOLD DVA1 ALONE AFTER " + row.target + " CONTINUED");
        }
    }
    auto pp = plain_probe.get();
    auto rp = prot_probe.get();
    if (lose_cf && made && !logs.wait_for("ZPX1750I", "ITS SEQUENCE COUNTER IN EZBDVIPA IS GONE", 10s))
        o.notes.push_back("DVA1'S SA WAS NOT REKEYED AFTER EZBDVIPA WAS LOST (NO ZPX1750I IN 10 S)");
    if (pp && rp) o.recovery_ms = ms_since(t_fault, std::max(*pp, *rp));
    else o.notes.push_back(std::string("NO NEW ") + (pp ? "PROTECTED" : rp ? "PLAIN" : "PLAIN OR PROTECTED") +
                           " CONNECTION SUCCEEDED IN 20 S");

    // New connections after the fault: 4 plain and 4 protected, one after another.
    auto new_plain = std::async(std::launch::async, batch::run_traffic, p.spec("CLIENT1", 4, 1, 16384, 0ms, 10000ms));
    auto new_prot = std::async(std::launch::async, batch::run_traffic, p.spec("PEER1", 4, 1, 16384, 0ms, 10000ms));
    std::vector<batch::traffic_result> longs;
    for (auto& r : running) longs.push_back(r.get());
    auto news = {new_plain.get(), new_prot.get()};
    if (xcf_delay && made && !xcf_links("XCF LINKS IMPAIR OFF")) o.notes.push_back("THE XCF LINKS' IMPAIRMENT DID NOT END");
    if (impair && made) {
        // The impairment lasts through every connection of the row, then the port is back.
        lan.stop();
        const auto& n = lan.counts();
        o.charon_expected = static_cast<long>(n.esp_duplicated_to_host.load());
        say(fmt::format("ZPX1905I {}: {} FRAMES RELAYED: {} LOST, {} DUPLICATED ({} ESP TO {}), {} REORDERED", row.name,
                        n.frames.load(), n.lost.load(), n.duplicated.load(), n.esp_duplicated_to_host.load(), row.target,
                        n.reordered.load()));
        if (n.too_big.load() > 0) o.notes.push_back(fmt::format("{} FRAMES TOO BIG FOR THE RELAY", n.too_big.load()));
    }
    for (const auto& r : longs) {
        if (!r.error.empty()) o.notes.push_back(r.error);
        for (const auto& c : r.connections) {
            const bool of_failed = stack_fault && c.image == row.target;
            o.expected_lost += of_failed;
            if (c.failed.empty() && !c.digest_ok) ++o.digest_bad;
            else if (c.failed.empty()) ++o.kept;
            else {
                ++o.lost;
                o.lost_unexpected += !of_failed;
            }
        }
    }
    for (const auto& r : news) {
        if (!r.error.empty()) o.notes.push_back(r.error);
        for (const auto& c : r.connections) {
            if (stack_fault && c.image == row.target) ++o.new_on_failed;
            if (c.failed.empty() && !c.digest_ok) ++o.digest_bad;
            else if (c.failed.empty()) ++o.kept;
            else ++o.lost, ++o.lost_unexpected;
        }
    }

    // Restore: the failed program started again (the owner takes DVA1 back), or REACTIVATE.
    batch::report back;
    bool restarted = true;
    if (row.kind == fx::fault_kind::planned_move) {
        auto a = p.con.command("V TCPIP,TCPIPA,SYSPLEX,REACTIVATE,DVIPA=" + p.dva1_text, row.target);
        restarted = a.rc == 0 && a.text.find("ZPX1001I") != std::string::npos;
        if (!restarted) back.say(" " + a.text);
    } else if (filled) {
        restarted = batch::make_fault(p.con, "FREE STRUCTURE " + row.target, back);
    } else if (impair || xcf_delay) {
        // Nothing to start again: the port went back on the bridge when the relay ended,
        // the XCF links are whole again.
    } else if (image_kill && made) {
        // The image is IPLed again, as the HMC would after its LPAR was lost; its stack,
        // fenced with its system, must have ended or be ended first.
        restarted = batch::make_fault(p.con, "IPL " + row.target + " WAIT 60", back);
    } else if (stall && made) {
        // The partitioned system is IPLed again (under Hercules); without Hercules its
        // fenced stack, which is the system, is ended and started again.
        restarted = under_hercules ? batch::make_fault(p.con, "IPL " + row.target + " WAIT 60", back)
                                   : batch::make_fault(p.con, "KILL STACK " + row.target, back) &&
                                         batch::make_fault(p.con, "RESTART STACK " + row.target, back);
    } else if (made) {
        restarted = batch::make_fault(p.con, restart_verb + object, back);
    }
    for (const auto& l : back.lines) say("  " + l.substr(l.find_first_not_of(' ')));
    if (restarted && owner_fault && !logs.wait_for("EZZ8302I", p.dva1_text, 30s))
        o.notes.push_back(row.target + " DID NOT TAKE DVA1 BACK (NO EZZ8302I IN 30 S)");
    if (restarted && dvb1_owner_fault && !logs.wait_for("EZZ8302I", p.dvb1_text, 30s))
        o.notes.push_back(row.target + " DID NOT TAKE DVB1 BACK (NO EZZ8302I IN 30 S)");
    if (restarted && row.kind == fx::fault_kind::kill_iked && row.target == p.owner &&
        !logs.wait_for("ZPX1742I", "REPLACED BY", 30s))
        o.notes.push_back(row.target + "'S IKED DID NOT RENEGOTIATE DVA1'S SA (NO ZPX1742I IN 30 S)");
    if (restarted && made && row.kind == fx::fault_kind::kill_cf && !logs.wait_for("IXC570I", "EZBDVIPA", 30s))
        o.notes.push_back("EZBDVIPA WAS NOT DUPLEXED AGAIN (NO IXC570I IN 30 S)");
    // Full, a refreshed SA that could not be shared broke its traffic (its peer deleted it):
    // without the takeover of its old SA's record, deleting the old one freed the entry the
    // next negotiation took, 446 ms later.
    if (filled && made)
        if (auto line = logs.wait_for("EZD0831I", "", 0ms))
            o.notes.push_back("AN SA COULD NOT BE SHARED: " + line->substr(run::stamp_size));
    std::string unsettled = restarted ? settled(p, steady::now() + 60s) : "IT WAS NOT STARTED AGAIN";
    o.restored = unsettled.empty();
    restored = o.restored;
    if (!o.restored) say(fmt::format("ZPX1907E {}: THE SYSPLEX WAS NOT RESTORED: {}", row.name, unsettled));
    else say(fmt::format("ZPX1907I {}: THE SYSPLEX IS AS BEFORE", row.name));

    // The capture, its keys taken again at its end.
    if (tracing) {
        if (!trace.stop(why)) {
            say(fmt::format("ZPX1906W {}: THE LAN TRACE DID NOT END WELL: {}", row.name, why));
        } else if (auto recs = fx::esp_records(file_text(prefix.string() + ".pcap"))) {
            o.esp = fx::check_esp(*recs, p.dva1, p.peer1, peer_window);
            if ((lose_cf || full) && made) {
                // Recovered once DVA1 sends under an SA that was not there before the fault.
                std::set<std::uint32_t> before;
                std::optional<long> first_new;
                for (const auto& e : *recs) {
                    if (e.src != p.dva1 || e.dst != p.peer1) continue;
                    if (e.us < wall_fault * 1000) before.insert(e.spi);
                    else if (!before.count(e.spi)) {
                        first_new = static_cast<long>((e.us - wall_fault * 1000) / 1000);
                        break;
                    }
                }
                o.recovery_ms = first_new;
                if (first_new) say(fmt::format("ZPX1905I {}: FIRST PROTECTED PACKET UNDER THE NEW SA {} MS AFTER THE FAULT",
                                               row.name, *first_new));
                else o.notes.push_back("NO PROTECTED PACKET UNDER A NEW SA ON THE LAN TRACE");
            }
            say(fmt::format("ZPX1908I {}: {} ESP PACKETS FROM DVA1 TO PEER1 UNDER {} SPI(S) IN {}.pcap (KEYS IN {}.esp_sa)",
                            row.name, o.esp->frames, o.esp->spis, prefix.string(), prefix.string()));
        } else {
            say(fmt::format("ZPX1906W {}: {}.pcap IS NOT A PCAP FILE", row.name, prefix.string()));
        }
    }
    if (have_charon) {
        auto c = file_text(charon_log, charon_from);
        o.charon_failures = occurrences(c, "sequence number verification failed") + occurrences(c, "ICV verification failed");
    }
    fx::judge(o);
    say(fmt::format("ZPX1909I {}: {}", row.name, fx::verdict_text(o.result)));
    return o;
}

}  // namespace

std::string fig4_missing(const sysplex::sysplex_config& cfg) {
    std::string missing;
    for (const char* s : {"MVS1", "MVS2", "MVS4"})
        if (!cfg.find_image(s)) missing += std::string(missing.empty() ? "" : ", ") + "SYSTEM " + s;
    bool client = false, peer = false;
    if (cfg.lan)
        for (const auto& h : cfg.lan->hosts) {
            client = client || h.name == "CLIENT1";
            peer = peer || (h.name == "PEER1" && !h.swanctl_dsn.empty());
        }
    if (!client) missing += std::string(missing.empty() ? "" : ", ") + "LAN HOST CLIENT1";
    if (!peer) missing += std::string(missing.empty() ? "" : ", ") + "IPSEC PEER PEER1";
    auto dva = cfg.symbols.find("DVA1");
    in_addr a{};
    if (dva == cfg.symbols.end() || ::inet_pton(AF_INET, dva->second.c_str(), &a) != 1)
        missing += std::string(missing.empty() ? "" : ", ") + "SYMBOL DVA1";
    return missing;
}

matrix_result run_matrix(console& con, const sysplex::sysplex_config& cfg, const std::vector<fx::row_spec>& rows,
                         const fs::path& out_dir, const std::function<void(const std::string&)>& sink,
                         const volatile std::sig_atomic_t* stop) {
    auto t0 = steady::now();
    matrix_result out;
    struct scope {
        scope(const std::function<void(const std::string&)>* s, const volatile std::sig_atomic_t* f) {
            g_say = s;
            g_stop = f;
        }
        ~scope() {
            g_say = nullptr;
            g_stop = nullptr;
        }
    } bound(&sink, stop);
    in_addr a{};
    const auto dva = cfg.symbols.find("DVA1");
    if (dva == cfg.symbols.end() || ::inet_pton(AF_INET, dva->second.c_str(), &a) != 1) {
        say("ZPX1903E THE FAULTS MATRIX IS FIG4'S: THE SYSPLEX HAS NO SYMBOL DVA1");
        out.rc = 8;
        return out;
    }
    plex p{con, cfg.name, dva->second, ntohl(a.s_addr), 0, 0, "MVS1", "MVS2", {"MVS1", "MVS2", "MVS4"}, out_dir};
    if (auto dvb = cfg.symbols.find("DVB1"); dvb != cfg.symbols.end()) {
        in_addr b{};
        if (::inet_pton(AF_INET, dvb->second.c_str(), &b) == 1) p.dvb1 = ntohl(b.s_addr), p.dvb1_text = dvb->second;
    }
    if (cfg.lan)
        for (const auto& h : cfg.lan->hosts) {
            in_addr pa{};
            if (::inet_pton(AF_INET, h.address.substr(0, h.address.find('/')).c_str(), &pa) == 1)
                p.hosts[h.name] = ntohl(pa.s_addr);
        }
    if (auto it = p.hosts.find("PEER1"); it != p.hosts.end()) p.peer1 = it->second;
    try {
        run::ensure_private_dir(p.out);
    } catch (const std::exception& e) {
        say(std::string("ZPX1902E ") + e.what());
        out.rc = 12;
        return out;
    }
    std::vector<fx::row_outcome> done;
    std::string start = settled(p, steady::now() + 60s);
    if (!start.empty()) say("ZPX1907E THE SYSPLEX DID NOT SETTLE BEFORE THE FIRST FAULT: " + start);
    bool restored = start.empty();
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (!restored || interrupted()) {
            fx::row_outcome n;
            n.row = rows[i];
            n.ran = false;
            n.notes.push_back(interrupted() ? "NOT RUN: INTERRUPTED" : "NOT RUN: THE SYSPLEX WAS NOT AS BEFORE");
            fx::judge(n);
            done.push_back(n);
            continue;
        }
        say(fmt::format("ZPX1904I ROW {} OF {}: {} ({})", i + 1, rows.size(), rows[i].name, rows[i].role));
        try {
            done.push_back(run_row(p, rows[i], static_cast<int>(i + 1), restored));
        } catch (const std::exception& e) {
            fx::row_outcome n;
            n.row = rows[i];
            n.notes.push_back(std::string("THE ROW ENDED EARLY: ") + e.what());
            n.restored = restored = false;
            fx::judge(n);
            done.push_back(n);
        }
    }
    out.table = fx::format_table(p.sysplex_name, done);
    std::istringstream table(out.table);
    for (std::string l; std::getline(table, l);) say(l);
    int rc = fx::exit_code(done);
    int pass = 0, fail = 0, unchecked = 0, not_run = 0;
    for (const auto& r : done)
        (r.result == fx::verdict::pass       ? pass
         : r.result == fx::verdict::fail     ? fail
         : r.result == fx::verdict::not_run  ? not_run
                                             : unchecked) += 1;
    say(fmt::format("ZPX1913I FAULTS MATRIX ENDED: {} PASSED, {} FAILED, {} NOT CHECKED{} IN {:.1f} S, RC={}; CAPTURES IN {}",
                    pass, fail, unchecked, not_run ? fmt::format(", {} NOT RUN", not_run) : "",
                    std::chrono::duration<double>(steady::now() - t0).count(), rc, p.out.string()));
    out.rows = std::move(done);
    out.rc = rc;
    return out;
}

}  // namespace zplex::cli::batch
