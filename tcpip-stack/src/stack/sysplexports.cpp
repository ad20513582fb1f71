// SPDX-License-Identifier: Apache-2.0
// SYSPLEXPORTS (docs/distributor.md "SYSPLEXPORTS").
//
// For a distributed DVIPA whose VIPADISTRIBUTE says SYSPLEXPORTS, every stack that uses it
// as a source (the distributor and each target) holds blocks of 64 ephemeral ports taken
// from the EZBEPORT list structure. A block is one entry, named by the DVIPA and the block
// number: creating it (ENTRYTYPE=NEW) is the atomic claim, so two stacks can never hold the
// same block; its data names the holder. The image's SYNs from the DVIPA must come from a
// port of its blocks. The distributor routes the inbound segments of those connections
// (the server's SYN-ACK and what follows) to the stack that holds the port's block.
#include "stack_impl.hpp"

#include "wire.hpp"

#include <algorithm>
#include <map>

namespace zplex::tcpip::stack {

namespace {

std::string pad(std::string s, std::size_t w) {
    if (s.size() < w) s.append(w - s.size(), ' ');
    return s;
}

std::string owner_text(const identity& me) { return me.member + " " + me.sysname + " " + me.tcpname; }

/// The member named by an entry's data (its first word).
std::string_view owner_member(const cf::entry& e) {
    std::string_view d(reinterpret_cast<const char*>(e.data.data()), e.data.size());
    return d.substr(0, d.find(' '));
}

bool entry_of(const cf::entry& e, std::uint32_t address) {
    return e.name.size() == 14 && e.name.compare(0, 10, eport_entry_name(address, 0), 0, 10) == 0;
}

}  // namespace

eport_dvipa* stack::impl::eport_find(std::uint32_t address) noexcept {
    for (auto& r : ep.dvipas)
        if (r.address == address) return &r;
    return nullptr;
}

void stack::impl::eport_sync() {
    if (!io.ezbeport) return;
    if (ep.scratch.data.capacity() < 256) ep.scratch.data.reserve(256);
    // The SYSPLEXPORTS DVIPAs this stack uses as a source now.
    std::map<std::uint32_t, bool> want;  // address -> distributing
    for (const auto& s : sd.services)
        if (s.cfg.sysplex_ports) want[s.address] = true;
    for (const auto& t : sd.targets)
        if (t.sysplex_ports) want.emplace(t.address, false);
    for (std::size_t i = 0; i < ep.dvipas.size();) {
        if (want.count(ep.dvipas[i].address)) {
            ++i;
            continue;
        }
        eport_release(ep.dvipas[i]);
        ep.dvipas.erase(ep.dvipas.begin() + static_cast<std::ptrdiff_t>(i));
    }
    for (const auto& [address, distributing] : want) {
        eport_dvipa* r = eport_find(address);
        if (!r) {
            ep.dvipas.emplace_back();
            r = &ep.dvipas.back();
            r->address = address;
            r->owner.assign(eport_block_count, eport_owner_unknown);
        }
        r->distributing = distributing;
        if (r->mine.size() < eport_blocks_per_stack) eport_acquire(*r);
    }
}

void stack::impl::eport_acquire(eport_dvipa& r) {
    cf::connector& c = *io.ezbeport;
    // A stack that starts again (same CONNAME, same member) takes back what it held.
    std::vector<cf::entry> all;
    if (c.read_list(eport_entry_list, all))
        for (const auto& e : all)
            if (entry_of(e, r.address) && owner_member(e) == me.member) {
                auto b = static_cast<std::uint16_t>(e.key.low() & 0xFFFF);
                if (b < eport_block_count && std::find(r.mine.begin(), r.mine.end(), b) == r.mine.end()) r.mine.push_back(b);
            }
    std::size_t need = r.mine.size() < eport_blocks_per_stack ? eport_blocks_per_stack - r.mine.size() : 0;
    if (need) {
        std::uint64_t first = 0;
        if (!c.take_list_keys(eport_cursor_list, need, first)) first = 0;
        std::string data = owner_text(me);
        for (std::uint32_t k = 0; k < eport_block_count && need; ++k) {
            auto b = static_cast<std::uint32_t>((first + k) % eport_block_count);
            cf::write_request w;
            w.list = eport_entry_list;
            w.name = eport_entry_name(r.address, b);
            w.key = cf::entry_key::of((std::uint64_t{r.address} << 16) | b);
            w.type = cf::entry_type::new_entry;
            w.data = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
            auto res = c.write(w);
            if (res) {
                r.mine.push_back(static_cast<std::uint16_t>(b));
                --need;
            } else if (res.why != cf::reason::entry_exists) {
                if (!ep.full_said)
                    say("ZPX1603I EPHEMERAL PORTS FOR " + dotted(r.address) + " CANNOT BE ALLOCATED FROM EZBEPORT: " +
                        cf::to_string(res));
                ep.full_said = true;
                break;
            }
        }
        if (need && !ep.full_said) {
            say("ZPX1603I EPHEMERAL PORTS FOR " + dotted(r.address) + " CANNOT BE ALLOCATED FROM EZBEPORT: NO FREE BLOCK");
            ep.full_said = true;
        }
    }
    std::sort(r.mine.begin(), r.mine.end());
    for (auto b : r.mine) r.owner[b] = -1;
    ++ep.generation;
    std::string blocks;
    for (auto b : r.mine) {
        unsigned lo = eport_low + b * eport_block_size;
        blocks += " " + std::to_string(lo) + "-" + std::to_string(lo + eport_block_size - 1);
    }
    say("ZPX1601I " + me.tcpname + " HOLDS EPHEMERAL PORTS FOR " + dotted(r.address) + ":" +
        (blocks.empty() ? std::string(" NONE") : blocks));
}

void stack::impl::eport_release(eport_dvipa& r) {
    if (!io.ezbeport || r.mine.empty()) return;
    for (auto b : r.mine) {
        cf::entry gone;
        auto where = cf::locator::by_name(eport_entry_name(r.address, b));
        if (io.ezbeport->read(where, gone) && owner_member(gone) == me.member) io.ezbeport->remove(where);
    }
    say("ZPX1602I " + me.tcpname + " RETURNED " + std::to_string(r.mine.size()) + " EPHEMERAL PORT BLOCKS FOR " +
        dotted(r.address) + " TO EZBEPORT");
    r.mine.clear();
    ++ep.generation;
}

void stack::impl::eport_release_all() {
    for (auto& r : ep.dvipas) eport_release(r);
    ep.dvipas.clear();
}

void stack::impl::eport_reclaim(std::string_view member, int peer) {
    if (!io.ezbeport || ep.dvipas.empty()) return;
    std::vector<cf::entry> all;
    if (!io.ezbeport->read_list(eport_entry_list, all)) return;
    for (auto& r : ep.dvipas) {
        std::size_t n = 0;
        for (const auto& e : all) {
            if (!entry_of(e, r.address) || owner_member(e) != member) continue;
            cf::conditions same;
            same.version_compare = e.version;  // not a block the member took again meanwhile
            if (io.ezbeport->remove(cf::locator::by_id(e.entry_id), same)) ++n;
        }
        for (auto& o : r.owner)
            if (o == peer) o = eport_owner_unknown;
        if (n)
            say("ZPX1604I " + std::to_string(n) + " EPHEMERAL PORT BLOCKS OF " + std::string(member) + " FOR " +
                dotted(r.address) + " RETURNED TO EZBEPORT");
    }
}

// ---------------------------------------------------------------- packet path

bool stack::impl::eport_route(std::uint32_t address, std::uint16_t port, const std::uint8_t* p, std::size_t len) noexcept {
    if (port < eport_low || ep.dvipas.empty()) return false;
    eport_dvipa* r = eport_find(address);
    if (!r || !r->distributing) return false;
    std::uint32_t b = (port - eport_low) / eport_block_size;
    std::int16_t o = r->owner[b];
    if (o == eport_owner_unknown) {
        // A block another stack took since we last looked: the entry says who (no
        // allocation: the scratch entry's buffers are reserved, the name is short).
        cf::locator where;
        where.by = cf::locator::kind::entry_name;
        where.name = eport_entry_name(address, b);
        if (!io.ezbeport || !io.ezbeport->read(where, ep.scratch)) return false;  // nobody's: our image answers
        int idx = peer_index(owner_member(ep.scratch));
        if (idx < 0) return false;
        o = static_cast<std::int16_t>(idx);
        r->owner[b] = o;
    }
    if (o < 0) return false;  // ours
    dist_encap_send(o, p, len);
    return true;
}

bool stack::impl::eport_refuse(const std::uint8_t* p, std::size_t len) noexcept {
    if (ep.dvipas.empty() || p[9] != wire::proto_tcp) return false;
    std::size_t hl = std::size_t{p[0] & 0x0Fu} * 4;
    if (len < hl + 20 || (wire::get16(p + 6) & 0x3FFF) != 0) return false;
    const std::uint8_t* t = p + hl;
    if (!(t[13] & wire::tcp_syn) || (t[13] & wire::tcp_ack)) return false;
    std::uint16_t port = wire::get16(t);
    if (port < eport_low) return false;  // not an ephemeral port: the application reserved it
    eport_dvipa* r = eport_find(wire::get32(p + 12));
    if (!r) return false;
    auto b = static_cast<std::uint16_t>((port - eport_low) / eport_block_size);
    for (auto m : r->mine)
        if (m == b) return false;
    drops.count(drop::dist_eport);
    return true;
}

// ---------------------------------------------------------------- D TCPIP,,SYSPLEX,PORTS

std::vector<std::string> stack::impl::sysplex_ports() {
    if (!in_group) return {"EZZ8269I " + me.tcpname + " " + me.sysname + " IS NOT A MEMBER OF A SYSPLEX GROUP"};
    std::vector<std::string> out;
    out.push_back("EZZ8260I SYSPLEX CS V2R4");
    out.push_back("SYSPLEX PORTS DISPLAY FROM " + pad(me.tcpname, 8) + " AT " + me.sysname);
    if (!io.ezbeport) {
        out.push_back("EZBEPORT IS NOT CONNECTED: NO SYSPLEX PORTS");
        out.push_back("0 OF 0 RECORDS DISPLAYED");
        return out;
    }
    std::vector<cf::entry> all;
    auto res = io.ezbeport->read_list(eport_entry_list, all);
    if (!res) {
        out.push_back("EZBEPORT CANNOT BE READ: " + cf::to_string(res));
        out.push_back("0 OF 0 RECORDS DISPLAYED");
        return out;
    }
    // Entries are in key order: by DVIPA, then block.
    std::uint32_t current = 0;
    std::size_t records = 0;
    for (const auto& e : all) {
        std::uint64_t key = e.key.low();
        auto address = static_cast<std::uint32_t>(key >> 16);
        auto b = static_cast<std::uint32_t>(key & 0xFFFF);
        if (b >= eport_block_count || e.name != eport_entry_name(address, b)) continue;
        if (address != current) {
            current = address;
            out.push_back("IPADDR: " + dotted(address));
            out.push_back("  PORTS        TCPNAME  MVSNAME");
        }
        std::string_view d(reinterpret_cast<const char*>(e.data.data()), e.data.size());
        std::string words[3];
        for (auto& w : words) {
            auto sp = d.find(' ');
            w = std::string(d.substr(0, sp));
            d = sp == std::string_view::npos ? std::string_view() : d.substr(sp + 1);
        }
        unsigned lo = eport_low + b * eport_block_size;
        auto five = [](unsigned v) {
            std::string s = std::to_string(v);
            return std::string(5 - s.size(), '0') + s;
        };
        out.push_back("  " + five(lo) + "-" + five(lo + eport_block_size - 1) + "  " + pad(words[2], 8) + " " + words[1]);
        ++records;
    }
    out.push_back(std::to_string(records) + " OF " + std::to_string(records) + " RECORDS DISPLAYED");
    return out;
}

std::vector<std::pair<std::uint16_t, std::uint16_t>> stack::impl::eport_ranges() const {
    std::vector<std::uint16_t> blocks;
    for (const auto& r : ep.dvipas) blocks.insert(blocks.end(), r.mine.begin(), r.mine.end());
    std::sort(blocks.begin(), blocks.end());
    blocks.erase(std::unique(blocks.begin(), blocks.end()), blocks.end());
    std::vector<std::pair<std::uint16_t, std::uint16_t>> out;
    for (auto b : blocks) {
        auto lo = static_cast<std::uint16_t>(eport_low + b * eport_block_size);
        auto hi = static_cast<std::uint16_t>(lo + eport_block_size - 1);
        if (!out.empty() && out.back().second + 1 == lo) out.back().second = hi;
        else out.emplace_back(lo, hi);
    }
    return out;
}

}  // namespace zplex::tcpip::stack
