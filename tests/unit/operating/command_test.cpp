// SPDX-License-Identifier: Apache-2.0
// The console's tokenizer and the routing of every command family.
#include <zplex/operating/command.hpp>

#include <gtest/gtest.h>

namespace zplex::operating {
namespace {

TEST(operator_tokenize, splits_at_commas_keeps_empty_operands_and_folds_case) {
    tokens t;
    std::string err;
    ASSERT_TRUE(tokenize("d tcpip,,sysplex,vipadyn", t, err)) << err;
    EXPECT_EQ(t.verb, "D");
    EXPECT_EQ(t.operands, (std::vector<std::string>{"TCPIP", "", "SYSPLEX", "VIPADYN"}));
}

TEST(operator_tokenize, parentheses_and_quotes_hold_commas_and_a_blank_ends_the_operands) {
    tokens t;
    std::string err;
    ASSERT_TRUE(tokenize("V TCPIP,,OBEYFILE,DSN=SYS1.TCPPARMS(OBEY,X) a comment", t, err)) << err;
    EXPECT_EQ(t.operands, (std::vector<std::string>{"TCPIP", "", "OBEYFILE", "DSN=SYS1.TCPPARMS(OBEY,X)"}));
    ASSERT_TRUE(tokenize("S APPA,PARM='a,b ''c'''", t, err)) << err;
    EXPECT_EQ(t.operands, (std::vector<std::string>{"APPA", "PARM='a,b ''c'''"}));
}

TEST(operator_tokenize, bad_input_gets_a_message_saying_where) {
    tokens t;
    std::string err;
    EXPECT_FALSE(tokenize("V TCPIP,,OBEYFILE,DSN=A(B", t, err));
    EXPECT_EQ(err, "IEE307I V TCPIP,,OBEYFILE,DSN=A(B DELIMITER ERROR AT COLUMN 24: ( NOT CLOSED");
    EXPECT_FALSE(tokenize("D X)", t, err));
    EXPECT_EQ(err, "IEE307I D X) DELIMITER ERROR AT COLUMN 4: ) WITHOUT (");
    EXPECT_FALSE(tokenize("S APPA,'x", t, err));
    EXPECT_EQ(err, "IEE307I S APPA,'x DELIMITER ERROR AT COLUMN 8: QUOTE NOT CLOSED");
    EXPECT_FALSE(tokenize("   ", t, err));
    EXPECT_EQ(err.rfind("ZPX1801E NO COMMAND", 0), 0u);
    EXPECT_FALSE(tokenize(std::string(127, 'D'), t, err));
    EXPECT_EQ(err, "ZPX1801E COMMAND IS 127 CHARACTERS LONG: A CONSOLE TAKES AT MOST 126");
    EXPECT_FALSE(tokenize("D T\x01", t, err));
    EXPECT_EQ(err, "ZPX1801E COMMAND HAS A CONTROL OR NON-ASCII CHARACTER AT COLUMN 4");
}

TEST(operator_route, unknown_commands_get_iee305i) {
    auto r = route("FOO BAR");
    EXPECT_EQ(r.where, target::invalid);
    EXPECT_EQ(r.error, "IEE305I FOO      COMMAND INVALID");
    EXPECT_EQ(route("D FOO").error, "IEE305I FOO      COMMAND INVALID");
    EXPECT_EQ(route("V FOO,BAR").error, "IEE305I FOO      COMMAND INVALID");
    EXPECT_EQ(route("D").error, "IEE311I D PARAMETER MISSING");
}

TEST(operator_route, display_tcpip_goes_to_the_stack_in_canonical_form) {
    auto r = route("D TCPIP,TCPIPA,N,VIPADYN");
    EXPECT_EQ(r.where, target::stack);
    EXPECT_EQ(r.text, "D TCPIP,TCPIPA,NETSTAT,VIPADYN");
    EXPECT_EQ(route("DISPLAY TCPIP,,NETSTAT,VDYN").text, "D TCPIP,,NETSTAT,VIPADYN");
    EXPECT_EQ(route("d tcpip,,n,vcfg").text, "D TCPIP,,NETSTAT,VIPADCFG");
    EXPECT_EQ(route("D TCPIP,,N,DEV").text, "D TCPIP,,NETSTAT,DEVLINKS");
    EXPECT_EQ(route("D TCPIP,,N,VDPT,DETAIL").text, "D TCPIP,,NETSTAT,VDPT,DETAIL");
    EXPECT_EQ(route("D TCPIP,,SYSPLEX,VIPADYN").text, "D TCPIP,,SYSPLEX,VIPADYN");
    EXPECT_EQ(route("D TCPIP,,SYS,VIPAD").text, "D TCPIP,,SYSPLEX,VIPADYN");
    EXPECT_EQ(route("D TCPIP,,FOO,X").error, "IEE309I D TCPIP,,FOO UNIDENTIFIABLE KEYWORD FOO");
    EXPECT_EQ(route("D TCPIP,,N").error, "IEE311I D TCPIP,,NETSTAT PARAMETER MISSING");
    EXPECT_EQ(route("D TCPIP,TOOLONGNAME,N,HOME").where, target::invalid);
}

TEST(operator_route, vary_tcpip_obeyfile_and_sysplex) {
    auto r = route("V TCPIP,,OBEYFILE,DSN=SYS1.TCPPARMS(OBEYDIST)");
    EXPECT_EQ(r.where, target::stack);
    EXPECT_EQ(r.text, "V TCPIP,,OBEYFILE,SYS1.TCPPARMS(OBEYDIST)");
    EXPECT_EQ(route("VARY TCPIP,TCPIPA,O,'SYS1.TCPPARMS(OBEYDIST)'").text, "V TCPIP,TCPIPA,OBEYFILE,SYS1.TCPPARMS(OBEYDIST)");
    EXPECT_EQ(route("V TCPIP,,SYSPLEX,DEACTIVATE,DVIPA=198.18.2.1").text, "V TCPIP,,SYSPLEX,DEACTIVATE,DVIPA=198.18.2.1");
    EXPECT_EQ(route("V TCPIP,,OBEYFILE").error, "IEE311I V TCPIP,,OBEYFILE PARAMETER MISSING");
}

TEST(operator_route, xcf_and_cf_commands) {
    EXPECT_EQ(route("D XCF").where, target::xcf);
    EXPECT_EQ(route("D XCF").text, "D XCF");
    EXPECT_EQ(route("D XCF,GROUP,EZBTCPCS,ALL").text, "D XCF,GROUP,EZBTCPCS,ALL");
    auto s = route("D XCF,STR,STRNAME=EZBDVIPA");
    EXPECT_EQ(s.where, target::cf);
    EXPECT_EQ(s.text, "D XCF,STR,STRNAME=EZBDVIPA");
    EXPECT_EQ(route("D CF").where, target::cf_all);
    EXPECT_EQ(route("D CF,CFNAME=CF01").text, "D CF,CFNAME=CF01");
    auto x = route("SETXCF STA,RB,STRNAME=EZBDVIPA");
    EXPECT_EQ(x.where, target::cf);
    EXPECT_EQ(x.text, "SETXCF START,REBUILD,STRNAME=EZBDVIPA");
    EXPECT_EQ(route("SETXCF FOO").error, "IEE309I SETXCF UNIDENTIFIABLE KEYWORD FOO");
    auto v = route("V XCF,MVS1,OFFLINE");
    EXPECT_EQ(v.where, target::vary_offline);
    EXPECT_EQ(v.systems, std::vector<std::string>{"MVS1"});
}

TEST(operator_route, route_command_to_one_a_list_or_all) {
    auto r = route("RO *ALL,D TCPIP,,SYSPLEX,VIPADYN");
    EXPECT_EQ(r.where, target::route);
    EXPECT_EQ(r.systems, std::vector<std::string>{"*ALL"});
    EXPECT_EQ(r.text, "D TCPIP,,SYSPLEX,VIPADYN");
    auto l = route("ROUTE (mvs1, MVS2),D XCF");
    EXPECT_EQ(l.systems, (std::vector<std::string>{"MVS1", "MVS2"}));
    EXPECT_EQ(l.text, "D XCF");
    EXPECT_EQ(route("RO MVS2").error, "IEE311I RO MVS2 PARAMETER MISSING");
    EXPECT_EQ(route("RO MVS2,FOO").error, "IEE305I FOO      COMMAND INVALID");
    EXPECT_EQ(route("RO *ALL,RO MVS1,D XCF").error, "IEE345I ROUTE COMMAND NOT EXECUTED: A ROUTE COMMAND CANNOT BE ROUTED");
    EXPECT_EQ(route("RO 1BAD,D XCF").where, target::invalid);
    EXPECT_EQ(route("RO (MVS1,D XCF").where, target::invalid);

    std::string err;
    std::vector<std::string> all{"MVS1", "MVS2", "MVS3"};
    EXPECT_EQ(route_targets({"*ALL"}, all, "MVS1", err), all);
    EXPECT_EQ(route_targets({"*OTHER"}, all, "MVS1", err), (std::vector<std::string>{"MVS2", "MVS3"}));
    EXPECT_EQ(route_targets({"mvs3", "MVS3"}, all, "MVS1", err), std::vector<std::string>{"MVS3"});
    EXPECT_TRUE(err.empty());
    EXPECT_TRUE(route_targets({"MVS9"}, all, "MVS1", err).empty());
    EXPECT_EQ(err, "IEE345I ROUTE COMMAND NOT EXECUTED: SYSTEM MVS9 IS NOT IN THE SYSPLEX");
}

TEST(operator_route, start_and_stop_of_procedures) {
    auto s = route("S APPA");
    EXPECT_EQ(s.where, target::start_proc);
    EXPECT_EQ(s.proc, "APPA");
    auto p = route("P APPB");
    EXPECT_EQ(p.where, target::stop_proc);
    EXPECT_EQ(p.proc, "APPB");
    EXPECT_EQ(route("STOP APPA.JOB2").proc, "JOB2");
    EXPECT_EQ(route("START APPA.JOB2").proc, "APPA");
    EXPECT_EQ(route("S").error, "IEE311I S PARAMETER MISSING");
    EXPECT_EQ(route("S 9APP").where, target::invalid);
}

}  // namespace
}  // namespace zplex::operating
