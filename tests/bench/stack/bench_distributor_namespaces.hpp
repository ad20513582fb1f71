// SPDX-License-Identifier: Apache-2.0
// The namespace half of bench_stack_distributor (bench_distributor_namespaces.cpp).
#pragma once

#include <string>
#include <vector>

/// One row: zplex's figure next to a reference measured in the same run.
struct bench_row {
    std::string what, unit, reference_name;
    double reference = 0, zplex = 0;
    std::string note;
};

/// FIG4's MVS1, MVS2 and MVS4 in namespaces with a router and a client: connection rates
/// and bulk throughput through the distributor against nftables and direct paths. Root.
void distributor_namespace_rows(std::vector<bench_row>& rows);
