// SPDX-License-Identifier: Apache-2.0
// The picture of a sysplex `zplex topology` draws: images and their stacks, CFs and
// their structures, DVIPAs with owner, backups and distribution targets, the LAN and its
// hosts. Filled from a running sysplex (the stacks' EZZ8260I, the run record) or from
// the catalogue; written as text or as a Graphviz graph. Pure: no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace zplex::operating {

struct topology_image {
    std::string name;         ///< MVS1
    std::string stack;        ///< TCPIPA
    std::string state;        ///< ACTIVE, NOT ACTIVE, DEFINED (catalogue only)
    std::string lan_address;  ///< the OSA address on the LAN
    std::string xcf_address;  ///< its dynamic XCF address
    std::vector<std::string> jobs;  ///< AUTOLOG jobs
};

struct topology_cf {
    std::string name;
    std::string state;
    std::vector<std::string> structures;
};

struct topology_backup {
    std::string system;
    int rank = 0;
    friend bool operator==(const topology_backup&, const topology_backup&) = default;
};

struct topology_dvipa {
    std::string address;
    std::string owner;                      ///< system owning it (empty: none active)
    std::vector<topology_backup> backups;   ///< highest rank first
    std::vector<std::string> targets;       ///< systems it is distributed to
};

struct topology_host {
    std::string name, address, role;
};

struct topology {
    std::string sysplex;
    std::string source;        ///< "RUNNING SYSPLEX (run dir)" or "CATALOGUE (folder)"
    std::string lan_name, lan_subnet;
    std::vector<topology_image> images;
    std::vector<topology_cf> cfs;
    std::vector<topology_dvipa> dvipas;
    std::vector<topology_host> hosts;
};

/// The DVIPAs of a `D TCPIP,,SYSPLEX,VIPADYN` answer (EZZ8260I): owner the ACTIVE
/// entry that distributes or holds it (DIST BOTH or blank), targets the ACTIVE DEST
/// entries and the owner when it is one too (BOTH), backups with their ranks. Lines it
/// does not understand are skipped.
std::vector<topology_dvipa> dvipas_from_sysplex_display(std::string_view text);

/// One block per part, in the layout of the other zplex displays.
std::string to_text(const topology& t);

/// A Graphviz digraph: the LAN with its hosts, each image (with its stack and jobs), the
/// CFs with their structures, each DVIPA with edges to its owner (bold), backups
/// (dashed, with the rank) and targets (dotted). Names are quoted for DOT.
std::string to_dot(const topology& t);

}  // namespace zplex::operating
