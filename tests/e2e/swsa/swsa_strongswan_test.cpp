// SPDX-License-Identifier: Apache-2.0
// Sysplex-wide SAs negotiated by the owner's IKE daemon with a real strongSwan
// (docs/swsa.md "The IKE daemon of an image"): CF01 and CF02 hold EZBDVIPA; MVS1, MVS2
// and MVS4 run zplex-tcpip with zplex-app on DVA1:60; MVS1's zplex-iked answers for DVA1
// with FIG4's policy SYS1.PAGENT(MVS1). PEER1 (198.18.0.200) is charon with
// kernel-libipsec: it negotiates a tunnel-mode CHILD_SA for TCP to DVA1:60 and makes
// real connections under it. They are distributed to MVS1, MVS2 and MVS4; each echo is
// SHA-256 correct. On PEER1's capture, decrypted by tshark with the keys the stacks give
// out for a trace (SWSA KEYS, checked against those charon logged), the ESP the targets send has source DVA1 (outer and inner) and their own MACs, no
// sequence number of an SA is used twice, and an anti-replay window of libipsec's size
// accepts every frame in the order it arrived; charon logs no replay or ICV failure.
// A `swanctl --rekey` of the CHILD_SA replaces the shadows on every target (make before
// break) and more connections run under the new SA.
#include "swsa_e2e.hpp"
#include "swsa_peer.hpp"

#include <zplex/e2e/esp_peer.hpp>
#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>
#include <zplex/e2e/stack_plex.hpp>
#include <zplex/e2e/strongswan.hpp>
#include <zplex/e2e/traffic.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace zplex::e2e {
namespace {

namespace fs = std::filesystem;
using namespace swsa_e2e;

TEST(swsa_strongswan, the_owners_iked_negotiates_with_strongswan_and_every_target_protects_its_own_replies) {
    ZPLEX_SWSA_NEEDS_STRONGSWAN();
    stack_plex plex("swss");
    swsa_daemons d(plex);
    auto started = d.start({"MVS1", "MVS2", "MVS4"}, true);
    ASSERT_EQ(started, "");
    ASSERT_TRUE(wait_ready(plex, "MVS1", 3)) << plex.control("MVS1", "NETSTAT VDPT");

    // MVS1's IKE daemon, with FIG4's SYS1.PAGENT(MVS1), in MVS1's image.
    auto iked_log = plex.log_path("MVS1", ".iked");
    d.start_iked("MVS1");
    auto wait_iked = [&](const std::string& text) { return d.wait_iked("MVS1", text); };
    ASSERT_TRUE(wait_iked("ZPX1722I IKE LISTENING ON DVIPA 198.18.2.1 PORTS 500 AND 4500")) << file_text(iked_log);

    // PEER1: charon with kernel-libipsec; it initiates.
    auto& peer = plex.client(peer1);
    charon swan(peer, plex.dir / "peer1", peer_options());
    swan.load(peer_connection().swanctl_conf());
    fs::path pcap = plex.dir / "peer1.pcap";
    auto tshark = child_process::exec({"tshark", "-q", "-i", "veth0", "-w", pcap.string()}, peer.name(),
                                      plex.dir / "tshark.log");
    // Whole frames (tshark decrypts them below); it says when it captures.
    for (int i = 0; i < 200 && file_text(plex.dir / "tshark.log").find("Capturing on") == std::string::npos; ++i)
        std::this_thread::sleep_for(50ms);  // a bound
    ASSERT_NE(file_text(plex.dir / "tshark.log").find("Capturing on"), std::string::npos) << file_text(plex.dir / "tshark.log");
    auto init = swan.initiate("dva1");
    ASSERT_TRUE(init.ok()) << init.out << swan.log_tail() << file_text(iked_log);
    auto child = swan.installed_child("dva1");
    ASSERT_EQ(child.state, "INSTALLED") << swan.log_tail();
    EXPECT_EQ(child.mode, "TUNNEL");
    EXPECT_TRUE(child.encap);
    ASSERT_TRUE(wait_iked("ZPX1706I SWSA SA Y1 INSTALLED AND DISTRIBUTED")) << file_text(iked_log);
    for (const char* sys : {"MVS2", "MVS4"})
        ASSERT_TRUE(plex.wait_display(sys, "ipsec -y display -s", "1 entry selected"))
            << sys << plex.control(sys, "ipsec -y display -s");
    // The shadow on a target is the SA charon holds, the other way round.
    auto shadow = plex.control("MVS2", "ipsec -y display -s -r detail");
    char spi_text[16];
    std::snprintf(spi_text, sizeof spi_text, "%08X", child.spi_in);
    EXPECT_NE(shadow.find(spi_text), std::string::npos) << "MVS2's shadow sends under charon's inbound SPI\n" << shadow;
    EXPECT_NE(shadow.find("ShadowOf:"), std::string::npos) << shadow;

    // The connections: distributed round robin, each a SHA-256-checked echo.
    std::string failures;
    auto served = connections(peer, 150, 6, 64 * 1024, failures);
    EXPECT_EQ(served["BAD"], 0) << failures << swan.log_tail();
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) EXPECT_GE(served[sys], 40) << sys;

    // The rekey: the new SA replaces the old one on the owner and every target.
    auto old_child = child;
    auto rk = swan.rekey_child("dva1");
    ASSERT_TRUE(rk.ok()) << rk.out;
    ASSERT_TRUE(wait_iked("ZPX1725I CHILD SA Y2 OF")) << file_text(iked_log);
    ASSERT_TRUE(wait_iked("ZPX1708I SWSA SA Y1 DELETED")) << file_text(iked_log);
    EXPECT_NE(file_text(iked_log).find("REKEYS Y1: ZPX1706I SWSA SA Y2 INSTALLED AND DISTRIBUTED"), std::string::npos)
        << file_text(iked_log);
    child_sa fresh;
    for (int i = 0; i < 100 && (fresh.state != "INSTALLED" || fresh.spi_in == old_child.spi_in); ++i) {
        fresh = swan.installed_child("dva1");
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_NE(fresh.spi_in, old_child.spi_in) << swan.log_tail();
    std::snprintf(spi_text, sizeof spi_text, "%08X", fresh.spi_in);
    for (const char* sys : {"MVS2", "MVS4"})
        EXPECT_TRUE(plex.wait_display(sys, "ipsec -y display -s -r detail", spi_text))
            << sys << plex.control(sys, "ipsec -y display -s -r detail");
    auto more = connections(peer, 150, 6, 64 * 1024, failures);
    EXPECT_EQ(more["BAD"], 0) << failures << swan.log_tail();
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) EXPECT_GE(more[sys], 40) << sys;
    std::this_thread::sleep_for(500ms);
    tshark.terminate(5s);

    // The keys the stacks give out for a trace (SWSA KEYS, what `zplex trace` writes to its
    // esp_sa file): the owner's master and each target's shadow are the SA after the
    // rekey, both directions, with the addresses of the outer header and the keys charon
    // logged (charon's inbound SPI is the one zplex sends under, with the responder's key).
    auto log = file_text(swan.log_path());
    char in_spi[16], out_spi[16];
    std::snprintf(in_spi, sizeof in_spi, "0x%08x", fresh.spi_out);
    std::snprintf(out_spi, sizeof out_spi, "0x%08x", fresh.spi_in);
    const std::string peer_key = logged_key(swan.log_path(), "encryption initiator key");
    const std::string zplex_key = logged_key(swan.log_path(), "encryption responder key");
    ASSERT_EQ(zplex_key.size(), 40u) << "AES-GCM-128 key and salt";
    std::vector<std::string> sas;
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) {
        int count = 0;
        auto reply = plex.control(sys, "SWSA KEYS");
        auto lines = keys_lines(reply, count);
        EXPECT_EQ(count, 1) << sys << ": one SA\n" << reply;
        ASSERT_EQ(lines.size(), 2u) << sys << "\n" << reply;
        const std::string gcm = "\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x";
        EXPECT_EQ(lines[0], "\"IPv4\",\"" + std::string(peer1_addr) + "\",\"" + dva1 + "\",\"" + in_spi + "\"," + gcm +
                                peer_key + "\",\"NULL\",\"\"")
            << sys << ": inbound, PEER1 to DVA1";
        EXPECT_EQ(lines[1], "\"IPv4\",\"" + std::string(dva1) + "\",\"" + peer1_addr + "\",\"" + out_spi + "\"," + gcm +
                                zplex_key + "\",\"NULL\",\"\"")
            << sys << ": outbound, DVA1 to PEER1";
        if (sas.empty()) sas = lines;
        else EXPECT_EQ(lines, sas) << sys << " holds the SA MVS1 gave out";
    }
    // The console line is written by the stack after its reply: waited for, not raced.
    EXPECT_TRUE(plex.wait_log("MVS2", "ZPX1760I THE KEYS OF 1 ESP SAS OF", 10s))
        << "the console says keys were given out";

    // The capture, the SA after the rekey decrypted with the keys the stacks gave out.
    auto frames = esp_frames(pcap, sas);
    ASSERT_FALSE(frames.empty()) << file_text(plex.dir / "tshark.log");

    std::map<std::uint32_t, std::set<std::uint32_t>> seen;
    std::map<std::uint32_t, independent_window> windows;
    std::map<std::string, std::uint64_t> by_mac;
    std::uint64_t dups = 0, dropped = 0, not_dva1 = 0, decrypted = 0, not_60 = 0;
    std::string late;
    for (const auto& f : frames) {
        if (f.spi != old_child.spi_in && f.spi != fresh.spi_in) continue;  // zplex's outbound SAs
        ++by_mac[f.mac];
        if (!seen[f.spi].insert(f.seq).second) ++dups;
        auto w = windows.try_emplace(f.spi, libipsec_window).first;
        if (!w->second.accept(f.seq)) {
            ++dropped;
            if (late.size() < 1500) late += " " + std::to_string(f.seq) + "@" + f.mac;
        }
        if (f.src != dva1) ++not_dva1;
        if (f.spi == fresh.spi_in && !f.inner_src.empty()) {
            ++decrypted;
            if (f.inner_src != dva1) ++not_dva1;
            if (f.inner_sport != 60) ++not_60;
        }
    }
    std::printf("capture: %zu numbers under the first SA, %zu under the second, %llu of these decrypted by tshark\n",
                seen[old_child.spi_in].size(), seen[fresh.spi_in].size(), static_cast<unsigned long long>(decrypted));
    EXPECT_GT(seen[old_child.spi_in].size(), 1000u);
    EXPECT_GT(seen[fresh.spi_in].size(), 1000u);
    EXPECT_EQ(dups, 0u) << "sequence numbers used twice";
    EXPECT_EQ(dropped, 0u) << "frames a window of " << libipsec_window << " drops:" << late;
    EXPECT_EQ(not_dva1, 0u);
    EXPECT_EQ(not_60, 0u);
    EXPECT_GT(decrypted, seen[fresh.spi_in].size() / 2) << "tshark decrypts the second SA with the exported keys";
    for (const char* sys : {"MVS1", "MVS2", "MVS4"})
        EXPECT_GT(by_mac[stack_plex::osa_mac(sys)], 100u) << sys << " (" << stack_plex::osa_mac(sys) << ") sent little or nothing under the SA";
    EXPECT_EQ(by_mac.size(), 3u) << "only MVS1, MVS2 and MVS4 send under the SA";

    // charon: no replay and no ICV failure; it counted what came in.
    EXPECT_EQ(log.find("sequence number verification failed"), std::string::npos) << swan.log_tail(60);
    EXPECT_EQ(log.find("ICV verification failed"), std::string::npos) << swan.log_tail(60);
    auto now = swan.installed_child("dva1");
    EXPECT_GT(now.bytes_in, 1000000u);

    // The IKE daemon ends: it deletes its SAs on the stack, and the shadows go.
    EXPECT_EQ(d.ikeds["MVS1"].terminate(5s).status, 0) << file_text(iked_log);
    for (const char* sys : {"MVS2", "MVS4"})
        EXPECT_TRUE(plex.wait_display(sys, "ipsec -y display -s", "0 entries selected")) << sys;
    swan.stop();
    EXPECT_EQ(d.stop(), "") << "did not end with 0";
}

/// The number after @p key (and any spaces and a colon) in @p text, 0 if none.
std::uint64_t value_after(const std::string& text, const std::string& key) {
    auto at = text.find(key);
    if (at == std::string::npos) return 0;
    at = text.find_first_of("0123456789", at + key.size());
    return at == std::string::npos ? 0 : std::stoull(text.substr(at));
}

// Lifesize (docs/swsa.md "Lifesize"): FIG4's policy with a lifesize of 12 MiB. The
// targets count their bytes under each shadow and report them to MVS1 in batches; MVS1's
// IKED reads the sysplex-wide sum and rekeys each SA at 80 % of it, so SAs follow each
// other as the traffic goes on and none expires; the targets, seeing their SAs refreshed
// in time, raise their report threshold.
TEST(swsa_strongswan, the_owners_iked_rekeys_on_the_sysplex_wide_lifesize_before_expiry) {
    ZPLEX_SWSA_NEEDS_STRONGSWAN();
    stack_plex plex("swls");
    // The private copy's policy of MVS1 with a small lifesize (Lifesize is in KB).
    fs::path pol = plex.catalogue / "SYS1.PAGENT" / "MVS1";
    std::string text = file_text(pol);
    auto at = text.find("Lifesize     1048576");
    ASSERT_NE(at, std::string::npos) << text;
    text.replace(at, 20, "Lifesize     12288");
    { std::ofstream(pol, std::ios::trunc) << text; }
    const std::uint64_t lifesize = 12288 * 1024;
    swsa_daemons d(plex);
    auto started = d.start({"MVS1", "MVS2", "MVS4"}, true);
    ASSERT_EQ(started, "");
    ASSERT_TRUE(wait_ready(plex, "MVS1", 3)) << plex.control("MVS1", "NETSTAT VDPT");
    auto iked_log = plex.log_path("MVS1", ".iked");
    d.start_iked("MVS1");
    ASSERT_TRUE(d.wait_iked("MVS1", "ZPX1722I IKE LISTENING ON DVIPA 198.18.2.1")) << file_text(iked_log);
    auto& peer = plex.client(peer1);
    charon swan(peer, plex.dir / "peer1", peer_options());
    swan.load(peer_connection().swanctl_conf());
    auto init = swan.initiate("dva1");
    ASSERT_TRUE(init.ok()) << init.out << swan.log_tail() << file_text(iked_log);
    ASSERT_TRUE(plex.wait_log("MVS1", "ZPX1706I SWSA SA Y1 INSTALLED AND DISTRIBUTED", 20s, ".iked"))
        << file_text(iked_log);
    auto refresh_of = [&](const char* sys) {
        return value_after(plex.control(sys, "ipsec -y display -s -r detail"), "LifesizeRefresh");
    };
    ASSERT_TRUE(plex.wait_display("MVS2", "ipsec -y display -s", "1 entry selected"));
    const std::uint64_t first_refresh_kb = refresh_of("MVS2");
    EXPECT_EQ(first_refresh_kb, 12288u * 5 / 100) << "5 % of the lifesize at first";

    // About 31 MB under IPsec, two thirds of it through the targets, two connections at a
    // time: the 20 % of the lifesize left after the rekey's start is then most of a
    // second of traffic, for a loaded machine's IKED to read the count and rekey in.
    std::string failures;
    auto served = connections(peer, 240, 2, 64 * 1024, failures);
    EXPECT_EQ(served["BAD"], 0) << failures << swan.log_tail();
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) EXPECT_GE(served[sys], 70) << sys;
    std::this_thread::sleep_for(500ms);  // the last reports and the last rekey's install

    auto log = file_text(iked_log);
    int rekeys = 0;
    std::istringstream in(log);
    for (std::string l; std::getline(in, l);) {
        if (l.rfind("ZPX1745I CHILD SA ", 0) != 0) continue;
        ++rekeys;
        std::uint64_t at_bytes = value_after(l, " IS REKEYED AT ");
        EXPECT_GE(at_bytes * 100, lifesize * 80) << l;
        EXPECT_LT(at_bytes, lifesize) << l;
        // The owner alone had not reached it: the targets' reports are in the sum.
        EXPECT_GT(value_after(l, " TARGETS "), at_bytes / 3) << l;
    }
    std::printf("lifesize 12 MiB: %d rekeys on the sysplex-wide count; MVS2's report threshold %llu K at first, %llu K "
                "after\n",
                rekeys, static_cast<unsigned long long>(first_refresh_kb),
                static_cast<unsigned long long>(refresh_of("MVS2")));
    EXPECT_GE(rekeys, 2) << log;
    EXPECT_EQ(log.find("ZPX1746I"), std::string::npos) << "an SA expired:\n" << log;
    EXPECT_NE(log.find("REKEYS Y1: ZPX1706I SWSA SA Y2 INSTALLED AND DISTRIBUTED"), std::string::npos) << log;
    EXPECT_NE(log.find("ZPX1726I CHILD SA Y2 SPI IN"), std::string::npos) << log;
    // The sum the IKED reads, as the stack gives it.
    auto usage = plex.control("MVS1", "SWSA USAGE");
    EXPECT_NE(usage.find("ZPX1713I SWSA USAGE Y"), std::string::npos) << usage;
    EXPECT_NE(usage.find(" LIFESIZE 12582912"), std::string::npos) << usage;
    // The targets saw their SAs refreshed in time: they report less often.
    EXPECT_GT(refresh_of("MVS2"), first_refresh_kb);
    EXPECT_GT(refresh_of("MVS4"), first_refresh_kb);
    auto clog = file_text(swan.log_path());
    EXPECT_EQ(clog.find("sequence number verification failed"), std::string::npos) << swan.log_tail(60);
    EXPECT_EQ(clog.find("ICV verification failed"), std::string::npos) << swan.log_tail(60);

    swan.stop();
    EXPECT_EQ(d.stop(), "") << "did not end with 0";
}

}  // namespace
}  // namespace zplex::e2e
