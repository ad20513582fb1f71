// SPDX-License-Identifier: Apache-2.0
// `zplex topology --svg` of FIG4 when nothing runs (the catalogue): a valid SVG, read by
// an XML parser, naming every image, CF, DVIPA and its owner; without Graphviz a clear
// message instead of a picture.
#include "run_command.hpp"
#include "tmp_dir.hpp"

#include <gtest/gtest.h>
#include <pugixml.hpp>

#include <filesystem>
#include <set>
#include <string>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using zplex::test::shell_quote;
using zplex::test::tmp_dir;

std::string topology(const tmp_dir& t, const std::string& extra, int& rc) {
    auto r = zplex::test::run_command(shell_quote(ZPLEX_BIN) + " topology --sysplex " +
                                      shell_quote((fs::path(ZPLEX_SOURCE_DIR) / "profiles/FIG4").string()) +
                                      " --run-dir " + shell_quote((t.dir / "no-run").string()) + " " + extra);
    rc = r.rc;
    return r.out;
}

void texts(const pugi::xml_node& n, std::string& all) {
    for (auto c : n.children()) {
        if (c.type() == pugi::node_pcdata) all += std::string(c.value()) + "\n";
        texts(c, all);
    }
}

TEST(cli_topology, fig4_from_the_catalogue_as_text) {
    tmp_dir t("zplex-topology");
    int rc = -1;
    auto out = topology(t, "", rc);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("ZPX1870I SYSPLEX ZPLEX1 TOPOLOGY FROM CATALOGUE "), std::string::npos) << out;
    for (int i = 1; i <= 5; ++i) EXPECT_NE(out.find("MVS" + std::to_string(i) + "     TCPIPA   DEFINED"), std::string::npos) << out;
    EXPECT_NE(out.find("DVIPA    198.18.2.1      OWNER MVS1       BACKUP MVS2(100)  TARGETS MVS1 MVS2 MVS4"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("DVIPA    198.18.2.2      OWNER MVS5       BACKUP MVS4(100) MVS1(50)"), std::string::npos) << out;
    EXPECT_NE(out.find("CF       CF01     DEFINED      STRUCTURES EZBDVIPA EZBEPORT"), std::string::npos) << out;
    EXPECT_NE(out.find("HOST     PEER1    198.18.0.200/24    ipsec-peer"), std::string::npos) << out;
}

TEST(cli_topology, the_svg_is_valid_xml_naming_every_image_cf_dvipa_and_owner) {
    tmp_dir t("zplex-topology");
    const fs::path svg = t.dir / "fig4.svg";
    int rc = -1;
    auto out = topology(t, "--svg " + shell_quote(svg.string()) + " --dot " + shell_quote((t.dir / "fig4.dot").string()), rc);
    ASSERT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("ZPX1871I THE TOPOLOGY OF ZPLEX1 IS DRAWN IN " + svg.string()), std::string::npos) << out;
    pugi::xml_document doc;
    auto parsed = doc.load_file(svg.c_str());
    ASSERT_TRUE(parsed) << parsed.description();
    auto root = doc.document_element();
    EXPECT_STREQ(root.name(), "svg");
    EXPECT_STREQ(root.attribute("xmlns").value(), "http://www.w3.org/2000/svg");
    std::string all;
    texts(root, all);
    for (const char* name : {"MVS1", "MVS2", "MVS3", "MVS4", "MVS5", "CF01", "CF02", "EZBDVIPA", "DVIPA 198.18.2.1",
                             "DVIPA 198.18.2.2", "OWNER MVS1", "OWNER MVS5", "CLIENT1", "PEER1", "backup 100", "target"})
        EXPECT_NE(all.find(name), std::string::npos) << name << " is not drawn";
    // Graphviz names each node and edge in a <title>: owner edges of both DVIPAs.
    std::set<std::string> titles;
    for (auto n : root.select_nodes("//*[local-name()='title']")) titles.insert(n.node().child_value());
    EXPECT_TRUE(titles.count("dvipa:198.18.2.1&#45;&gt;image:MVS1") || titles.count("dvipa:198.18.2.1->image:MVS1"))
        << "no owner edge of DVA1";
    EXPECT_TRUE(titles.count("image:MVS5")) << "no node of MVS5";
}

TEST(cli_topology, without_graphviz_the_svg_is_refused_with_a_message) {
    tmp_dir t("zplex-topology");
    auto r = zplex::test::run_command("PATH=/nonexistent " + shell_quote(ZPLEX_BIN) + " topology --sysplex " +
                                      shell_quote((fs::path(ZPLEX_SOURCE_DIR) / "profiles/FIG4").string()) + " --run-dir " +
                                      shell_quote((t.dir / "no-run").string()) + " --svg " +
                                      shell_quote((t.dir / "y.svg").string()));
    EXPECT_EQ(r.rc, 8) << r.out;
    EXPECT_NE(r.out.find("ZPX1872E dot (GRAPHVIZ) IS NOT INSTALLED"), std::string::npos) << r.out;
}

}  // namespace
