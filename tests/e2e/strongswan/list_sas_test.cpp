// SPDX-License-Identifier: Apache-2.0
// swanctl --list-sas --raw parsing, from text strongSwan 5.9.8 printed (no root needed).
#include <zplex/e2e/strongswan.hpp>

#include <gtest/gtest.h>

namespace zplex::e2e {
namespace {

// A CHILD_SA rekey in progress: the old one DELETED, the new one INSTALLED.
const char* rekeyed =
    "list-sa event {zpx {uniqueid=1 version=2 state=ESTABLISHED local-host=198.18.10.1 local-port=4500 "
    "local-id=198.18.10.1 remote-host=198.18.10.2 remote-port=4500 remote-id=198.18.10.2 initiator=yes "
    "initiator-spi=a7d15a8dd58cf9c2 responder-spi=42b83432449d646f nat-remote=yes nat-any=yes encr-alg=AES_GCM_16 "
    "encr-keysize=128 prf-alg=PRF_HMAC_SHA2_256 dh-group=MODP_2048 established=11 rekey-time=14138 child-sas "
    "{zpx-1 {name=zpx uniqueid=1 reqid=1 state=DELETED mode=TUNNEL protocol=ESP encap=yes spi-in=a699d9e2 "
    "spi-out=cf40b64c encr-alg=AES_GCM_16 encr-keysize=128 bytes-in=238708 packets-in=4067 use-in=5 "
    "bytes-out=23161772 packets-out=16549 use-out=5 rekey-time=3403 life-time=3949 install-time=11 "
    "local-ts=[198.18.20.1/32] remote-ts=[198.18.21.1/32]} zpx-2 {name=zpx uniqueid=2 reqid=1 state=INSTALLED "
    "mode=TUNNEL protocol=ESP encap=yes spi-in=cf4300cc spi-out=c2108dda encr-alg=AES_GCM_16 encr-keysize=128 "
    "bytes-in=0 packets-in=0 bytes-out=0 packets-out=0 rekey-time=3586 life-time=3959 install-time=1 "
    "local-ts=[198.18.20.1/32 198.18.30.0/24] remote-ts=[198.18.21.1/32]}}}}\n"
    "list-sas reply {}\n";

TEST(e2e_list_sas, parses_ike_and_children) {
    auto sas = parse_list_sas(rekeyed);
    ASSERT_EQ(sas.size(), 1u);
    EXPECT_EQ(sas[0].name, "zpx");
    EXPECT_EQ(sas[0].state, "ESTABLISHED");
    EXPECT_EQ(sas[0].attrs.at("dh-group"), "MODP_2048");
    EXPECT_EQ(sas[0].attrs.at("remote-port"), "4500");
    ASSERT_EQ(sas[0].children.size(), 2u);
    const auto& old = sas[0].children[0];
    EXPECT_EQ(old.state, "DELETED");
    EXPECT_EQ(old.spi_in, 0xa699d9e2u);
    EXPECT_EQ(old.spi_out, 0xcf40b64cu);
    EXPECT_EQ(old.bytes_in, 238708u);
    EXPECT_EQ(old.packets_in, 4067u);
    EXPECT_EQ(old.bytes_out, 23161772u);
    EXPECT_EQ(old.packets_out, 16549u);
    EXPECT_TRUE(old.encap);
    EXPECT_EQ(old.mode, "TUNNEL");
    const auto& now = sas[0].children[1];
    EXPECT_EQ(now.state, "INSTALLED");
    EXPECT_EQ(now.spi_in, 0xcf4300ccu);
    EXPECT_EQ(now.local_ts, "198.18.20.1/32 198.18.30.0/24");
    EXPECT_EQ(now.remote_ts, "198.18.21.1/32");
}

TEST(e2e_list_sas, odd_text_is_not_fatal) {
    EXPECT_TRUE(parse_list_sas("").empty());
    EXPECT_TRUE(parse_list_sas("list-sas reply {}").empty());
    EXPECT_TRUE(parse_list_sas("}}} {{{ list-sa event {x {").size() <= 1);
    EXPECT_TRUE(parse_list_sas("list-sa event {a {child-sas {b {spi-in=zz bytes-in=-1}}}}").size() == 1);
}

}  // namespace
}  // namespace zplex::e2e
