// SPDX-License-Identifier: Apache-2.0
// Lexical rules: free format, comments, case, symbols, sequence numbers, INCLUDE.
#include "helpers.hpp"

#include <gtest/gtest.h>

namespace zplex::tcpip::profile::test {
namespace {

TEST(lexer, free_format_statement_spans_lines_and_is_ended_by_the_next_keyword) {
    auto r = initial("IPCONFIG\n  SYSPLEXROUTING\n\n   DYNAMICXCF 198.18.1.1\n 255.255.255.0 1\nTCPCONFIG NODELAYACKS\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    EXPECT_TRUE(r.cfg.ipconfig.sysplex_routing);
    ASSERT_TRUE(r.cfg.ipconfig.dynamic_xcf);
    EXPECT_EQ(r.cfg.ipconfig.dynamic_xcf->address.str(), "198.18.1.1");
    EXPECT_EQ(r.cfg.ipconfig.dynamic_xcf->prefix_len, 24);
    EXPECT_FALSE(r.cfg.tcpconfig.delay_acks);
}

TEST(lexer, semicolon_starts_a_comment_only_at_a_token_start) {
    auto r = initial("; whole-line comment\nIPCONFIG SYSPLEXROUTING ; trailing comment IPSECURITY\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    EXPECT_TRUE(r.cfg.ipconfig.sysplex_routing);
    EXPECT_FALSE(r.cfg.ipconfig.ipsecurity);
    // Without a blank the ; is part of the token, as on z/OS: an error.
    auto bad = initial("IPCONFIG SYSPLEXROUTING;comment\n");
    EXPECT_EQ(bad.rc(), 8);
    EXPECT_TRUE(bad.has("EZZ0318I", "'SYSPLEXROUTING;COMMENT'") || bad.has("EZZ0318I", "SYSPLEXROUTING;comment"))
        << bad.text();
}

TEST(lexer, lower_case_is_folded) {
    auto r = initial("ipconfig sysplexrouting dynamicxcf 198.18.1.2 255.255.255.0 1\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    EXPECT_TRUE(r.cfg.ipconfig.sysplex_routing);
}

TEST(lexer, crlf_records_are_accepted) {
    auto r = initial("IPCONFIG SYSPLEXROUTING\r\nTCPCONFIG NODELAYACKS\r\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    EXPECT_TRUE(r.cfg.ipconfig.sysplex_routing);
}

TEST(lexer, system_symbols_are_substituted_with_and_without_period) {
    auto r = initial("IPCONFIG DYNAMICXCF &XCFIP. 255.255.255.0 1\nDEVICE VIPA&SYSCLONE VIRTUAL 0\n",
                     {{"XCFIP", "198.18.1.3"}, {"SYSCLONE", "M3"}});
    EXPECT_EQ(r.rc(), 0) << r.text();
    EXPECT_EQ(r.cfg.ipconfig.dynamic_xcf->address.str(), "198.18.1.3");
    ASSERT_EQ(r.cfg.devices.size(), 1u);
    EXPECT_EQ(r.cfg.devices[0].name, "VIPAM3");
}

TEST(lexer, a_symbol_may_stand_for_several_parameters) {
    auto r = initial("IPCONFIG DYNAMICXCF &XCFDEF.\n", {{"XCFDEF", "198.18.1.4 255.255.255.0 1"}});
    EXPECT_EQ(r.rc(), 0) << r.text();
    EXPECT_EQ(r.cfg.ipconfig.dynamic_xcf->address.str(), "198.18.1.4");
}

TEST(lexer, a_symbol_may_stand_for_nothing) {
    auto r = initial("IPCONFIG &OPT. SYSPLEXROUTING\n", {{"OPT", ""}});
    EXPECT_EQ(r.rc(), 0) << r.text();
    EXPECT_TRUE(r.cfg.ipconfig.sysplex_routing);
}

TEST(lexer, an_undefined_symbol_is_left_as_written_with_a_warning) {
    auto r = initial("IPCONFIG DYNAMICXCF &NOPE. 255.255.255.0 1\n");
    EXPECT_TRUE(r.has("ZPX0110I", "&NOPE.")) << r.text();
    EXPECT_EQ(r.rc(), 8);  // and the address is then wrong
    EXPECT_TRUE(r.has("EZZ0318I", "'&NOPE.'")) << r.text();
}

TEST(lexer, sequence_numbers_in_columns_73_to_80_are_an_error_naming_line_and_token) {
    std::string line = "IPCONFIG SYSPLEXROUTING";
    line.resize(72, ' ');
    line += "00010000\n";
    auto r = initial(line + "TCPCONFIG NODELAYACKS\n");
    EXPECT_EQ(r.rc(), 8);
    auto* m = r.find("EZZ0401I");
    ASSERT_NE(m, nullptr) << r.text();
    EXPECT_NE(m->text.find("ON LINE: 1 AT: '00010000'"), std::string::npos) << m->text;
    EXPECT_NE(m->text.find("COLUMNS 73-80"), std::string::npos);
    EXPECT_EQ(m->where.column, 73);
    EXPECT_FALSE(r.cfg.tcpconfig.delay_acks) << "processing goes on after the bad statement";
}

TEST(lexer, columns_73_to_80_are_not_ignored_for_real_parameters) {
    std::string line = "IPCONFIG";
    line.resize(72, ' ');
    line += "SOURCEVIPA\n";
    auto r = initial(line);
    EXPECT_EQ(r.rc(), 0) << r.text();
    EXPECT_TRUE(r.cfg.ipconfig.source_vipa);
}

TEST(lexer, include_pulls_in_a_dataset_and_logs_ezz0300i) {
    auto r = initial("INCLUDE SYS1.TCPPARMS(COMMON)\nTCPCONFIG NODELAYACKS\n", {},
                     {{"SYS1.TCPPARMS(COMMON)", "IPCONFIG SYSPLEXROUTING\n"}});
    EXPECT_EQ(r.rc(), 0) << r.text();
    EXPECT_TRUE(r.has("EZZ0300I", "OPENED INCLUDE FILE 'SYS1.TCPPARMS(COMMON)'")) << r.text();
    EXPECT_TRUE(r.has("EZZ0316I", "'SYS1.TCPPARMS(COMMON)'"));
    EXPECT_TRUE(r.cfg.ipconfig.sysplex_routing);
    EXPECT_FALSE(r.cfg.tcpconfig.delay_acks);
}

TEST(lexer, include_of_a_missing_dataset_is_an_error_and_processing_goes_on) {
    auto r = initial("INCLUDE 'SYS1.TCPPARMS(NOPE)'\nIPCONFIG SYSPLEXROUTING\n");
    EXPECT_EQ(r.rc(), 8);
    EXPECT_TRUE(r.has("EZZ0325I", "'SYS1.TCPPARMS(NOPE)' ON LINE 1")) << r.text();
    EXPECT_TRUE(r.cfg.ipconfig.sysplex_routing);
}

TEST(lexer, an_include_loop_stops_at_the_nesting_limit) {
    auto r = initial("INCLUDE A.B(LOOP)\n", {}, {{"A.B(LOOP)", "INCLUDE A.B(LOOP)\n"}});
    EXPECT_EQ(r.rc(), 8);
    EXPECT_TRUE(r.has("ZPX0101I", "NESTS DEEPER THAN 16")) << r.text();
}

TEST(lexer, errors_in_an_include_name_the_included_dataset) {
    auto r = initial("INCLUDE A.B(BAD)\n", {}, {{"A.B(BAD)", "\n\nFOOBAR 1\n"}});
    auto* m = r.find("EZZ0324I");
    ASSERT_NE(m, nullptr) << r.text();
    EXPECT_EQ(m->text, "UNRECOGNIZED STATEMENT FOOBAR FOUND ON LINE 3 COLUMN 1 OF 'A.B(BAD)'");
    EXPECT_EQ(m->where.dataset, "'A.B(BAD)'");
    EXPECT_EQ(m->where.line, 3);
}

TEST(lexer, unrecognized_statement_names_line_column_and_token) {
    auto r = initial("IPCONFIG SYSPLEXROUTING\n   BOGUSSTMT X Y\nTCPCONFIG NODELAYACKS\n");
    EXPECT_EQ(r.rc(), 8);
    // BOGUSSTMT ends IPCONFIG's parameters? No: it is not a statement, so
    // IPCONFIG itself reports it as an unexpected parameter.
    EXPECT_TRUE(r.has("EZZ0318I", "'BOGUSSTMT' FOUND ON LINE 2 COLUMN 4 OF 'TEST.PROFILE'")) << r.text();
    EXPECT_FALSE(r.cfg.tcpconfig.delay_acks);
}

TEST(lexer, unrecognized_statement_at_statement_position) {
    auto r = initial("FOOBAR 1 2 3\nTCPCONFIG NODELAYACKS\n");
    auto* m = r.find("EZZ0324I");
    ASSERT_NE(m, nullptr) << r.text();
    EXPECT_EQ(m->text, "UNRECOGNIZED STATEMENT FOOBAR FOUND ON LINE 1 COLUMN 1 OF 'TEST.PROFILE'");
    EXPECT_FALSE(r.cfg.tcpconfig.delay_acks);
}

TEST(lexer, vipa_statements_outside_the_block_get_a_hint) {
    auto r = initial("VIPADEFINE 255.255.255.0 198.18.2.1\n");
    EXPECT_TRUE(r.has("EZZ0324I", "VALID ONLY BETWEEN VIPADYNAMIC AND ENDVIPADYNAMIC")) << r.text();
}

TEST(lexer, unemulated_statements_are_recognised_with_a_warning_never_dropped_silently) {
    auto r = initial("SMFCONFIG TYPE118 TCPINIT\nSRCIP\n JOBNAME * 198.18.3.1\nENDSRCIP\nIPCONFIG SYSPLEXROUTING\n");
    EXPECT_EQ(r.rc(), 4) << r.text();
    EXPECT_TRUE(r.has("ZPX0100I", "SMFCONFIG ON LINE 1"));
    EXPECT_TRUE(r.has("ZPX0100I", "SRCIP ON LINE 2"));
    ASSERT_EQ(r.cfg.unemulated.size(), 2u);
    EXPECT_TRUE(r.cfg.ipconfig.sysplex_routing);
}

TEST(lexer, messages_bracket_processing) {
    auto r = initial("IPCONFIG SYSPLEXROUTING\n");
    ASSERT_GE(r.log.messages().size(), 2u);
    EXPECT_EQ(r.log.messages().front().str(), "EZZ0309I PROFILE PROCESSING BEGINNING FOR 'TEST.PROFILE'");
    EXPECT_EQ(r.log.messages().back().str(), "EZZ0316I PROFILE PROCESSING COMPLETE FOR FILE 'TEST.PROFILE'");
}

TEST(lexer, empty_and_comment_only_profiles_are_clean) {
    EXPECT_EQ(initial("").rc(), 0);
    EXPECT_EQ(initial("; nothing\n;\n").rc(), 0);
}

}  // namespace
}  // namespace zplex::tcpip::profile::test
