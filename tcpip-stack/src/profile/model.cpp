// SPDX-License-Identifier: Apache-2.0
// Look-ups over the profile model, names of enumerations, the message log.
#include <zplex/tcpip/profile/messages.hpp>
#include <zplex/tcpip/profile/model.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <cstdio>

namespace zplex::tcpip::profile {

namespace {
template <class V, class P>
auto find_in(const V& v, P pred) -> decltype(&v.front()) {
    auto it = std::find_if(v.begin(), v.end(), pred);
    return it == v.end() ? nullptr : &*it;
}

std::string two_digits(unsigned v) {
    return fmt::format("{:02}", v % 100);
}
}  // namespace

const dvipa_config* profile::find_dvipa(ipv4_address a) const {
    return find_in(dvipas, [&](const dvipa_config& d) { return d.address == a; });
}
const device_config* profile::find_device(std::string_view name) const {
    return find_in(devices, [&](const device_config& d) { return d.name == name; });
}
const link_config* profile::find_link(std::string_view name) const {
    return find_in(links, [&](const link_config& l) { return l.name == name; });
}
const interface_config* profile::find_interface(std::string_view name) const {
    return find_in(interfaces, [&](const interface_config& i) { return i.name == name; });
}

namespace {
template <class D, class K>
std::vector<const D*> distributions_with(const std::vector<D>& all, const K& key) {
    std::vector<const D*> out;
    for (const auto& d : all) {
        if (d.address == key) {
            out.push_back(&d);
        }
    }
    return out;
}
}  // namespace

std::vector<const distribution_config*> profile::distributions_of(ipv4_address a) const {
    return distributions_with(distributions, a);
}

const dvipa6_config* profile::find_dvipa6(std::string_view interface) const {
    return find_in(dvipas6, [&](const dvipa6_config& d) { return d.interface == interface; });
}

std::vector<const distribution6_config*> profile::distributions6_of(std::string_view interface) const {
    return distributions_with(distributions6, interface);
}

// z/OS IP Config Guide: XCFGRPID tt gives group EZBTvvtt and structures
// EZBDVIPAvvtt / EZBEPORTvvtt, vv defaulting to 01.
std::string globalconfig_config::xcf_group() const {
    if (!xcf_group_id) {
        return "EZBTCPCS";
    }
    return "EZBT" + two_digits(vtam_group_id.value_or(1)) + two_digits(*xcf_group_id);
}

std::string globalconfig_config::structure_name(const std::string& base) const {
    if (!xcf_group_id) {
        return base;
    }
    return base + two_digits(vtam_group_id.value_or(1)) + two_digits(*xcf_group_id);
}

const char* to_string(dist_method m) {
    switch (m) {
    case dist_method::basewlm: return "BASEWLM";
    case dist_method::roundrobin: return "ROUNDROBIN";
    case dist_method::serverwlm: return "SERVERWLM";
    case dist_method::weightedactive: return "WEIGHTEDACTIVE";
    case dist_method::hotstandby: return "HOTSTANDBY";
    }
    return "?";
}

const char* to_string(moveable_mode m) {
    return m == moveable_mode::immediate ? "IMMEDIATE" : "WHENIDLE";
}

const char* to_string(vipa_origin o) {
    return o == vipa_origin::define ? "VIPADEFINE" : "VIPABACKUP";
}

const char* to_string(filter_direction d) {
    switch (d) {
    case filter_direction::bidirectional: return "BIDIRECTIONAL";
    case filter_direction::inbound: return "INBOUND";
    case filter_direction::outbound: return "OUTBOUND";
    case filter_direction::inbconnect: return "INBCONNECT";
    case filter_direction::outbconnect: return "OUTBCONNECT";
    }
    return "?";
}

const char* to_string(filter_routing r) {
    switch (r) {
    case filter_routing::local: return "LOCAL";
    case filter_routing::routed: return "ROUTED";
    case filter_routing::either: return "EITHER";
    }
    return "?";
}

std::size_t message_log::count(severity s) const noexcept {
    return static_cast<std::size_t>(
        std::count_if(_messages.begin(), _messages.end(), [&](const message& m) { return m.level == s; }));
}

int message_log::return_code() const noexcept {
    if (count(severity::error) > 0) {
        return 8;
    }
    return count(severity::warning) > 0 ? 4 : 0;
}

bool message_log::has(std::string_view id) const noexcept {
    return std::any_of(_messages.begin(), _messages.end(), [&](const message& m) { return m.id == id; });
}

}  // namespace zplex::tcpip::profile
