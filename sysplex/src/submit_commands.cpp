// SPDX-License-Identifier: Apache-2.0
// `zplex submit JOB [--scan] [--sysplex DIR] [--junit FILE] [--spool DIR]` and
// `zplex output [JOBnnnnn]`: run a job (or only convert and list it) and keep its job
// log in the spool, as JES2 does. Exit: the job's highest condition code (docs/jcl.md).
#include "batch/batch.hpp"
#include "commands.hpp"

#include <zplex/jes/executor.hpp>
#include <zplex/sysplex/catalogue.hpp>
#include <zplex/sysplex/text.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

namespace zplex::cli {

namespace fs = std::filesystem;

namespace {

struct submit_options {
    std::string job;
    std::string sysplex_dir;
    std::string junit;
    std::string spool;
    std::string run_dir;
    std::string system;
    bool up = false;
    bool no_hercules = false;
    bool scan = false;
    bool quiet = false;
};

/// The spool folder: --spool, $ZPLEX_SPOOL, or /tmp/zplex-spool-UID. Created 0700; one
/// that belongs to another user is refused.
std::optional<fs::path> spool_dir(const std::string& given, std::string& why) {
    fs::path dir = given;
    if (dir.empty()) {
        if (const char* env = std::getenv("ZPLEX_SPOOL"); env && *env) {
            dir = env;
        } else {
            dir = fmt::format("/tmp/zplex-spool-{}", ::getuid());
        }
    }
    std::error_code ec;
    fs::create_directories(dir, ec);
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        why = fmt::format("{} IS NOT A DIRECTORY", dir.string());
        return std::nullopt;
    }
    if (st.st_uid != ::getuid()) {
        why = fmt::format("{} BELONGS TO ANOTHER USER", dir.string());
        return std::nullopt;
    }
    ::chmod(dir.c_str(), 0700);
    return dir;
}

/// The next job number, JOB00001 to JOB99999, kept in SPOOL/JOBNUM under a lock.
std::string next_jobid(const fs::path& spool) {
    auto file = spool / "JOBNUM";
    int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return "JOB00001";
    }
    ::flock(fd, LOCK_EX);
    char buf[16] = {};
    auto n = ::read(fd, buf, sizeof buf - 1);
    int last = n > 0 ? std::atoi(buf) : 0;
    int next = last % 99999 + 1;
    auto text = std::to_string(next);
    (void)!::ftruncate(fd, 0);
    (void)!::pwrite(fd, text.data(), text.size(), 0);
    ::flock(fd, LOCK_UN);
    ::close(fd);
    return fmt::format("JOB{:05}", next);
}

void write_file(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
    ::chmod(p.c_str(), 0600);
}

std::string lines(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& l : v) {
        s += l + "\n";
    }
    return s;
}

/// SPOOL/JOBnnnnn: JESMSGLG, JESJCL, JESYSMSG, one file a SYSOUT data set, the whole
/// JOBLOG and a STATUS line (jobname and how it ended).
void keep_in_spool(const fs::path& spool, const jes::job_log& log) {
    auto dir = spool / log.jobid;
    std::error_code ec;
    fs::remove_all(dir, ec);  // a job number used again (after JOB99999)
    fs::create_directory(dir, ec);
    ::chmod(dir.c_str(), 0700);
    write_file(dir / "JESMSGLG", lines(log.jesmsglg));
    write_file(dir / "JESJCL", lines(log.jesjcl));
    write_file(dir / "JESYSMSG", lines(log.jesysmsg));
    int seq = 101;
    for (const auto& so : log.sysouts) {
        write_file(dir / fmt::format("D{:07}.{}{}.{}", seq++, so.step, so.procstep.empty() ? "" : "." + so.procstep,
                                     so.ddname),
                   lines(so.lines));
    }
    write_file(dir / "JOBLOG", log.str());
    std::string how = log.jcl_error ? "JCL ERROR" : !log.abend.empty() ? "ABEND=" + log.abend
                                                                           : fmt::format("RC={:04}", log.maxcc);
    write_file(dir / "STATUS", fmt::format("{} {} {}\n", log.jobid, log.jobname, how));
}

std::optional<std::string> slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

int run_submit(const submit_options& o) {
    // The sysplex: --sysplex, SYSPLEX.xml above the job, $ZPLEX_SYSPLEX; or none (data
    // sets below the current directory).
    std::optional<sysplex::catalogue> cat;
    bool is_dsn = sysplex::looks_like_dataset_name(o.job) && !fs::exists(o.job);
    std::string dir = sysplex_dir_for(o.sysplex_dir, o.job);
    if (!dir.empty()) {
        try {
            cat.emplace(sysplex::catalogue::load(dir, false));
        } catch (const sysplex::catalogue_error& e) {
            std::cout << e.what() << "\n";
            return jes::exit_jcl_error;
        }
    }
    sysplex::dataset_catalogue plain(fs::current_path());
    const sysplex::dataset_catalogue& datasets = cat ? cat->datasets() : plain;

    std::string source = o.job;
    std::optional<std::string> text;
    std::string why;
    if (is_dsn) {
        auto n = sysplex::parse_dataset_name(o.job, &why);
        if (n) {
            source = n->str();
            auto p = datasets.resolve(o.job, &why);
            text = p ? slurp(*p) : std::nullopt;
        }
    } else {
        std::error_code ec;
        if (fs::is_directory(o.job, ec)) {
            why = "IT IS A DIRECTORY, NOT A FILE";
        } else {
            text = slurp(o.job);
            if (!text) {
                why = "NO SUCH FILE";
            }
        }
    }
    if (!text) {
        std::cout << fmt::format("ZPX0531E JOB {} NOT SUBMITTED: {}\n", source, sysplex::upper(why));
        return 2;
    }

    jes::convert_options co;
    co.read_member = [&datasets](const std::string& lib, const std::string& member) -> std::optional<std::string> {
        auto p = datasets.path_of({lib, member});
        std::error_code ec;
        if (!fs::is_regular_file(p, ec)) {
            return std::nullopt;
        }
        return slurp(p);
    };
    // JES2's PROCLIB concatenation: the one SYSPLEX.xml names, SYS1.PROCLIB without a sysplex.
    co.proclib = cat ? cat->config().proclib : std::vector<std::string>{"SYS1.PROCLIB"};
    if (const char* user = std::getenv("USER"); user && *user) {
        co.sysuid = sysplex::upper(std::string(user).substr(0, 8));
    }
    auto j = jes::convert(*text, source, co);

    jes::run_options ro;
    ro.datasets = &datasets;
    ro.user = co.sysuid;
    if (cat && !cat->config().images.empty()) {
        ro.system = cat->config().images.front().name;
        if (!o.system.empty()) {
            if (!cat->config().find_image(sysplex::upper(o.system))) {
                std::cout << fmt::format("ZPX0536E SYSTEM {} IS NOT IN SYSPLEX {}\n", sysplex::upper(o.system), cat->config().name);
                return 2;
            }
            ro.system = sysplex::upper(o.system);
        }
    }
    std::optional<fs::path> spool;
    if (!o.scan) {
        spool = spool_dir(o.spool, why);
        if (!spool) {
            std::cout << fmt::format("ZPX0532E NO SPOOL: {}\n", why);
            return 2;
        }
        ro.jobid = next_jobid(*spool);
    } else {
        ro.jobid = "JOB00000";
    }
    // BPXBATCH steps find zplex's own commands first, and the job's sysplex.
    std::error_code ec;
    auto self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const char* path = std::getenv("PATH");
        std::string p = self.parent_path().string() + (path && *path ? ":" + std::string(path) : std::string());
        ::setenv("PATH", p.c_str(), 1);
    }
    if (cat) {
        ::setenv("ZPLEX_SYSPLEX", fs::absolute(dir, ec).c_str(), 1);
    }
    // The job's own zplex commands (BPXBATCH: zplex exec, zplex syslog) see its run.
    if (!o.run_dir.empty()) ::setenv("ZPLEX_RUN_DIR", fs::absolute(o.run_dir, ec).c_str(), 1);
    // zplex's own programs drive the running sysplex of the job, and BPXBATCH runs in
    // the namespace of the job's system (docs/jcl.md).
    bool brought_up = false;
    if (cat) {
        batch::context bc{o.run_dir, fs::absolute(dir, ec).string()};
        for (auto& [n, p] : batch::programs(bc)) ro.programs[n] = std::move(p);
        for (const char* bpx : {"BPXBATCH", "BPXBATSL"}) ro.programs[bpx] = batch::image_bpxbatch(bc, ro.system, ro.programs[bpx]);
        if (o.up && !o.scan && !j.jcl_error()) {
            int rc = bring_up(bc.sysplex_dir, o.run_dir, o.no_hercules);
            if (rc != 0) {
                std::cout << fmt::format("ZPX0537E JOB {} NOT RUN: zplex up ENDED WITH {}\n", j.name, rc);
                return rc;
            }
            brought_up = true;
        }
    } else if (o.up) {
        std::cout << "ZPX0537E --up NEEDS A SYSPLEX: --sysplex DIR, SYSPLEX.xml ABOVE THE JOB, OR $ZPLEX_SYSPLEX\n";
        return 2;
    }
    jes::job_log log = o.scan ? jes::scan_job(j, ro) : jes::run_job(j, ro);
    batch::finish_background();
    if (spool) {
        keep_in_spool(*spool, log);
    }
    if (!o.quiet) {
        std::cout << log.str();
    }
    std::string how = log.jcl_error ? "JCL ERROR" : log.scanned ? "SCANNED, NOT RUN"
                                  : !log.abend.empty()          ? "ABEND=" + log.abend
                                                                : fmt::format("RC={:04}", log.maxcc);
    std::cout << fmt::format("ZPX0533I {} {} ENDED - {}, EXIT CODE {}{}\n", log.jobname, log.jobid, how, log.exit_code(),
                             spool ? fmt::format(" (zplex output {})", log.jobid) : std::string());
    if (!o.junit.empty()) {
        write_file(o.junit, jes::junit_xml({log}));
    }
    if (brought_up) take_down(o.run_dir, fs::absolute(dir, ec).string());
    return log.exit_code();
}

int run_output(const std::string& jobid, const std::string& spool_given, const std::string& part) {
    std::string why;
    auto spool = spool_dir(spool_given, why);
    if (!spool) {
        std::cout << fmt::format("ZPX0532E NO SPOOL: {}\n", why);
        return 2;
    }
    if (jobid.empty()) {
        std::vector<std::string> rows;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(*spool, ec)) {
            if (auto s = slurp(e.path() / "STATUS")) {
                rows.push_back(*s);
            }
        }
        std::sort(rows.begin(), rows.end());
        std::cout << "JOBID    JOBNAME  ENDED\n";
        for (const auto& r : rows) {
            std::cout << r;
        }
        return 0;
    }
    std::string id = sysplex::upper(jobid);
    std::string what = sysplex::upper(part);
    if (!what.empty() && what != "JESMSGLG" && what != "JESJCL" && what != "JESYSMSG") {
        std::cout << fmt::format("ZPX0535E {} IS NOT A JES DATA SET: NAME JESMSGLG, JESJCL OR JESYSMSG\n", part.substr(0, 16));
        return 2;
    }
    if (id.size() > 12 || id.find('/') != std::string::npos || id.find("..") != std::string::npos) {
        std::cout << fmt::format("ZPX0534E JOB {} IS NOT IN THE SPOOL\n", jobid.substr(0, 16));
        return 8;
    }
    auto file = *spool / id / (what.empty() ? "JOBLOG" : what);
    auto text = slurp(file);
    if (!text) {
        std::cout << fmt::format("ZPX0534E JOB {}{} IS NOT IN THE SPOOL\n", id, part.empty() ? "" : " " + sysplex::upper(part));
        return 8;
    }
    std::cout << *text;
    return 0;
}

}  // namespace

void add_submit_commands(CLI::App& app, exit_status& status) {
    auto o = std::make_shared<submit_options>();
    auto* submit = app.add_subcommand(
        "submit", "Run a JCL job and print its job log; exit with its highest condition code (docs/jcl.md)");
    submit->add_option("job", o->job, "The job: a file, or a data set (USER.JCL(DEMO)) of the sysplex")->required();
    submit->add_flag("--scan", o->scan, "Convert and list the job only (TYPRUN=SCAN): nothing runs, no sysplex needed");
    submit->add_option("--sysplex", o->sysplex_dir, "Sysplex folder with SYSPLEX.xml (default: found above the job, $ZPLEX_SYSPLEX)")
        ->check(CLI::ExistingDirectory);
    submit->add_option("--junit", o->junit, "Write a JUnit XML report: one testsuite for the job, one testcase a step");
    submit->add_option("--spool", o->spool, "Spool folder (default: $ZPLEX_SPOOL or /tmp/zplex-spool-UID)");
    submit->add_option("--run-dir", o->run_dir, "Run directory of the sysplex the job's ZPXOPER/ZPXTRAF/ZPXFAULT steps drive");
    submit->add_option("--system", o->system, "The system the job runs on: BPXBATCH in its namespace, SYS in $HASP373 (default: the first image)");
    submit->add_flag("--up", o->up, "Bring the sysplex up for the job (zplex up) and down after it");
    submit->add_flag("--no-hercules", o->no_hercules, "With --up: no Hercules images (zplex up --no-hercules)");
    submit->add_flag("--quiet", o->quiet, "Do not print the job log (it is still kept in the spool)");
    submit->callback([o, &status] { status.code = run_submit(*o); });

    auto jobid = std::make_shared<std::string>();
    auto spool = std::make_shared<std::string>();
    auto part = std::make_shared<std::string>();
    auto* output = app.add_subcommand("output", "Print a job's log from the spool; without a job, list the spool");
    output->add_option("jobid", *jobid, "JOBnnnnn");
    output->add_option("dataset", *part, "Only this part: JESMSGLG, JESJCL, JESYSMSG");
    output->add_option("--spool", *spool, "Spool folder (default: $ZPLEX_SPOOL or /tmp/zplex-spool-UID)");
    output->callback([jobid, spool, part, &status] { status.code = run_output(*jobid, *spool, *part); });
}

}  // namespace zplex::cli
