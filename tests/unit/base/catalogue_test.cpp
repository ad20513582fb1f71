// SPDX-License-Identifier: Apache-2.0
// SYSPLEX.xml: the FIG4 catalogue, symbol precedence, and every schema rule with its line.
#include <zplex/sysplex/catalogue.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <unistd.h>

namespace zplex::sysplex {
namespace {

namespace fs = std::filesystem;

const fs::path fig4 = fs::path(ZPLEX_SOURCE_DIR) / "profiles" / "FIG4";

TEST(catalogue, fig4_loads) {
    auto cat = catalogue::load(fig4);
    const auto& c = cat.config();
    EXPECT_EQ(c.name, "ZPLEX1");
    ASSERT_EQ(c.images.size(), 5u);
    EXPECT_EQ(c.images[0].name, "MVS1");
    EXPECT_EQ(c.images[4].profile_dsn, "SYS1.TCPPARMS(PROFMVS5)");
    EXPECT_EQ(c.images[2].sysclone, "M3");
    EXPECT_EQ(c.cfs.size(), 2u);
    const auto* dv = c.find_structure("EZBDVIPA");
    ASSERT_NE(dv, nullptr);
    EXPECT_TRUE(dv->duplex);
    EXPECT_EQ(dv->preflist, (std::vector<std::string>{"CF01", "CF02"}));
    EXPECT_EQ(dv->list_count, 64u);
    ASSERT_NE(c.find_structure("EZBEPORT"), nullptr);
    EXPECT_FALSE(c.find_structure("EZBEPORT")->duplex);
    EXPECT_EQ(c.xcf.interval.count(), 300);
    EXPECT_EQ(c.xcf.sysplex_key_file, "SYS1.XCF.KEY");
    ASSERT_TRUE(c.lan);
    EXPECT_EQ(c.lan->subnet, "198.18.0.0/24");
    ASSERT_EQ(c.lan->hosts.size(), 3u);
    EXPECT_EQ(c.lan->hosts[2].role, "ipsec-peer");
    EXPECT_EQ(c.lan->hosts[2].swanctl_dsn, "ZPLEX.PEER.SWANCTL(PEER1)");
    EXPECT_EQ(c.lan->hosts[0].swanctl_dsn, "");
    EXPECT_EQ(c.find_image("mvs2"), &c.images[1]);
    EXPECT_EQ(c.find_image("MVS9"), nullptr);
    for (const auto& im : c.images) {
        EXPECT_TRUE(cat.datasets().resolve(im.profile_dsn)) << im.profile_dsn;
    }
}

TEST(catalogue, symbols_for_an_image) {
    auto c = catalogue::load(fig4).config();
    auto s = c.symbols_for(*c.find_image("MVS4"));
    EXPECT_EQ(s["SYSNAME"], "MVS4");
    EXPECT_EQ(s["SYSCLONE"], "M4");
    EXPECT_EQ(s["SYSPLEX"], "ZPLEX1");
    EXPECT_EQ(s["XCFIP"], "198.18.1.4");
    EXPECT_EQ(s["DVA1"], "198.18.2.1");  // sysplex-wide symbol
}

TEST(catalogue, image_symbols_override_sysplex_symbols) {
    auto c = parse_sysplex_xml(R"x(<sysplex name="P1"><symbol name="X" value="plex"/>
  <image name="A" sysclone="A1" profile="S.T(P)"><symbol name="X" value="image"/></image></sysplex>)x",
                               "T.xml");
    EXPECT_EQ(c.symbols_for(c.images[0])["X"], "image");
}

/// The schema error for @p xml, or "" when it parses.
std::string error_of(const std::string& xml, int* line = nullptr) {
    try {
        parse_sysplex_xml(xml, "SYSPLEX.xml");
    } catch (const catalogue_error& e) {
        if (line) {
            *line = e.line();
        }
        return e.what();
    }
    return "";
}

const std::string head = "<sysplex name=\"P1\">\n";
const std::string image = "  <image name=\"A\" sysclone=\"A1\" profile=\"S.T(P)\"/>\n";
const std::string tail = "</sysplex>\n";

TEST(catalogue_schema, minimal_is_valid) {
    EXPECT_EQ(error_of(head + image + tail), "");
}

TEST(catalogue_schema, an_image_lan_address_is_the_users_own) {
    // Only the networks zplex builds (lan subnets) stay in 198.18.0.0/15.
    EXPECT_EQ(error_of(head + "  <image name=\"A\" sysclone=\"A1\" profile=\"S.T(P)\" lan-address=\"10.1.2.11/24\"/>\n" +
                       tail),
              "");
    EXPECT_NE(error_of(head + "  <image name=\"A\" sysclone=\"A1\" profile=\"S.T(P)\" lan-address=\"10.1.2/24\"/>\n" +
                       tail)
                  .find("IS NOT AN ADDRESS/PREFIX LENGTH"),
              std::string::npos);
}

TEST(catalogue_schema, procedures_map_a_name_to_a_program) {
    auto c = parse_sysplex_xml(head + image + "  <procedure name=\"appa\" program=\"zplex-app\" args=\"--image  MVS1 --port 60\"/>\n" + tail,
                               "SYSPLEX.xml");
    ASSERT_EQ(c.procedures.size(), 1u);
    ASSERT_NE(c.find_procedure("APPA"), nullptr);
    EXPECT_EQ(c.find_procedure("appa")->program, "zplex-app");
    EXPECT_EQ(c.find_procedure("APPA")->args, (std::vector<std::string>{"--image", "MVS1", "--port", "60"}));
    EXPECT_EQ(c.find_procedure("APPB"), nullptr);
    EXPECT_NE(error_of(head + image + "  <procedure name=\"APPA\" program=\"a\"/>\n  <procedure name=\"APPA\" program=\"b\"/>\n" + tail)
                  .find("PROCEDURE APPA IS DEFINED TWICE"),
              std::string::npos);
    EXPECT_NE(error_of(head + image + "  <procedure name=\"APPA\"/>\n" + tail).find("program"), std::string::npos);
    EXPECT_NE(error_of(head + image + "  <procedure name=\"APPA\" program=\"a b\"/>\n" + tail).find("WITHOUT BLANKS"),
              std::string::npos);
    EXPECT_NE(error_of(head + image + "  <procedure name=\"9APP\" program=\"a\"/>\n" + tail).find("IS NOT A VALID NAME"),
              std::string::npos);
    EXPECT_NE(error_of(head + image + "  <procedure name=\"APPA\" program=\"a\" parm=\"x\"/>\n" + tail), "");
}

TEST(catalogue_schema, not_well_formed_names_the_line) {
    int line = 0;
    auto e = error_of(head + image + "  <cf name=\"CF01\">\n" + tail, &line);
    EXPECT_NE(e.find("ZPX0200E SYSPLEX.xml LINE"), std::string::npos) << e;
    EXPECT_NE(e.find("NOT WELL-FORMED XML"), std::string::npos) << e;
    EXPECT_GE(line, 3);
}

struct bad_case {
    std::string body;
    int line;
    std::string fragment;
    friend void PrintTo(const bad_case& c, std::ostream* os) { *os << "'" << c.fragment << "'"; }
};

class schema_rules : public ::testing::TestWithParam<bad_case> {};

TEST_P(schema_rules, rule_broken_is_named_with_its_line) {
    const auto& p = GetParam();
    int line = 0;
    auto e = error_of(head + p.body + tail, &line);
    EXPECT_NE(e.find(p.fragment), std::string::npos) << e;
    EXPECT_EQ(line, p.line) << e;
    EXPECT_NE(e.find("LINE " + std::to_string(p.line) + ":"), std::string::npos) << e;
}

INSTANTIATE_TEST_SUITE_P(
    all, schema_rules,
    ::testing::Values(
        bad_case{image + "  <imgae name=\"B\"/>\n", 3, "UNKNOWN ELEMENT <imgae> INSIDE <sysplex>"},
        bad_case{"  <image name=\"A\" sysclone=\"A1\" profile=\"S.T(P)\" colour=\"red\"/>\n", 2,
                 "UNKNOWN ATTRIBUTE colour"},
        bad_case{"  <image name=\"A\" profile=\"S.T(P)\"/>\n", 2, "NEEDS ATTRIBUTE sysclone"},
        bad_case{image + image, 3, "IMAGE A IS DEFINED TWICE"},
        bad_case{"  <image name=\"TOOLONGNAME\" sysclone=\"A1\" profile=\"S.T(P)\"/>\n", 2, "IS NOT A VALID NAME"},
        bad_case{"  <image name=\"1A\" sysclone=\"A1\" profile=\"S.T(P)\"/>\n", 2, "IS NOT A VALID NAME"},
        bad_case{"  <image name=\"A\" sysclone=\"ABC\" profile=\"S.T(P)\"/>\n", 2, "MUST BE 1-2 LETTERS OR DIGITS"},
        bad_case{image + "  <image name=\"B\" sysclone=\"A1\" profile=\"S.T(P)\"/>\n", 3, "SYSCLONE A1 IS USED BY TWO"},
        bad_case{"  <image name=\"A\" sysclone=\"A1\" profile=\"S..T(P)\"/>\n", 2, "IS NOT A DATA SET NAME: EMPTY QUALIFIER"},
        bad_case{"  <cf name=\"CF01\"/>\n  <cf name=\"CF01\"/>\n" + image, 3, "COUPLING FACILITY CF01 IS DEFINED TWICE"},
        bad_case{"  <cf name=\"CF01\"/>\n  <structure name=\"S1\" size-kb=\"1024\" lists=\"8\" entry-size=\"256\"\n"
                 "     max-entries=\"100\" preflist=\"CF09\"/>\n" + image,
                 3, "PREFLIST OF S1 NAMES CF09"},
        bad_case{"  <cf name=\"CF01\"/>\n  <structure name=\"S1\" size-kb=\"1024\" lists=\"8\" entry-size=\"256\" "
                 "max-entries=\"100\" preflist=\"CF01\" duplex=\"enabled\"/>\n" + image,
                 3, "NEEDS TWO COUPLING FACILITIES"},
        bad_case{"  <cf name=\"CF01\"/>\n  <structure name=\"S1\" size-kb=\"1\" lists=\"8\" entry-size=\"256\" "
                 "max-entries=\"100\" preflist=\"CF01\"/>\n" + image,
                 3, "CANNOT HOLD 100 ENTRIES"},
        bad_case{"  <cf name=\"CF01\"/>\n  <structure name=\"S1\" size-kb=\"-5\" lists=\"8\" entry-size=\"256\" "
                 "max-entries=\"100\" preflist=\"CF01\"/>\n" + image,
                 3, "size-kb=\"-5\" IS NOT A WHOLE NUMBER"},
        bad_case{"  <cf name=\"CF01\"/>\n  <structure name=\"S1\" size-kb=\"99999999999999999999\" lists=\"8\" "
                 "entry-size=\"256\" max-entries=\"100\" preflist=\"CF01\"/>\n" + image,
                 3, "IS NOT A WHOLE NUMBER"},
        bad_case{"  <cf name=\"CF01\"/>\n  <structure name=\"S1\" size-kb=\"1024\" lists=\"0\" entry-size=\"256\" "
                 "max-entries=\"100\" preflist=\"CF01\"/>\n" + image,
                 3, "lists=\"0\" IS NOT IN THE RANGE 1 TO 4096"},
        bad_case{"  <cf name=\"CF01\"/>\n  <structure name=\"S1\" size-kb=\"1024\" lists=\"8\" entry-size=\"256\" "
                 "max-entries=\"100\" preflist=\"CF01\" duplex=\"maybe\"/>\n" + image,
                 3, "MUST BE ENABLED OR DISABLED"},
        bad_case{image + "  <lan name=\"L\" subnet=\"10.0.0.0/8\"/>\n", 3, "OUTSIDE 198.18.0.0/15"},
        bad_case{image + "  <lan name=\"L\" subnet=\"198.18.0.0/33\"/>\n", 3, "IS NOT AN ADDRESS/PREFIX LENGTH"},
        bad_case{image + "  <lan name=\"L\" subnet=\"198.18.0.0/24\">\n    <host name=\"C1\" address=\"198.18.0.9/24\" "
                 "role=\"hacker\"/>\n  </lan>\n",
                 4, "MUST BE client, server OR ipsec-peer"},
        bad_case{image + "  <lan name=\"L\" subnet=\"198.18.0.0/24\">\n    <host name=\"A\" address=\"198.18.0.9/24\" "
                 "role=\"client\"/>\n  </lan>\n",
                 4, "HOST NAME A IS ALREADY USED"},
        bad_case{image + "  <lan name=\"L\" subnet=\"198.18.0.0/24\">\n    <host name=\"C1\" address=\"198.18.0.9/24\" "
                 "role=\"client\" swanctl=\"ZPLEX.PEER.SWANCTL(C1)\"/>\n  </lan>\n",
                 4, "SWANCTL= IS TAKEN ONLY BY A HOST OF ROLE=\"ipsec-peer\""},
        bad_case{image + "  <lan name=\"L\" subnet=\"198.18.0.0/24\">\n    <host name=\"P1\" address=\"198.18.0.9/24\" "
                 "role=\"ipsec-peer\" swanctl=\"ZPLEX..SWANCTL\"/>\n  </lan>\n",
                 4, "SWANCTL=\"ZPLEX..SWANCTL\" IS NOT A DATA SET NAME"},
        bad_case{"  <symbol name=\"SYSNAME\" value=\"X\"/>\n" + image, 2, "IS SET BY THE SYSTEM"},
        bad_case{"  <symbol name=\"A\" value=\"1\"/>\n  <symbol name=\"A\" value=\"2\"/>\n" + image, 3,
                 "SYMBOL &A. IS DEFINED TWICE"},
        bad_case{"  <xcf interval-ms=\"0\"/>\n" + image, 2, "interval-ms=\"0\" IS NOT IN THE RANGE"},
        bad_case{"  <xcf/>\n  <xcf/>\n" + image, 3, "ONLY ONE <xcf>"},
        bad_case{image + "  some text\n", 2, "UNEXPECTED TEXT INSIDE <sysplex>"}));

TEST(catalogue_schema, wrong_root_and_no_images) {
    int line = 0;
    EXPECT_NE(error_of("<plex name=\"X\"/>", &line).find("THE ROOT ELEMENT MUST BE <sysplex>"), std::string::npos);
    EXPECT_NE(error_of(head + tail).find("AT LEAST ONE <image>"), std::string::npos);
}

TEST(catalogue_load, a_missing_profile_names_its_image_line) {
    auto dir = fs::temp_directory_path() / ("zplex-cat-load-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "S.T");
    std::ofstream(dir / "S.T" / "P") << "IPCONFIG SYSPLEXROUTING\n";
    std::ofstream(dir / "SYSPLEX.xml") << head << image << "  <image name=\"B\" sysclone=\"B1\" profile=\"S.T(Q)\"/>\n"
                                       << tail;
    try {
        catalogue::load(dir);
        ADD_FAILURE() << "no error";
    } catch (const catalogue_error& e) {
        EXPECT_EQ(e.line(), 3) << e.what();
        EXPECT_NE(std::string(e.what()).find("PROFILE 'S.T(Q)' OF IMAGE B CANNOT BE FOUND: MEMBER NOT FOUND"),
                  std::string::npos)
            << e.what();
    }
    fs::remove_all(dir);
}

TEST(catalogue_load, profiles_need_not_exist_when_not_required) {
    auto dir = fs::temp_directory_path() / ("zplex-cat-noreq-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "SYSPLEX.xml") << head << image << tail;
    EXPECT_THROW(catalogue::load(dir), catalogue_error);
    EXPECT_EQ(catalogue::load(dir, false).config().images.size(), 1u);
    fs::remove_all(dir);
}

TEST(catalogue_load, missing_folder_and_missing_profile) {
    try {
        catalogue::load("/nonexistent/zplex");
        FAIL() << "no error";
    } catch (const catalogue_error& e) {
        EXPECT_NE(std::string(e.what()).find("ZPX0202E"), std::string::npos) << e.what();
    }
}


TEST(catalogue_schema, proclib_concatenation_in_order_and_sys1_by_default) {
    EXPECT_EQ(parse_sysplex_xml(head + image + tail, "SYSPLEX.xml").proclib, (std::vector<std::string>{"SYS1.PROCLIB"}));
    auto c = parse_sysplex_xml(head + image + "  <proclib dsn=\"zplex.proclib\"/>\n  <proclib dsn=\"'SYS1.PROCLIB'\"/>\n" + tail,
                               "SYSPLEX.xml");
    EXPECT_EQ(c.proclib, (std::vector<std::string>{"ZPLEX.PROCLIB", "SYS1.PROCLIB"}));
    int line = 0;
    EXPECT_NE(error_of(head + image + "  <proclib dsn=\"A.B(MEM)\"/>\n" + tail, &line).find("A MEMBER IS NOT ALLOWED"),
              std::string::npos);
    EXPECT_EQ(line, 3);
    EXPECT_NE(error_of(head + image + "  <proclib dsn=\"9A.B\"/>\n" + tail).find("IS NOT A PARTITIONED DATA SET NAME"),
              std::string::npos);
    EXPECT_NE(error_of(head + image + "  <proclib dsn=\"A.B\"/>\n  <proclib dsn=\"a.b\"/>\n" + tail)
                  .find("PROCLIB A.B IS IN THE CONCATENATION TWICE"),
              std::string::npos);
    EXPECT_NE(error_of(head + image + "  <proclib/>\n" + tail).find("NEEDS ATTRIBUTE dsn"), std::string::npos);
    EXPECT_NE(error_of(head + image + "  <proclib dsn=\"A.B\" member=\"X\"/>\n" + tail).find("UNKNOWN ATTRIBUTE member"),
              std::string::npos);
}

TEST(catalogue_load, a_named_proclib_must_be_a_pds_of_the_catalogue) {
    auto dir = fs::temp_directory_path() / ("zplex-cat-proclib-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "S.T");
    std::ofstream(dir / "S.T" / "P") << "IPCONFIG SYSPLEXROUTING\n";
    std::ofstream(dir / "SYSPLEX.xml") << head << image << "  <proclib dsn=\"USER.PROCLIB\"/>\n" << tail;
    try {
        catalogue::load(dir);
        ADD_FAILURE() << "no error";
    } catch (const catalogue_error& e) {
        EXPECT_EQ(e.line(), 3) << e.what();
        EXPECT_NE(std::string(e.what()).find("ZPX0204E"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("PROCLIB 'USER.PROCLIB' IS NOT A PARTITIONED DATA SET"), std::string::npos)
            << e.what();
    }
    EXPECT_EQ(catalogue::load(dir, false).config().proclib, (std::vector<std::string>{"USER.PROCLIB"}));
    fs::create_directories(dir / "USER.PROCLIB");
    EXPECT_EQ(catalogue::load(dir).config().proclib, (std::vector<std::string>{"USER.PROCLIB"}));
    fs::remove_all(dir);
}

}  // namespace
}  // namespace zplex::sysplex
