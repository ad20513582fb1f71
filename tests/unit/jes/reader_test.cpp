// SPDX-License-Identifier: Apache-2.0
// The JCL reader from strings: columns, continuation, comments, delimiters,
// in-stream data (shared/REFERENCE.md §11.3).
#include <zplex/jes/jcl.hpp>

#include <gtest/gtest.h>

namespace zplex::jes::test {
namespace {

std::vector<statement> jcl_only(std::string_view text) {
    std::vector<statement> out;
    for (auto& s : read_jcl(text, "T")) {
        if (s.type == statement::kind::jcl) {
            out.push_back(std::move(s));
        }
    }
    return out;
}

TEST(reader, fields_name_operation_operands_comment) {
    auto s = jcl_only("//STEP1    EXEC PGM=IEFBR14,PARM='A B'   COMMENT HERE\n");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].name, "STEP1");
    EXPECT_EQ(s[0].op, "EXEC");
    EXPECT_EQ(s[0].operands, "PGM=IEFBR14,PARM='A B'");
}

TEST(reader, columns_72_to_80_are_not_part_of_the_statement) {
    std::string rec = "//DD1 DD DSN=A.B,DISP=SHR";
    rec.resize(71, ' ');
    rec += "X12345678";
    auto s = jcl_only(rec + "\n");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].operands, "DSN=A.B,DISP=SHR");
    EXPECT_TRUE(s[0].errors.empty());
}

TEST(reader, continuation_resumes_in_columns_4_to_16) {
    auto s = jcl_only("//DD1 DD DSN=A.B,\n//*  A COMMENT BETWEEN\n//             DISP=(NEW,CATLG)\n");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].operands, "DSN=A.B,DISP=(NEW,CATLG)");
    EXPECT_EQ(s[0].records.size(), 3u);
    EXPECT_TRUE(s[0].errors.empty());
}

TEST(reader, continuation_in_column_17_is_not_received) {
    auto s = jcl_only("//DD1 DD DSN=A.B,\n//              DISP=SHR\n");
    ASSERT_EQ(s.size(), 2u);
    ASSERT_EQ(s[0].errors.size(), 1u);
    EXPECT_EQ(s[0].errors[0].id, "IEFC621I");
    EXPECT_EQ(s[0].errors[0].text, "EXPECTED CONTINUATION NOT RECEIVED");
    EXPECT_EQ(s[1].op, "DISP=SHR");  // read as a statement of its own (IEFC605I in the converter)
}

TEST(reader, continuation_with_a_name_in_column_3_is_not_received) {
    auto s = jcl_only("//DD1 DD DSN=A.B,\n//DD2 DD DUMMY\n");
    ASSERT_EQ(s.size(), 2u);
    ASSERT_EQ(s[0].errors.size(), 1u);
    EXPECT_EQ(s[0].errors[0].id, "IEFC621I");
    EXPECT_EQ(s[1].name, "DD2");
}

TEST(reader, a_blank_ends_the_operand_field_silently) {
    auto s = jcl_only("//DD1 DD DSN=X, DISP=(NEW,CATLG)\n//DD2 DD DUMMY\n");
    // DSN=X, ends with a comma: a continuation is expected and not received.
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s[0].operands, "DSN=X,");
    auto t = jcl_only("//DD1 DD DSN=X DISP=(NEW,CATLG)\n");
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0].operands, "DSN=X");  // DISP is a comment
    EXPECT_TRUE(t[0].errors.empty());
}

TEST(reader, apostrophe_broken_at_column_71_resumes_in_column_16) {
    std::string first = "//S1 EXEC PGM=BPXBATCH,PARM='SH echo one two three four five six";
    ASSERT_LT(first.size(), 71u);
    first.resize(71, 'x');
    std::string second = "//             seven'";
    auto s = jcl_only(first + "\n" + second + "\n");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_TRUE(s[0].errors.empty());
    std::string expect = first.substr(10) + "seven'";
    EXPECT_EQ(s[0].operands, expect);
}

TEST(reader, apostrophe_left_open_without_continuation) {
    auto s = jcl_only("//S1 EXEC PGM=X,PARM='OPEN\n//S2 EXEC PGM=Y\n");
    ASSERT_EQ(s.size(), 2u);
    ASSERT_FALSE(s[0].errors.empty());
    EXPECT_EQ(s[0].errors[0].id, "IEFC621I");
}

TEST(reader, a_name_filling_columns_3_to_71_is_read_without_an_operation) {
    auto s = jcl_only("//" + std::string(69, 'N') + "\n");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].op, "");
    EXPECT_EQ(s[0].name.size(), 69u);
}

TEST(reader, comments_delimiters_and_null_statement) {
    auto all = read_jcl("//J JOB\n//* NOTE\n/*\n//\n//AFTER EXEC PGM=X\n", "T");
    ASSERT_EQ(all.size(), 5u);
    EXPECT_EQ(all[1].type, statement::kind::comment);
    EXPECT_EQ(all[2].type, statement::kind::delimiter);
    EXPECT_EQ(all[3].type, statement::kind::null);
}

TEST(reader, instream_star_ends_at_slash_star_or_slash_slash) {
    auto s = jcl_only("//IN DD *\nLINE 1\n LINE 2\n/*\n//IN2 DD *\nDATA A\n//NEXT DD DUMMY\n");
    ASSERT_EQ(s.size(), 3u);
    EXPECT_EQ(s[0].data, (std::vector<std::string>{"LINE 1", " LINE 2"}));
    EXPECT_EQ(s[1].data, (std::vector<std::string>{"DATA A"}));
    EXPECT_EQ(s[2].name, "NEXT");
}

TEST(reader, instream_data_keeps_slash_slash_until_dlm) {
    auto s = jcl_only("//IN DD DATA,DLM=$$\n//NOT A STATEMENT\n/* NOR THIS\n$$\n//NEXT DD DUMMY\n");
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s[0].data, (std::vector<std::string>{"//NOT A STATEMENT", "/* NOR THIS"}));
    auto d = jcl_only("//IN DD DATA\n//KEPT\n/*\n");
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].data, (std::vector<std::string>{"//KEPT"}));
}

TEST(reader, instream_data_may_use_column_72_and_beyond) {
    std::string rec(80, 'D');
    auto s = jcl_only("//IN DD *\n" + rec + "\n");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].data[0], rec);
}

TEST(reader, records_without_slashes_get_a_generated_sysin) {
    auto s = jcl_only("//J JOB\n//S EXEC PGM=X\nDATA WITHOUT DD\n");
    ASSERT_EQ(s.size(), 3u);
    EXPECT_EQ(s[2].name, "SYSIN");
    EXPECT_TRUE(s[2].instream);
    EXPECT_EQ(s[2].data, (std::vector<std::string>{"DATA WITHOUT DD"}));
}

TEST(reader, if_expression_keeps_blanks_and_ends_at_then) {
    auto s = jcl_only("//CHK IF (STEP1.RC = 0 &\n//       RC < 8) THEN\n");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].op, "IF");
    EXPECT_EQ(s[0].operands, "(STEP1.RC = 0 & RC < 8)");
    auto bad = jcl_only("// IF RC = 0\n//S EXEC PGM=X\n");
    ASSERT_EQ(bad.size(), 2u);
    ASSERT_EQ(bad[0].errors.size(), 1u);
    EXPECT_EQ(bad[0].errors[0].id, "IEFC013I");
}

TEST(parameters, split_keeps_lists_and_apostrophes) {
    std::vector<parameter> p;
    ASSERT_TRUE(split_parameters("*,DSN=A.B(C),DISP=(NEW,CATLG,DELETE),PARM='X,Y=Z'", p));
    ASSERT_EQ(p.size(), 4u);
    EXPECT_EQ(p[0].key, "");
    EXPECT_EQ(p[0].value, "*");
    EXPECT_EQ(p[2].value, "(NEW,CATLG,DELETE)");
    EXPECT_EQ(p[3].value, "'X,Y=Z'");
    EXPECT_EQ(split_list("(NEW,,DELETE)"), (std::vector<std::string>{"NEW", "", "DELETE"}));
    EXPECT_EQ(unquote("'IT''S'"), "IT'S");
    std::string why;
    EXPECT_FALSE(split_parameters("DISP=(NEW,CATLG", p, &why));
    EXPECT_EQ(why, "UNBALANCED PARENTHESIS");
}

}  // namespace
}  // namespace zplex::jes::test
