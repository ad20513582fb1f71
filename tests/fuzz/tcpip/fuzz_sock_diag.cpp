// SPDX-License-Identifier: Apache-2.0
// zplex-tcpip's netlink sock_diag reply parser on arbitrary datagrams: 4 bytes of
// sequence number, then the datagram. It must never read out of bounds, must end on
// every input, and what it returns must be consistent: IPv4 TCP sockets with a state
// in range, a reason whenever it calls the input malformed.
#include "sock_diag.hpp"

#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace zplex::tcpip::daemon::sock_diag;
    if (size < 4) return 0;
    std::uint32_t seq;
    std::memcpy(&seq, data, 4);
    // A private copy, so a read past the datagram is one past this allocation.
    std::vector<std::uint8_t> dgram(data + 4, data + size);
    std::vector<tcp_sock> out;
    auto r = parse(dgram.data(), dgram.size(), seq, out);
    if (r.what == outcome::malformed && (!r.why || !*r.why)) std::abort();
    if (r.what == outcome::error && r.error == 0) std::abort();
    for (const auto& s : out)
        if (s.state == 0 || s.state > 12) std::abort();
    if (out.size() > dgram.size() / (sizeof(nlmsghdr) + sizeof(inet_diag_msg))) std::abort();
    return 0;
}
