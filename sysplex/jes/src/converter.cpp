// SPDX-License-Identifier: Apache-2.0
// The JCL converter: statements to a job. Numbers statements as JESJCL does,
// substitutes symbols (SET, PROC defaults, EXEC overrides), expands in-stream and
// catalogued procedures and INCLUDE groups, checks every statement and parameter,
// and builds the steps with their DDs and IF/THEN/ELSE/ENDIF structure.
#include <zplex/jes/jcl.hpp>
#include <zplex/sysplex/dataset.hpp>
#include <zplex/sysplex/text.hpp>

#include "converter_parts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace zplex::jes {

namespace {

using sysplex::iequal;
using sysplex::upper;

constexpr int max_nesting = 15;  // procedures and INCLUDE groups, as z/OS allows
constexpr int max_statements = 20000;  // a job that expands beyond this is stopped

using namespace detail;

void list(context& ctx, const statement& st, const std::string& mark, int number) {
    bool first = true;
    for (const auto& r : st.records) {
        std::string rec = r;
        if (rec.rfind("//", 0) == 0 && mark != "//") {
            rec.replace(0, 2, mark);
        }
        if (first && number > 0) {
            ctx.j.jesjcl.push_back(fmt::format("{:>9} {}", number, rec));
        } else {
            ctx.j.jesjcl.push_back(fmt::format("{:>9} {}", "", rec));
        }
        first = false;
    }
}

void process(context& ctx, const std::vector<statement>& stmts, frame& f);

/// Text of a member of the first library of @p libs that has it.
std::optional<std::string> find_member(context& ctx, const std::vector<std::string>& libs, const std::string& member,
                                       std::string& found_in) {
    if (!ctx.o.read_member) {
        return std::nullopt;
    }
    for (const auto& lib : libs) {
        if (auto text = ctx.o.read_member(lib, member)) {
            found_in = lib;
            return text;
        }
    }
    return std::nullopt;
}

void expand_proc(context& ctx, frame& f, const statement& st, int number, const std::string& stepname,
                 const std::string& procname, const std::vector<parameter>& params);

void do_exec(context& ctx, frame& f, const statement& st, int number, const std::vector<parameter>& params) {
    if (!st.name.empty() && !valid_name(st.name)) {
        ctx.error(number, "IEFC662I", "INVALID LABEL");
    }
    const parameter* pgm = find_param(params, "PGM");
    const parameter* procp = find_param(params, "PROC");
    std::string procname;
    if (!params.empty() && params[0].key.empty()) {
        procname = upper(params[0].value);
    } else if (procp) {
        procname = upper(procp->value);
    }
    if (!pgm && procname.empty()) {
        ctx.error(number, "IEFC605I", "UNIDENTIFIED OPERATION FIELD");
        return;
    }
    if (pgm) {
        std::string name = upper(pgm->value);
        if (name.size() > 8) {
            ctx.error(number, "IEFC642I", "EXCESSIVE PARAMETER LENGTH IN THE PGM FIELD");
        } else if (!valid_name(name) && name.rfind("*.", 0) != 0) {
            ctx.error(number, "IEFC630I", fmt::format("UNIDENTIFIED KEYWORD {}", shown(name)));
        }
        for (std::size_t k = 0; k < params.size(); ++k) {
            const auto& p = params[k];
            if (p.key.empty()) {
                ctx.error(number, "IEFC630I", fmt::format("UNIDENTIFIED KEYWORD {}", shown(p.value)));
            } else if (!exec_keywords.count(p.key)) {
                ctx.error(number, "IEFC630I", fmt::format("UNIDENTIFIED KEYWORD {}", shown(p.key)));
            }
        }
        if (const auto* parm = find_param(params, "PARM")) {
            auto v = parm->value;
            if (!v.empty() && v.front() == '(') {
                v = v.substr(1, v.size() >= 2 ? v.size() - 2 : 0);
            }
            if (unquote(v).size() > 100) {
                ctx.error(number, "IEFC642I", "EXCESSIVE PARAMETER LENGTH IN THE PARM FIELD");
            }
        }
        if (const auto* cond = find_param(params, "COND")) {
            std::string bad;
            if (!parse_cond(cond->value, false, &bad)) {
                ctx.error(number, "IEFC630I", fmt::format("UNIDENTIFIED KEYWORD COND={}", shown(cond->value)));
            }
        }
        raw_step s;
        s.stmt = number;
        s.exec = params;
        if (f.in_proc) {
            s.name = f.exec_name;
            s.procstep = upper(st.name);
            s.proc = f.proc;
        } else {
            s.name = upper(st.name);
        }
        job_item it;
        it.type = job_item::kind::step;
        it.stmt = number;
        s.item = ctx.j.items.size();
        ctx.j.items.push_back(std::move(it));
        ctx.steps.push_back(std::move(s));
        ctx.last_dd_step = ctx.steps.size() - 1;
        if (!f.in_proc) {
            ctx.proc_exec_first.reset();
        }
        return;
    }
    if (!valid_name(procname)) {
        ctx.error(number, "IEFC630I", fmt::format("UNIDENTIFIED KEYWORD {}", shown(procname)));
        return;
    }
    expand_proc(ctx, f, st, number, f.in_proc ? f.exec_name : upper(st.name), procname, params);
}

void expand_proc(context& ctx, frame& f, const statement& st, int number, const std::string& stepname,
                 const std::string& procname, const std::vector<parameter>& params) {
    if (f.depth >= max_nesting) {
        ctx.error(number, "ZPX0510E", fmt::format("PROCEDURE {} NESTED MORE THAN {} LEVELS", procname, max_nesting));
        return;
    }
    std::vector<statement> body;
    std::vector<parameter> defaults;
    std::string mark;
    auto ip = ctx.procs.find(procname);
    if (ip != ctx.procs.end()) {
        body = ip->second.body;
        defaults = ip->second.defaults;
        mark = "++";
        ctx.info(number, "IEFC001I", fmt::format("PROCEDURE {} WAS EXPANDED USING INSTREAM PROCEDURE DEFINITION", procname));
    } else {
        std::string lib;
        std::optional<std::string> text = find_member(ctx, ctx.jcllib, procname, lib);
        bool priv = text.has_value();
        if (!text) {
            text = find_member(ctx, ctx.o.proclib, procname, lib);
        }
        if (!text) {
            ctx.error(number, "IEFC612I", fmt::format("PROCEDURE {} WAS NOT FOUND", procname));
            return;
        }
        mark = "XX";
        ctx.info(number, "IEFC001I", fmt::format("PROCEDURE {} WAS EXPANDED USING {} LIBRARY {}", procname,
                                                 priv ? "PRIVATE" : "SYSTEM", lib));
        body = read_jcl(*text, fmt::format("{}({})", lib, procname));
        // The member's PROC statement gives the defaults; PEND is optional.
        auto first = std::find_if(body.begin(), body.end(),
                                  [](const statement& s) { return s.type == statement::kind::jcl; });
        if (first != body.end() && first->op == "PROC") {
            bool changed = false;
            auto ops = substitute(first->operands, ctx.symbols, nullptr, changed);
            split_parameters(ops, defaults);
            body.erase(first);
        }
        auto last = std::find_if(body.rbegin(), body.rend(),
                                 [](const statement& s) { return s.type == statement::kind::jcl; });
        if (last != body.rend() && last->op == "PEND") {
            body.erase(std::next(last).base());
        }
    }
    // Symbols: the job's, then the procedure's defaults, then the EXEC's overrides.
    std::map<std::string, std::string> syms = *f.symbols;
    for (const auto& d : defaults) {
        if (!d.key.empty()) {
            syms[d.key] = unquote(d.value);
        }
    }
    std::map<std::string, std::string> overrides;
    std::vector<parameter> step_params;  // PARM, COND and the other EXEC keywords
    for (std::size_t k = 0; k < params.size(); ++k) {
        const auto& p = params[k];
        if (p.key.empty() || p.key == "PROC") {
            continue;
        }
        auto dot = p.key.find('.');
        std::string base = p.key.substr(0, dot);
        if (exec_keywords.count(base) && base != "PGM") {
            step_params.push_back(p);
        } else if (dot == std::string::npos && valid_name(p.key)) {
            overrides[p.key] = unquote(p.value);
            syms[p.key] = unquote(p.value);
        } else {
            ctx.error(number, "IEFC630I", fmt::format("UNIDENTIFIED KEYWORD {}", shown(p.key)));
        }
    }
    std::set<std::string> used;
    frame pf;
    pf.mark = mark;
    pf.symbols = &syms;
    pf.used = &used;
    pf.in_proc = true;
    pf.exec_name = stepname;
    pf.proc = procname;
    pf.depth = f.depth + 1;
    std::size_t first_step = ctx.steps.size();
    pf.first_step = first_step;
    process(ctx, body, pf);
    if (f.used) {
        // A symbol the caller passed on is used by the caller too.
        for (const auto& u : used) {
            f.used->insert(u);
        }
    }
    for (const auto& [name, value] : overrides) {
        if (!used.count(name)) {
            ctx.error(number, "IEFC657I", fmt::format("THE SYMBOL {} WAS NOT USED", name));
        }
    }
    if (ctx.steps.size() == first_step) {
        ctx.error(number, "IEFC607I", fmt::format("PROCEDURE {} HAS NO STEPS", procname));
        return;
    }
    // EXEC keywords: PARM= the first step only (the others' PARM nullified), COND= every
    // step, KEY.procstep= one step.
    for (const auto& p : step_params) {
        auto dot = p.key.find('.');
        std::string base = p.key.substr(0, dot);
        if (dot == std::string::npos) {
            for (std::size_t k = first_step; k < ctx.steps.size(); ++k) {
                auto& ex = ctx.steps[k].exec;
                ex.erase(std::remove_if(ex.begin(), ex.end(), [&](const parameter& q) { return q.key == base; }),
                         ex.end());
                if (base != "PARM" || k == first_step) {
                    ex.push_back({base, p.value});
                }
            }
            continue;
        }
        std::string ps = p.key.substr(dot + 1);
        bool found = false;
        for (std::size_t k = first_step; k < ctx.steps.size(); ++k) {
            if (ctx.steps[k].procstep == ps) {
                auto& ex = ctx.steps[k].exec;
                ex.erase(std::remove_if(ex.begin(), ex.end(), [&](const parameter& q) { return q.key == base; }),
                         ex.end());
                ex.push_back({base, p.value});
                found = true;
            }
        }
        if (!found) {
            ctx.error(number, "IEFC630I", fmt::format("UNIDENTIFIED KEYWORD {}", shown(p.key)));
        }
    }
    if (!f.in_proc) {
        ctx.proc_exec_first = first_step;
        ctx.proc_exec_name = stepname;
        ctx.proc_exec_end = ctx.steps.size();
    }
    (void)st;
}

void do_dd(context& ctx, frame& f, const statement& st, int number, const std::vector<parameter>& params) {
    if (ctx.steps.empty() || (f.in_proc && ctx.steps.size() == f.first_step)) {
        ctx.error(number, "IEFC019I", "MISPLACED DD STATEMENT");
        return;
    }
    std::string name = upper(st.name);
    std::string qualifier;
    if (auto dot = name.find('.'); dot != std::string::npos) {
        qualifier = name.substr(0, dot);
        name = name.substr(dot + 1);
    }
    if ((!name.empty() && !valid_name(name)) || (!qualifier.empty() && !valid_name(qualifier))) {
        ctx.error(number, "IEFC662I", "INVALID LABEL");
        return;
    }
    for (const auto& p : params) {
        if (p.key.empty()) {
            if (!dd_positional.count(upper(p.value)) && !p.value.empty()) {
                ctx.error(number, "IEFC630I", fmt::format("UNIDENTIFIED KEYWORD {}", shown(p.value)));
            }
        } else if (!dd_keywords.count(p.key)) {
            ctx.error(number, "IEFC630I", fmt::format("UNIDENTIFIED KEYWORD {}", shown(p.key)));
        }
    }
    raw_dd d;
    d.stmt = number;
    d.ddname = name;
    d.params = params;
    d.instream = st.instream;
    d.data = st.data;

    // Which step: an override `procstep.dd` or an unqualified DD after EXEC proc.
    raw_step* target = &ctx.steps.back();
    if (!f.in_proc && ctx.proc_exec_first && ctx.steps.size() == ctx.proc_exec_end) {
        target = &ctx.steps[*ctx.proc_exec_first];
        if (!qualifier.empty()) {
            target = nullptr;
            for (std::size_t k = *ctx.proc_exec_first; k < ctx.proc_exec_end; ++k) {
                if (ctx.steps[k].procstep == qualifier) {
                    target = &ctx.steps[k];
                }
            }
            if (!target) {
                ctx.error(number, "IEFC019I", "MISPLACED DD STATEMENT");
                return;
            }
        }
    } else if (!qualifier.empty()) {
        ctx.error(number, "IEFC019I", "MISPLACED DD STATEMENT");
        return;
    }
    if (name.empty()) {
        if (target->dds.empty()) {
            ctx.error(number, "IEFC019I", "MISPLACED DD STATEMENT");
            return;
        }
        target->dds.back().concat.push_back(std::move(d));
        return;
    }
    for (auto& existing : target->dds) {
        if (existing.ddname == name && !f.in_proc && !target->procstep.empty()) {
            // Override: each parameter coded replaces the procedure's.
            for (const auto& p : d.params) {
                auto& ps = existing.params;
                if (p.key.empty()) {
                    ps.erase(std::remove_if(ps.begin(), ps.end(), [](const parameter& q) { return q.key.empty(); }),
                             ps.end());
                    ps.insert(ps.begin(), p);
                    if (iequal(p.value, "DUMMY")) {
                        // DUMMY nullifies the data set.
                    }
                } else {
                    ps.erase(std::remove_if(ps.begin(), ps.end(), [&](const parameter& q) {
                                 return q.key == p.key || (p.key == "DSN" && q.key == "DSNAME") ||
                                        (p.key == "DSNAME" && q.key == "DSN") ||
                                        (p.key == "SYSOUT" && (q.key == "DSN" || q.key == "DSNAME"));
                             }),
                             ps.end());
                    ps.push_back(p);
                }
            }
            if (d.instream) {
                existing.instream = true;
                existing.data = d.data;
            }
            existing.stmt = number;
            return;
        }
    }
    target->dds.push_back(std::move(d));
}

void do_job(context& ctx, const statement& st, int number, const std::vector<parameter>& params) {
    if (ctx.seen_job) {
        ctx.error(number, "ZPX0502E", "A SECOND JOB STATEMENT: ONE JOB A FILE");
        ctx.ended = true;
        return;
    }
    ctx.seen_job = true;
    ctx.j.name = upper(st.name);
    if (!valid_name(ctx.j.name)) {
        ctx.error(number, "IEFC662I", "INVALID LABEL");
    }
    int positional = 0;
    for (const auto& p : params) {
        if (p.key.empty()) {
            if (++positional > 2) {
                ctx.error(number, "IEFC630I", fmt::format("UNIDENTIFIED KEYWORD {}", shown(p.value)));
            }
            continue;
        }
        if (!job_keywords.count(p.key)) {
            ctx.error(number, "IEFC630I", fmt::format("UNIDENTIFIED KEYWORD {}", shown(p.key)));
            continue;
        }
        std::string v = upper(unquote(p.value));
        if (p.key == "CLASS") {
            ctx.j.jobclass = v;
        } else if (p.key == "MSGCLASS") {
            ctx.j.msgclass = v;
        } else if (p.key == "NOTIFY") {
            ctx.j.notify = v;
        } else if (p.key == "TYPRUN") {
            if (v == "SCAN") {
                ctx.j.typrun_scan = true;
            } else if (v != "HOLD" && v != "JCLHOLD" && v != "COPY") {
                ctx.error(number, "IEFC630I", fmt::format("UNIDENTIFIED KEYWORD TYPRUN={}", shown(v)));
            }
        } else if (p.key == "COND") {
            std::string bad;
            auto c = parse_cond(p.value, true, &bad);
            if (!c) {
                ctx.error(number, "IEFC630I", fmt::format("UNIDENTIFIED KEYWORD COND={}", shown(p.value)));
            } else {
                ctx.j.cond = c;
            }
        }
    }
}

void process(context& ctx, const std::vector<statement>& stmts, frame& f) {
    for (std::size_t si = 0; si < stmts.size() && !ctx.ended; ++si) {
        const statement& st = stmts[si];
        if (st.type == statement::kind::comment) {
            list(ctx, st, f.mark, 0);
            continue;
        }
        if (st.type == statement::kind::delimiter) {
            continue;
        }
        if (st.type == statement::kind::null) {
            if (ctx.seen_job && !f.in_proc) {
                list(ctx, st, f.mark, ++ctx.number);
                ctx.ended = true;
            }
            continue;
        }
        if (!ctx.seen_job && st.op != "JOB") {
            continue;  // JES skips records before the JOB statement
        }
        // In-stream procedure definition: listed, not numbered, kept until PEND.
        if (st.op == "PROC" && !f.in_proc) {
            instream_proc ip;
            std::string pname = upper(st.name);
            ctx.j.jesjcl.push_back(fmt::format("{:>9} {}", "", st.records.front()));
            for (std::size_t r = 1; r < st.records.size(); ++r) {
                ctx.j.jesjcl.push_back(fmt::format("{:>9} {}", "", st.records[r]));
            }
            if (!valid_name(pname)) {
                ctx.error(ctx.number + 1, "IEFC662I", "INVALID LABEL");
            }
            bool changed = false;
            std::string why;
            if (!split_parameters(substitute(st.operands, ctx.symbols, nullptr, changed), ip.defaults, &why)) {
                ctx.error(ctx.number + 1, "IEFC622I", "UNBALANCED PARENTHESIS IN THE OPERAND FIELD");
            }
            bool closed = false;
            for (++si; si < stmts.size(); ++si) {
                const auto& b = stmts[si];
                for (const auto& r : b.records) {
                    ctx.j.jesjcl.push_back(fmt::format("{:>9} {}", "", r));
                }
                if (b.type == statement::kind::jcl && b.op == "PEND") {
                    closed = true;
                    break;
                }
                if (b.type == statement::kind::jcl && b.op == "PROC") {
                    ctx.error(ctx.number + 1, "ZPX0504E", fmt::format("IN-STREAM PROCEDURE {} HAS NO PEND STATEMENT", pname));
                    break;
                }
                ip.body.push_back(b);
            }
            if (!closed && si >= stmts.size()) {
                ctx.error(ctx.number + 1, "ZPX0504E", fmt::format("IN-STREAM PROCEDURE {} HAS NO PEND STATEMENT", pname));
            }
            ctx.procs[pname] = std::move(ip);
            continue;
        }
        if (ctx.number >= max_statements) {
            ctx.error(ctx.number, "ZPX0513E", fmt::format("JOB EXPANDS TO MORE THAN {} STATEMENTS", max_statements));
            ctx.ended = true;
            break;
        }
        int number = ++ctx.number;
        list(ctx, st, f.mark, number);
        for (const auto& e : st.errors) {
            ctx.error(number, e.id, e.text);
        }
        bool changed = false;
        std::string operands = substitute(st.operands, *f.symbols, f.used, changed);
        if (changed) {
            ctx.j.jesjcl.push_back(fmt::format("{:>9} IEFC653I SUBSTITUTION JCL - {}", "", operands));
        }
        if (st.op == "IF" || st.op == "ELSE" || st.op == "ENDIF") {
            job_item it;
            it.stmt = number;
            if (st.op == "IF") {
                if (!st.errors.empty()) {
                    ctx.if_stmts.push_back(number);
                    it.type = job_item::kind::if_;
                    ctx.j.items.push_back(std::move(it));
                    continue;
                }
                std::string bad;
                auto c = parse_condition(operands, &bad);
                if (!c) {
                    ctx.error(number, "IEFC013I", fmt::format("ERROR IN IF STATEMENT: {} NOT VALID", shown(bad)));
                } else {
                    it.cond = *c;
                }
                if (ctx.if_stmts.size() >= static_cast<std::size_t>(max_nesting)) {
                    ctx.error(number, "ZPX0507E", fmt::format("IF STATEMENTS NESTED MORE THAN {} LEVELS", max_nesting));
                }
                it.type = job_item::kind::if_;
                it.text = operands;
                ctx.if_stmts.push_back(number);
            } else if (ctx.if_stmts.empty()) {
                ctx.error(number, "ZPX0506E", fmt::format("{} STATEMENT WITHOUT A MATCHING IF", st.op));
                continue;
            } else if (st.op == "ELSE") {
                it.type = job_item::kind::else_;
            } else {
                it.type = job_item::kind::endif;
                ctx.if_stmts.pop_back();
            }
            ctx.j.items.push_back(std::move(it));
            continue;
        }
        if (st.op == "PEND") {
            if (!f.in_proc) {
                ctx.error(number, "ZPX0505E", "PEND STATEMENT WITHOUT A PROC STATEMENT");
            }
            continue;
        }
        std::vector<parameter> params;
        std::string why;
        if (!split_parameters(operands, params, &why)) {
            if (why == "APOSTROPHE") {
                if (st.errors.empty()) {
                    ctx.error(number, "IEFC621I", "EXPECTED CONTINUATION NOT RECEIVED");
                }
            } else {
                ctx.error(number, "IEFC622I", fmt::format("UNBALANCED PARENTHESIS IN THE {} FIELD",
                                                          st.op == "EXEC" || st.op == "DD" || st.op == "JOB" ? "OPERAND" : "OPERAND"));
            }
            continue;
        }
        if (st.op == "JOB") {
            do_job(ctx, st, number, params);
        } else if (st.op == "EXEC") {
            do_exec(ctx, f, st, number, params);
        } else if (st.op == "DD") {
            do_dd(ctx, f, st, number, params);
        } else if (st.op == "SET") {
            for (const auto& p : params) {
                if (p.key.empty() || !valid_name(p.key)) {
                    ctx.error(number, "IEFC630I", fmt::format("UNIDENTIFIED KEYWORD {}", shown(p.key.empty() ? p.value : p.key)));
                    continue;
                }
                (*f.symbols)[p.key] = unquote(p.value);
            }
        } else if (st.op == "JCLLIB") {
            const auto* order = find_param(params, "ORDER");
            if (!order || params.size() != 1) {
                ctx.error(number, "IEFC630I", fmt::format("UNIDENTIFIED KEYWORD {}", shown(params.empty() ? "" : params[0].key)));
                continue;
            }
            if (!ctx.steps.empty() || !ctx.jcllib.empty()) {
                ctx.error(number, "ZPX0508E", "JCLLIB STATEMENT MUST PRECEDE THE FIRST EXEC, ONCE A JOB");
                continue;
            }
            for (auto lib : split_list(order->value)) {
                std::string why2;
                auto dsn = sysplex::parse_dataset_name(unquote(lib), &why2);
                if (!dsn || !dsn->member.empty()) {
                    ctx.error(number, "ZPX0509E", fmt::format("INVALID LIBRARY {} IN JCLLIB ORDER: {}", shown(lib), dsn ? "A MEMBER IS NAMED" : why2));
                    continue;
                }
                ctx.jcllib.push_back(dsn->dsn);
            }
        } else if (st.op == "INCLUDE") {
            const auto* member = find_param(params, "MEMBER");
            if (!member || params.size() != 1 || !valid_name(upper(member->value))) {
                ctx.error(number, "IEFC630I", fmt::format("UNIDENTIFIED KEYWORD {}", shown(operands)));
                continue;
            }
            if (f.depth >= max_nesting || ++ctx.includes > 256) {
                ctx.error(number, "ZPX0503E", fmt::format("INCLUDE GROUP {} NESTED TOO DEEPLY OR TOO OFTEN", upper(member->value)));
                continue;
            }
            std::string lib;
            auto libs = ctx.jcllib;
            libs.insert(libs.end(), ctx.o.proclib.begin(), ctx.o.proclib.end());
            auto text = find_member(ctx, libs, upper(member->value), lib);
            if (!text) {
                ctx.error(number, "IEFC612I", fmt::format("INCLUDE GROUP {} WAS NOT FOUND", upper(member->value)));
                continue;
            }
            auto group = read_jcl(*text, fmt::format("{}({})", lib, upper(member->value)));
            frame g = f;
            g.mark = "XX";
            g.depth = f.depth + 1;
            process(ctx, group, g);
        } else if (st.op == "PROC") {
            ctx.error(number, "ZPX0504E", "PROC STATEMENT INSIDE A PROCEDURE");
        } else if (st.op == "OUTPUT" || st.op == "EXPORT" || st.op == "XMIT" || st.op == "CNTL" ||
                   st.op == "ENDCNTL" || st.op == "COMMAND" || st.op == "SCHEDULE") {
            // accepted, not used
        } else {
            ctx.error(number, "IEFC605I", "UNIDENTIFIED OPERATION FIELD");
        }
    }
}

/// DD parameters to a dd_statement; false (with a message) when one is not valid.
bool build_dd(context& ctx, const raw_dd& r, dd_statement& d) {
    d.stmt = r.stmt;
    d.ddname = r.ddname;
    d.instream = r.instream;
    d.data = r.data;
    bool ok = true;
    for (const auto& p : r.params) {
        std::string v = upper(p.value);
        if (p.key.empty()) {
            if (v == "DUMMY") {
                d.dummy = true;
            }
            continue;
        }
        if (p.key == "DSN" || p.key == "DSNAME") {
            std::string dsn = unquote(p.value);
            if (dsn.rfind("*.", 0) == 0) {
                // A backward reference (*.ddname, *.step.ddname, *.step.procstep.ddname),
                // resolved when the step runs against the earlier steps' data sets.
                std::string ref = upper(dsn.substr(2));
                d.dsn = "*." + ref;  // resolved at run time against the earlier steps' DDs
                continue;
            }
            if (dsn.rfind("&&", 0) == 0 || (dsn.rfind("&", 0) == 0)) {
                std::string t = upper(dsn.substr(dsn.rfind("&&", 0) == 0 ? 2 : 1));
                auto paren = t.find('(');
                if (!valid_name(t.substr(0, paren))) {
                    ctx.error(r.stmt, "ZPX0511E", fmt::format("INVALID DATA SET NAME {}", shown(dsn)));
                    ok = false;
                    continue;
                }
                d.temporary = true;
                d.dsn = "&&" + t;
                continue;
            }
            if (iequal(dsn, "NULLFILE")) {
                d.dummy = true;
                continue;
            }
            std::string why;
            auto n = sysplex::parse_dataset_name(dsn, &why);
            if (!n) {
                ctx.error(r.stmt, "ZPX0511E", fmt::format("INVALID DATA SET NAME {}: {}", shown(dsn), upper(why)));
                ok = false;
                continue;
            }
            d.dsn = n->str();
        } else if (p.key == "DISP") {
            auto items = split_list(v);
            if (items.size() > 3) {
                ctx.error(r.stmt, "ZPX0512E", fmt::format("INVALID DISP={}", shown(v)));
                ok = false;
                continue;
            }
            items.resize(3);
            static const std::set<std::string> statuses = {"", "NEW", "OLD", "SHR", "MOD"};
            static const std::set<std::string> normals = {"", "DELETE", "KEEP", "PASS", "CATLG", "UNCATLG"};
            static const std::set<std::string> abnormals = {"", "DELETE", "KEEP", "CATLG", "UNCATLG"};
            if (!statuses.count(items[0]) || !normals.count(items[1]) || !abnormals.count(items[2])) {
                ctx.error(r.stmt, "ZPX0512E", fmt::format("INVALID DISP={}", shown(v)));
                ok = false;
                continue;
            }
            d.status = items[0];
            d.normal = items[1];
            d.abnormal = items[2];
        } else if (p.key == "SYSOUT") {
            d.sysout = true;
            auto items = split_list(v);
            d.sysout_class = items.empty() || items[0].empty() ? "*" : items[0];
        } else if (p.key == "PATH") {
            d.path = unquote(p.value);
        }
    }
    if (d.status.empty()) {
        d.status = "NEW";
    }
    if (d.normal.empty()) {
        d.normal = d.status == "NEW" ? "DELETE" : "KEEP";
        if (d.temporary && d.status != "NEW") {
            d.normal = "PASS";
        }
    }
    if (d.abnormal.empty()) {
        d.abnormal = d.normal == "PASS" ? (d.status == "NEW" ? "DELETE" : "KEEP") : d.normal;
    }
    if (d.instream && d.ddname.empty()) {
        d.ddname = "SYSIN";
    }
    for (const auto& c : r.concat) {
        dd_statement cd;
        ok = build_dd(ctx, c, cd) && ok;
        d.concat.push_back(std::move(cd));
    }
    return ok;
}

}  // namespace

const dd_statement* job_step::find_dd(std::string_view ddname) const {
    for (const auto& d : dds) {
        if (d.ddname == ddname) {
            return &d;
        }
    }
    return nullptr;
}

bool job::jcl_error() const {
    return std::any_of(messages.begin(), messages.end(), [](const jcl_message& m) { return m.error; });
}

std::size_t job::step_count() const {
    return static_cast<std::size_t>(std::count_if(items.begin(), items.end(),
                                                  [](const job_item& i) { return i.type == job_item::kind::step; }));
}

job convert(std::string_view text, const std::string& source, const convert_options& o) {
    job j;
    context ctx(o, j);
    ctx.symbols["SYSUID"] = upper(o.sysuid);
    auto stmts = read_jcl(text, source);
    frame f;
    f.symbols = &ctx.symbols;
    f.used = &ctx.used;
    process(ctx, stmts, f);
    if (!ctx.seen_job) {
        ctx.error(0, "ZPX0501E", fmt::format("NO JOB STATEMENT IN {}", source));
        return j;
    }
    ctx.symbols.erase("SYSUID");
    if (!ctx.if_stmts.empty()) {
        ctx.error(ctx.if_stmts.back(), "ZPX0507E", "IF STATEMENT HAS NO ENDIF");
    }
    if (ctx.steps.empty() && !j.jcl_error()) {
        ctx.error(1, "IEFC607I", "JOB HAS NO STEPS");
    }
    // IF expressions may name earlier steps only.
    for (std::size_t k = 0; k < ctx.steps.size(); ++k) {
        auto& s = ctx.steps[k];
        job_step& js = j.items[s.item].step;
        js.stmt = s.stmt;
        js.name = s.name;
        js.procstep = s.procstep;
        js.proc = s.proc;
        for (const auto& p : s.exec) {
            if (p.key == "PGM") {
                js.pgm = upper(p.value);
            } else if (p.key == "PARM") {
                auto v = p.value;
                if (v.size() >= 2 && v.front() == '(' && v.back() == ')') {
                    // PARM=(A,B) passes A,B
                    std::string joined;
                    for (const auto& item : split_list(v)) {
                        joined += (joined.empty() ? "" : ",") + unquote(item);
                    }
                    js.parm = joined;
                } else {
                    js.parm = unquote(v);
                }
            } else if (p.key == "COND") {
                std::string bad;
                js.cond = parse_cond(p.value, false, &bad);
            }
        }
        for (const auto& r : s.dds) {
            dd_statement d;
            build_dd(ctx, r, d);
            js.dds.push_back(std::move(d));
        }
    }
    std::stable_sort(j.messages.begin(), j.messages.end(),
                     [](const jcl_message& a, const jcl_message& b) { return a.stmt < b.stmt; });
    return j;
}

}  // namespace zplex::jes
