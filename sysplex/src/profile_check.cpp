// SPDX-License-Identifier: Apache-2.0
// `zplex profile check`: process a PROFILE as the stack would at start, print the
// job log messages and a summary; exit 0 clean, 4 warnings, 8 errors.
#include "commands.hpp"

#include <zplex/sysplex/catalogue.hpp>
#include <zplex/tcpip/profile/parser.hpp>
#include <zplex/tcpip/profile/summary.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

namespace zplex::cli {

namespace fs = std::filesystem;
namespace tp = zplex::tcpip::profile;

namespace {

struct check_options {
    std::string sysplex_dir;
    std::string system;
    bool all = false;
    bool summary = true;
    std::vector<std::string> obeyfiles;
    std::string target;
};

/// The folder holding SYSPLEX.xml at or above @p start, if any.
bool same_file(const fs::path& a, const fs::path& b) {
    std::error_code ec;
    return fs::equivalent(a, b, ec);
}

void print_log(const tp::message_log& log, std::size_t from) {
    const auto& msgs = log.messages();
    for (std::size_t i = from; i < msgs.size(); ++i) {
        std::cout << msgs[i].str() << "\n";
    }
}

int check_one(const sysplex::catalogue* cat, const sysplex::image_config* image, const std::string& ref,
              const check_options& o) {
    tp::parse_options po;
    sysplex::dataset_catalogue plain(fs::current_path());
    const sysplex::dataset_catalogue& datasets = cat ? cat->datasets() : plain;
    po.reader = tp::catalogue_reader(datasets);
    if (cat && image) {
        po.symbols = cat->config().symbols_for(*image);
    } else if (cat) {
        po.symbols = cat->config().symbols;
        po.symbols["SYSPLEX"] = cat->config().name;
    }
    std::string who = image ? fmt::format(" FOR {} ({})", image->name, image->tcpip_proc) : "";
    std::string shown = ref;
    if (auto dsn = sysplex::looks_like_dataset_name(ref) ? sysplex::parse_dataset_name(ref) : std::nullopt) {
        shown = "'" + dsn->str() + "'";
    }
    std::cout << fmt::format("ZPX0010I CHECKING PROFILE {}{}{}\n", shown, who,
                             cat ? " IN SYSPLEX " + cat->config().name : "");
    tp::message_log log;
    auto profile = tp::process_initial_profile(ref, po, log);
    print_log(log, 0);
    for (const auto& obey : o.obeyfiles) {
        auto from = log.messages().size();
        tp::apply_obeyfile(profile, obey, po, log);
        print_log(log, from);
    }
    int rc = log.return_code();
    if (o.summary && !log.has("EZZ0325I")) {
        std::cout << tp::format_summary(profile, image ? image->name : "", image ? image->tcpip_proc : "");
    }
    std::cout << fmt::format("ZPX0011I PROFILE CHECK{} ENDED: {} ERROR(S), {} WARNING(S), RC={}\n", who,
                             log.count(tp::severity::error), log.count(tp::severity::warning), rc);
    return rc;
}

int run_check(const check_options& o) {
    std::optional<sysplex::catalogue> cat;
    std::string dir = sysplex_dir_for(o.sysplex_dir, o.target);
    if (!dir.empty()) {
        try {
            cat.emplace(sysplex::catalogue::load(dir, false));
        } catch (const sysplex::catalogue_error& e) {
            std::cout << e.what() << "\n";
            return 8;
        }
    }
    const sysplex::catalogue* cp = cat ? &*cat : nullptr;

    if (o.all) {
        if (!cp) {
            std::cout << "ZPX0012I --all NEEDS A SYSPLEX: GIVE --sysplex DIR\n";
            return 2;
        }
        int rc = 0;
        for (const auto& image : cp->config().images) {
            rc = std::max(rc, check_one(cp, &image, image.profile_dsn, o));
        }
        return rc;
    }

    const sysplex::image_config* image = nullptr;
    if (!o.system.empty()) {
        if (!cp) {
            std::cout << "ZPX0012I --system NEEDS A SYSPLEX: GIVE --sysplex DIR\n";
            return 2;
        }
        image = cp->config().find_image(o.system);
        if (!image) {
            std::cout << fmt::format("ZPX0013I SYSTEM {} IS NOT AN IMAGE OF SYSPLEX {}\n", o.system, cp->config().name);
            return 2;
        }
    }
    std::string ref = o.target;
    if (ref.empty()) {
        if (!image) {
            std::cout << "ZPX0014I NAME A PROFILE DATA SET OR FILE, OR GIVE --system OR --all\n";
            return 2;
        }
        ref = image->profile_dsn;
    }
    if (cp && !image) {
        // A profile of one of the images: use that image's symbols.
        std::string why;
        auto path = cp->datasets().resolve(ref, &why);
        for (const auto& im : cp->config().images) {
            auto ip = cp->datasets().resolve(im.profile_dsn, &why);
            if (path && ip && same_file(*path, *ip)) {
                image = &im;
                ref = im.profile_dsn;  // messages name the dataset, as the stack would
                break;
            }
        }
    }
    return check_one(cp, image, ref, o);
}

}  // namespace

void add_profile_commands(CLI::App& app, exit_status& status) {
    auto* profile = app.add_subcommand("profile", "TCP/IP PROFILE datasets");
    profile->require_subcommand(1);
    auto o = std::make_shared<check_options>();
    auto* check = profile->add_subcommand(
        "check", "Process a PROFILE as the stack does at start: messages, summary; exit 0/4/8");
    check->add_option("--sysplex", o->sysplex_dir, "Sysplex folder with SYSPLEX.xml (default: found above FILE)")
        ->check(CLI::ExistingDirectory);
    check->add_option("--system", o->system, "Image whose symbols and profile to use (MVS1 ...)");
    check->add_flag("--all", o->all, "Check the profile of every image in the sysplex");
    check->add_option("--obey", o->obeyfiles, "OBEYFILE data set(s) to apply after the initial profile");
    check->add_flag("!--no-summary", o->summary, "Print only the messages");
    check->add_option("profile", o->target, "PROFILE data set name (SYS1.TCPPARMS(PROFMVS1)) or file");
    check->callback([o, &status] { status.code = run_check(*o); });
}

}  // namespace zplex::cli
