// SPDX-License-Identifier: Apache-2.0
// The sysplex picture: EZZ8260I parsing, the text display and the Graphviz graph.
#include <zplex/operating/topology.hpp>

#include <algorithm>
#include <sstream>

namespace zplex::operating {

namespace {

std::vector<std::string> words(std::string_view line) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : line) {
        if (c == ' ' || c == '\t' || c == '\r') {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

bool digits(const std::string& s) {
    return !s.empty() && s.size() <= 3 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// A DOT string literal.
std::string q(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        if (static_cast<unsigned char>(c) < 0x20) continue;
        out += c;
    }
    return out + "\"";
}

std::string join(const std::vector<std::string>& v, const char* sep) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
    return out;
}

}  // namespace

std::vector<topology_dvipa> dvipas_from_sysplex_display(std::string_view text) {
    std::vector<topology_dvipa> out;
    std::size_t from = 0;
    while (from < text.size()) {
        auto nl = text.find('\n', from);
        std::string_view line = text.substr(from, nl == std::string_view::npos ? std::string_view::npos : nl - from);
        from = nl == std::string_view::npos ? text.size() : nl + 1;
        if (line.rfind("IPADDR: ", 0) == 0) {
            auto w = words(line.substr(8));
            if (w.empty() || w.front().size() > 45) continue;
            out.push_back({w.front(), {}, {}, {}});
            continue;
        }
        if (out.empty() || line.rfind("  ", 0) != 0) continue;
        auto w = words(line);
        if (w.size() < 3 || w[0].size() > 8 || w[1].size() > 8 || w[0].find('-') != std::string::npos) continue;
        auto& d = out.back();
        std::size_t at = 3;
        int rank = 0;
        if (at < w.size() && digits(w[at])) rank = std::stoi(w[at++]);
        std::string dist = at < w.size() ? w[at] : "";
        const std::string& sys = w[1];
        bool target = dist == "DEST" || dist == "BOTH";
        if (w[2] == "ACTIVE" && (dist.empty() || dist == "BOTH" || dist == "DIST") && d.owner.empty()) d.owner = sys;
        else if (w[2] == "BACKUP") d.backups.push_back({sys, rank});
        if (target && std::find(d.targets.begin(), d.targets.end(), sys) == d.targets.end()) d.targets.push_back(sys);
    }
    for (auto& d : out)
        std::stable_sort(d.backups.begin(), d.backups.end(),
                         [](const topology_backup& a, const topology_backup& b) { return a.rank > b.rank; });
    return out;
}

std::string to_text(const topology& t) {
    std::ostringstream o;
    o << "ZPX1870I SYSPLEX " << t.sysplex << " TOPOLOGY FROM " << t.source << "\n";
    o << "IMAGE    STACK    STATE        OSA              XCF              JOBS\n";
    for (const auto& i : t.images) {
        std::string line = i.name;
        line.resize(9, ' ');
        line += i.stack;
        line.resize(18, ' ');
        line += i.state;
        line.resize(31, ' ');
        line += i.lan_address;
        line.resize(48, ' ');
        line += i.xcf_address;
        line.resize(65, ' ');
        line += i.jobs.empty() ? "-" : join(i.jobs, " ");
        o << line << "\n";
    }
    for (const auto& c : t.cfs) {
        std::string line = "CF       " + c.name;
        line.resize(18, ' ');
        line += c.state;
        line.resize(31, ' ');
        o << line << "STRUCTURES " << (c.structures.empty() ? "NONE" : join(c.structures, " ")) << "\n";
    }
    for (const auto& d : t.dvipas) {
        std::vector<std::string> b;
        for (const auto& x : d.backups) b.push_back(x.system + "(" + std::to_string(x.rank) + ")");
        std::string line = "DVIPA    " + d.address;
        line.resize(25, ' ');
        line += "OWNER " + (d.owner.empty() ? std::string("NONE") : d.owner);
        line.resize(42, ' ');
        o << line << "BACKUP " << (b.empty() ? "NONE" : join(b, " ")) << "  TARGETS "
          << (d.targets.empty() ? "NONE" : join(d.targets, " ")) << "\n";
    }
    if (!t.lan_name.empty()) o << "LAN      " << t.lan_name << " " << t.lan_subnet << "\n";
    for (const auto& h : t.hosts) {
        std::string line = "HOST     " + h.name;
        line.resize(18, ' ');
        line += h.address;
        line.resize(37, ' ');
        o << line << h.role << "\n";
    }
    return o.str();
}

std::string to_dot(const topology& t) {
    std::ostringstream o;
    o << "digraph " << q(t.sysplex) << " {\n"
      << "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=12, nodesep=0.3, ranksep=1.1, label="
      << q("SYSPLEX " + t.sysplex + "  (" + t.source + ")") << ", labelloc=t];\n"
      << "  node [fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=9];\n";
    // The LAN and its hosts.
    if (!t.lan_name.empty()) {
        o << "  subgraph cluster_lan {\n    label=" << q("LAN " + t.lan_name + " " + t.lan_subnet)
          << "; style=rounded; color=\"#4a7ab0\";\n";
        o << "    " << q("lan:" + t.lan_name) << " [label=" << q(t.lan_name + "\n" + t.lan_subnet)
          << ", shape=box, style=\"rounded,filled\", fillcolor=\"#dce8f5\"];\n";
        for (const auto& h : t.hosts)
            o << "    " << q("host:" + h.name) << " [label=" << q(h.name + "\n" + h.address + "\n" + h.role)
              << ", shape=box, style=filled, fillcolor=\"#f2f2f2\"];\n";
        o << "  }\n";
        for (const auto& h : t.hosts) o << "  " << q("host:" + h.name) << " -> " << q("lan:" + t.lan_name) << " [dir=none];\n";
    }
    // The images with their stacks.
    o << "  subgraph cluster_images {\n    label=\"IMAGES\"; style=rounded; color=\"#5a8f5a\";\n";
    for (const auto& i : t.images) {
        bool up = i.state == "ACTIVE" || i.state == "DEFINED";
        std::string label = i.name + "\n" + i.stack + "  " + i.state + "\nOSA " + i.lan_address + "\nXCF " + i.xcf_address;
        if (!i.jobs.empty()) label += "\nJOBS " + join(i.jobs, " ");
        o << "    " << q("image:" + i.name) << " [label=" << q(label) << ", shape=box3d, style=filled, fillcolor="
          << (up ? "\"#e3f1e3\"" : "\"#f6d6d6\"") << "];\n";
    }
    o << "  }\n";
    if (!t.lan_name.empty())
        for (const auto& i : t.images) o << "  " << q("lan:" + t.lan_name) << " -> " << q("image:" + i.name) << " [dir=none, color=\"#4a7ab0\"];\n";
    // The CFs and their structures; every image is connected to each CF.
    for (const auto& c : t.cfs) {
        std::string label = c.name + "  " + c.state;
        for (const auto& s : c.structures) label += "\n" + s;
        o << "  " << q("cf:" + c.name) << " [label=" << q(label) << ", shape=cylinder, style=filled, fillcolor=\"#fbefd5\"];\n";
        for (const auto& i : t.images)
            o << "  " << q("image:" + i.name) << " -> " << q("cf:" + c.name) << " [dir=none, color=\"#c9a25b\", style=dotted];\n";
    }
    // The DVIPAs: owner, backups, targets.
    for (const auto& d : t.dvipas) {
        o << "  " << q("dvipa:" + d.address) << " [label=" << q("DVIPA " + d.address + "\nOWNER " + (d.owner.empty() ? "NONE" : d.owner))
          << ", shape=ellipse, style=filled, fillcolor=\"#fff7b0\"];\n";
        if (!d.owner.empty())
            o << "  " << q("dvipa:" + d.address) << " -> " << q("image:" + d.owner) << " [label=\"owner\", penwidth=2.5, color=\"#b8860b\"];\n";
        for (const auto& b : d.backups)
            o << "  " << q("dvipa:" + d.address) << " -> " << q("image:" + b.system) << " [label=" << q("backup " + std::to_string(b.rank))
              << ", style=dashed, color=\"#777777\"];\n";
        for (const auto& s : d.targets)
            if (s != d.owner)
                o << "  " << q("dvipa:" + d.address) << " -> " << q("image:" + s) << " [label=\"target\", style=dotted, color=\"#2f6fb0\"];\n";
    }
    o << "}\n";
    return o.str();
}

}  // namespace zplex::operating
