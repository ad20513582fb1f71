// SPDX-License-Identifier: Apache-2.0
// SPD lookups: dynamic filters first, then static rules through a protocol/port index.
#include <zplex/ipsec/spd.hpp>

#include <algorithm>

namespace zplex::ipsec {

namespace {

constexpr int any_protocol = 256;
constexpr int any_port = 65536;

std::uint32_t key_of(int protocol, int port) { return static_cast<std::uint32_t>(protocol) << 17 | static_cast<std::uint32_t>(port); }


}  // namespace

bool spd::matches(const spd_rule& r, const spd_selector& s) noexcept {
    if (r.direction != spd_direction::both && r.direction != s.direction) {
        return false;
    }
    if (!in_prefix(s.src, r.src, r.src_len) || !in_prefix(s.dst, r.dst, r.dst_len)) {
        return false;
    }
    if (r.protocol && *r.protocol != s.protocol) {
        return false;
    }
    if (s.protocol == 6 || s.protocol == 17) {
        return s.src_port >= r.src_port_lo && s.src_port <= r.src_port_hi && s.dst_port >= r.dst_port_lo &&
               s.dst_port <= r.dst_port_hi;
    }
    return r.src_port_lo == 0 && r.src_port_hi == 65535 && r.dst_port_lo == 0 && r.dst_port_hi == 65535;
}

void spd::add(spd_rule r) {
    _static.push_back(std::move(r));
    reindex();
}

void spd::add_dynamic(spd_rule r) {
    auto idx = static_cast<std::uint32_t>(_dynamic.size());
    if (r.dst_len == 32) {
        std::pair<std::uint32_t, std::uint32_t> key{r.dst, idx};
        _dyn_host.insert(std::upper_bound(_dyn_host.begin(), _dyn_host.end(), key), key);
    } else {
        _dyn_wild.push_back(idx);
    }
    _dynamic.push_back(std::move(r));
}

std::size_t spd::remove_dynamic(const std::string& sa_name) {
    auto before = _dynamic.size();
    std::erase_if(_dynamic, [&](const spd_rule& r) { return r.sa_name == sa_name; });
    if (_dynamic.size() != before) {
        reindex_dynamic();
    }
    return before - _dynamic.size();
}

void spd::reindex_dynamic() {
    _dyn_host.clear();
    _dyn_wild.clear();
    for (std::uint32_t i = 0; i < _dynamic.size(); ++i) {
        if (_dynamic[i].dst_len == 32) {
            _dyn_host.emplace_back(_dynamic[i].dst, i);
        } else {
            _dyn_wild.push_back(i);
        }
    }
    std::sort(_dyn_host.begin(), _dyn_host.end());
}

void spd::reindex() {
    _index.clear();
    auto add_to = [&](std::uint32_t key, std::uint32_t rule) {
        auto it = std::lower_bound(_index.begin(), _index.end(), key,
                                   [](const key_bucket& b, std::uint32_t k) { return b.key < k; });
        if (it == _index.end() || it->key != key) {
            it = _index.insert(it, key_bucket{key, {}});
        }
        it->rules.push_back(rule);
    };
    for (std::uint32_t i = 0; i < _static.size(); ++i) {
        const auto& r = _static[i];
        int proto = r.protocol ? *r.protocol : any_protocol;
        int port = (r.dst_port_lo == r.dst_port_hi && r.protocol && (*r.protocol == 6 || *r.protocol == 17))
                       ? r.dst_port_lo
                       : any_port;
        add_to(key_of(proto, port), i);
    }
}

const std::vector<std::uint32_t>* spd::bucket(int protocol, int port) const noexcept {
    auto key = key_of(protocol, port);
    auto it = std::lower_bound(_index.begin(), _index.end(), key,
                               [](const key_bucket& b, std::uint32_t k) { return b.key < k; });
    return it != _index.end() && it->key == key ? &it->rules : nullptr;
}

spd_match spd::lookup(const spd_selector& s) const noexcept {
    // Dynamic filters: the destination's host filters merged with the wild ones, in
    // the order they were added.
    auto host = std::lower_bound(_dyn_host.begin(), _dyn_host.end(), std::pair<std::uint32_t, std::uint32_t>{s.dst, 0});
    auto wild = _dyn_wild.begin();
    while (true) {
        bool host_left = host != _dyn_host.end() && host->first == s.dst;
        bool wild_left = wild != _dyn_wild.end();
        if (!host_left && !wild_left) {
            break;
        }
        std::uint32_t i;
        if (host_left && (!wild_left || host->second < *wild)) {
            i = (host++)->second;
        } else {
            i = *wild++;
        }
        const auto& r = _dynamic[i];
        if (matches(r, s)) {
            return {r.action, &r};
        }
    }
    bool ports = s.protocol == 6 || s.protocol == 17;
    const std::vector<std::uint32_t>* lists[4] = {
        ports ? bucket(s.protocol, s.dst_port) : nullptr, bucket(s.protocol, any_port), nullptr,
        bucket(any_protocol, any_port)};
    std::size_t pos[4] = {0, 0, 0, 0};
    // Merge by rule index: the first rule (in profile order) that matches wins.
    while (true) {
        int best = -1;
        std::uint32_t best_rule = ~0u;
        for (int l = 0; l < 4; ++l) {
            if (lists[l] && pos[l] < lists[l]->size() && (*lists[l])[pos[l]] < best_rule) {
                best_rule = (*lists[l])[pos[l]];
                best = l;
            }
        }
        if (best < 0) {
            return {};  // implicit default deny
        }
        ++pos[best];
        const auto& r = _static[best_rule];
        if (matches(r, s)) {
            return {r.action, &r};
        }
    }
}

}  // namespace zplex::ipsec
