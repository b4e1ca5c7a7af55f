/* Tests of the HCL2 parser and evaluator (lib/hcl). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/hcl/hcl.h"
#include "tests/harness/test.h"

static struct hcl_doc *parse_opts(const char *src,
                                  const struct hcl_options *opts)
{
    struct hcl_doc *doc = NULL;
    struct err err = ERR_INIT;
    int rc = hcl_parse(src, strlen(src), "t.hcl", opts, &doc, &err);

    ck_assert_msg(rc == 0, "parse failed: %s", err.msg);
    ck_assert_ptr_nonnull(doc);
    return doc;
}

static struct hcl_doc *parse(const char *src)
{
    return parse_opts(src, NULL);
}

/* Parses src expecting failure; the message must equal want exactly. */
static void parse_fails_opts(const char *src,
                             const struct hcl_options *opts,
                             const char *want)
{
    struct hcl_doc *doc = NULL;
    struct err err = ERR_INIT;
    int rc = hcl_parse(src, strlen(src), "t.hcl", opts, &doc, &err);

    ck_assert_msg(rc != 0, "parse of %s should fail", src);
    ck_assert_ptr_null(doc);
    ck_assert_str_eq(err.msg, want);
}

static void parse_fails(const char *src, const char *want)
{
    parse_fails_opts(src, NULL, want);
}

/* Expects failure with a message that starts with prefix. */
static void parse_fails_prefix(const char *src, const char *prefix)
{
    struct hcl_doc *doc = NULL;
    struct err err = ERR_INIT;
    int rc = hcl_parse(src, strlen(src), "t.hcl", NULL, &doc, &err);

    ck_assert_msg(rc != 0, "parse of %s should fail", src);
    ck_assert_ptr_null(doc);
    ck_assert_msg(strncmp(err.msg, prefix, strlen(prefix)) == 0,
                  "message \"%s\" does not start with \"%s\"", err.msg, prefix);
}

static const struct hcl_value *attr(const struct hcl_doc *doc, const char *name)
{
    const struct hcl_attr *a = hcl_body_attr(&doc->body, name);

    ck_assert_msg(a != NULL, "no attribute %s", name);
    return &a->value;
}

/* The string form of attribute name, compared with want. */
static void attr_str_eq(const struct hcl_doc *doc,
                        const char *name,
                        const char *want)
{
    char *s = hcl_value_to_string(attr(doc, name));

    ck_assert_msg(s != NULL, "attribute %s is not primitive", name);
    ck_assert_str_eq(s, want);
    free(s);
}

/* Evaluates "v = <expr>" and compares the string form of v. */
static void expr_eq(const char *expr, const char *want)
{
    char *src = xasprintf("v = %s\n", expr);
    struct hcl_doc *doc = parse(src);

    ck_assert_int_eq(
        attr(doc, "v")->type == HCL_LIST || attr(doc, "v")->type == HCL_OBJECT,
        0);
    attr_str_eq(doc, "v", want);
    hcl_doc_free(doc);
    free(src);
}

static char *write_tmp(const char *dir, const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

START_TEST(attributes_and_blocks)
{
    struct hcl_doc *doc = parse(
        "# comment\n"
        "name = \"web\"\n"
        "job \"a\" b {\n"
        "  count = 3\n"
        "  group \"g\" {\n"
        "    x = true\n"
        "  }\n"
        "}\n");
    const struct hcl_block *job;

    ck_assert_str_eq(doc->filename, "t.hcl");
    ck_assert_uint_eq(doc->body.nattrs, 1);
    ck_assert_uint_eq(doc->body.nblocks, 1);
    job = &doc->body.blocks[0];
    ck_assert_str_eq(job->type, "job");
    ck_assert_uint_eq(job->nlabels, 2);
    ck_assert_str_eq(job->labels[0], "a");
    ck_assert_str_eq(job->labels[1], "b");
    ck_assert_int_eq(job->pos.line, 3);
    ck_assert_int_eq(job->pos.col, 1);
    ck_assert_uint_eq(job->body->nattrs, 1);
    ck_assert_str_eq(job->body->attrs[0].name, "count");
    ck_assert_int_eq(job->body->attrs[0].pos.line, 4);
    ck_assert_int_eq(job->body->attrs[0].pos.col, 3);
    ck_assert_int_eq(job->body->attrs[0].value.pos.col, 11);
    ck_assert_str_eq(job->body->blocks[0].labels[0], "g");
    ck_assert(job->body->blocks[0].body->attrs[0].value.u.b);
    hcl_doc_free(doc);
}
END_TEST

START_TEST(one_line_blocks_and_comments)
{
    struct hcl_doc *doc = parse(
        "a { b = 1 }\n"
        "// line comment\n"
        "c {}\n"
        "/* multi\n line */ d = 2 # trailing\n");

    ck_assert_uint_eq(doc->body.nblocks, 2);
    ck_assert_str_eq(doc->body.blocks[0].body->attrs[0].name, "b");
    ck_assert_uint_eq(doc->body.blocks[1].body->nattrs, 0);
    attr_str_eq(doc, "d", "2");
    hcl_doc_free(doc);
}
END_TEST

START_TEST(empty_input_is_empty_doc)
{
    struct hcl_doc *doc = parse("");

    ck_assert_uint_eq(doc->body.nattrs, 0);
    ck_assert_uint_eq(doc->body.nblocks, 0);
    hcl_doc_free(doc);
    doc = parse("\n\n  # only a comment");
    ck_assert_uint_eq(doc->body.nattrs, 0);
    hcl_doc_free(doc);
}
END_TEST

START_TEST(numbers)
{
    expr_eq("8080", "8080");
    expr_eq("0.5", "0.5");
    expr_eq("1e3", "1000");
    expr_eq("2.5E-1", "0.25");
    expr_eq("-7", "-7");
    expr_eq("1.25", "1.25");
}
END_TEST

START_TEST(literals_true_false_null)
{
    struct hcl_doc *doc = parse("t = true\nf = false\nn = null\n");

    ck_assert_int_eq(attr(doc, "t")->type, HCL_BOOL);
    attr_str_eq(doc, "t", "true");
    attr_str_eq(doc, "f", "false");
    ck_assert_int_eq(attr(doc, "n")->type, HCL_NULL);
    ck_assert_ptr_null(hcl_value_to_string(attr(doc, "n")));
    hcl_doc_free(doc);
}
END_TEST

START_TEST(string_escapes)
{
    struct hcl_doc *doc = parse(
        "s = \"a\\nb\\tc\\rd\\\"e\\\\f\"\n"
        "u = \"\\u00e9\\U0001F600\"\n"
        "d = \"$${x} %%{y} $x %z\"\n");
    const struct hcl_value *s = attr(doc, "s");

    ck_assert_uint_eq(s->u.str.len, 11);
    ck_assert_str_eq(s->u.str.s, "a\nb\tc\rd\"e\\f");
    ck_assert_str_eq(attr(doc, "u")->u.str.s, "\xc3\xa9\xf0\x9f\x98\x80");
    ck_assert_str_eq(attr(doc, "d")->u.str.s, "${x} %{y} $x %z");
    hcl_doc_free(doc);
}
END_TEST

START_TEST(nul_bytes_in_strings)
{
    static const char src[] = "s = \"a\0b\"\n";
    struct hcl_doc *doc = NULL;
    struct err err = ERR_INIT;

    ck_assert_int_eq(hcl_parse(src, sizeof(src) - 1, "t.hcl", NULL, &doc, &err),
                     0);
    ck_assert_uint_eq(attr(doc, "s")->u.str.len, 3);
    ck_assert_int_eq(attr(doc, "s")->u.str.s[2], 'b');
    hcl_doc_free(doc);
}
END_TEST

START_TEST(template_interpolation)
{
    struct hcl_doc *doc = parse(
        "n = 3\n"
        "s = \"n=${1 + 2} ok=${true} ${\"in\"}\"\n"
        "whole = \"${[1, 2]}\"\n");

    attr_str_eq(doc, "s", "n=3 ok=true in");
    ck_assert_int_eq(attr(doc, "whole")->type, HCL_LIST);
    hcl_doc_free(doc);
}
END_TEST

START_TEST(template_directives_and_strip)
{
    struct hcl_doc *doc = parse(
        "a = \"%{ for x in [1, 2] }<${x}>%{ endfor }\"\n"
        "b = \"%{ if 1 > 2 }yes%{ else }no%{ endif }\"\n"
        "c = \"x   ${~ \"y\" ~}   z\"\n");

    attr_str_eq(doc, "a", "<1><2>");
    attr_str_eq(doc, "b", "no");
    attr_str_eq(doc, "c", "xyz");
    hcl_doc_free(doc);
}
END_TEST

START_TEST(heredoc_plain)
{
    struct hcl_doc *doc = parse(
        "data = <<EOH\n"
        "  keep indent\n"
        "line ${1 + 1}\n"
        "$${raw}\n"
        "EOH\n"
        "after = 1\n");

    attr_str_eq(doc, "data", "  keep indent\nline 2\n${raw}\n");
    attr_str_eq(doc, "after", "1");
    hcl_doc_free(doc);
}
END_TEST

START_TEST(heredoc_strips_common_indent)
{
    struct hcl_doc *doc = parse(
        "t {\n"
        "  data = <<-EOT\n"
        "      first\n"
        "        nested\n"
        "\n"
        "      last ${NOMAD_TASK_DIR}\n"
        "    EOT\n"
        "}\n");
    const struct hcl_attr *a = hcl_body_attr(doc->body.blocks[0].body, "data");

    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(a->value.u.str.s,
                     "first\n  nested\n\nlast ${NOMAD_TASK_DIR}\n");
    hcl_doc_free(doc);
}
END_TEST

START_TEST(lists_and_objects)
{
    struct hcl_doc *doc = parse(
        "l = [1, \"two\",\n  [3],\n]\n"
        "e = []\n"
        "o = {\n"
        "  a = 1, \"b-c\" : 2\n"
        "  d = { e = [true] }\n"
        "}\n");
    const struct hcl_value *l = attr(doc, "l"), *o = attr(doc, "o");

    ck_assert_int_eq(l->type, HCL_LIST);
    ck_assert_uint_eq(l->u.list.n, 3);
    ck_assert_str_eq(l->u.list.items[1].u.str.s, "two");
    ck_assert_uint_eq(l->u.list.items[2].u.list.n, 1);
    ck_assert_uint_eq(attr(doc, "e")->u.list.n, 0);
    ck_assert_int_eq(o->type, HCL_OBJECT);
    ck_assert_uint_eq(o->u.obj.n, 3);
    ck_assert_str_eq(o->u.obj.items[0].key, "a");
    ck_assert_str_eq(o->u.obj.items[1].key, "b-c");
    ck_assert_str_eq(o->u.obj.items[2].key, "d");
    ck_assert_int_eq(o->u.obj.items[2].pos.line, 7);
    ck_assert_int_eq(o->u.obj.items[2].value.u.obj.items[0].value.type,
                     HCL_LIST);
    hcl_doc_free(doc);
}
END_TEST

START_TEST(operators)
{
    expr_eq("1 + 2 * 3", "7");
    expr_eq("(1 + 2) * 3", "9");
    expr_eq("10 / 4", "2.5");
    expr_eq("7 % 3", "1");
    expr_eq("-(2 - 5)", "3");
    expr_eq("!true", "false");
    expr_eq("1 < 2 && 2 <= 2", "true");
    expr_eq("3 > 4 || 4 >= 5", "false");
    expr_eq("\"a\" == \"a\"", "true");
    expr_eq("[1, 2] != [1, 2]", "false");
    expr_eq("\"5\" + 1", "6");
    expr_eq("1 > 0 ? \"yes\" : \"no\"", "yes");
    expr_eq("false ? 1 : 2", "2");
}
END_TEST

START_TEST(traversals)
{
    expr_eq("{ a = { b = [10, 20] } }.a.b[1]", "20");
    expr_eq("{ k = \"v\" }[\"k\"]", "v");
    expr_eq("[[1, 2], [3]][1][0]", "3");
    expr_eq("length([{ a = 1 }, { a = 2 }][*].a)", "2");
}
END_TEST

START_TEST(for_expressions)
{
    struct hcl_doc *doc = parse(
        "l = [for i, x in [\"a\", \"b\"] : \"${i}${x}\"]\n"
        "f = [for x in [1, 2, 3, 4] : x * 10 if x % 2 == 0]\n"
        "m = { for k, v in { a = 1, b = 2 } : upper(k) => v + 1 }\n"
        "g = { for x in [\"ab\", \"ac\", \"b\"] : substr(x, 0, 1) => x... }\n");
    const struct hcl_value *l = attr(doc, "l"), *f = attr(doc, "f");
    const struct hcl_value *m = attr(doc, "m"), *g = attr(doc, "g");

    ck_assert_str_eq(l->u.list.items[0].u.str.s, "0a");
    ck_assert_str_eq(l->u.list.items[1].u.str.s, "1b");
    ck_assert_uint_eq(f->u.list.n, 2);
    ck_assert(f->u.list.items[1].u.num == 40);
    ck_assert_str_eq(m->u.obj.items[1].key, "B");
    ck_assert(m->u.obj.items[1].value.u.num == 3);
    ck_assert_uint_eq(g->u.obj.n, 2);
    ck_assert_uint_eq(g->u.obj.items[0].value.u.list.n, 2);
    hcl_doc_free(doc);
}
END_TEST

START_TEST(string_functions)
{
    expr_eq("upper(\"abc\")", "ABC");
    expr_eq("lower(\"ABC\")", "abc");
    expr_eq("format(\"%s-%d-%v-%q\", \"a\", 42, true, \"q\")",
            "a-42-true-\"q\"");
    expr_eq("format(\"%05.1f|%-4s|%3d|%%\", 3.14159, \"x\", 7)",
            "003.1|x   |  7|%");
    expr_eq("join(\",\", [\"a\", \"b\", 3])", "a,b,3");
    expr_eq("join(\"-\", split(\",\", \"x,y,z\"))", "x-y-z");
    expr_eq("trimspace(\"  hi \\n\")", "hi");
    expr_eq("trim(\"--a--\", \"-\")", "a");
    expr_eq("trimprefix(\"prefix-x\", \"prefix-\")", "x");
    expr_eq("trimsuffix(\"x.hcl\", \".hcl\")", "x");
    expr_eq("replace(\"a.b.c\", \".\", \"/\")", "a/b/c");
    expr_eq("substr(\"hello\", 1, 3)", "ell");
    expr_eq("substr(\"hello\", -3, -1)", "llo");
    expr_eq("tostring(12)", "12");
    expr_eq("jsonencode({ a = [1, \"x\", null], b = true })",
            "{\"a\":[1,\"x\",null],\"b\":true}");
}
END_TEST

START_TEST(collection_functions)
{
    expr_eq("length([1, 2, 3])", "3");
    expr_eq("length(\"h\\u00e9\")", "2");
    expr_eq("length({ a = 1 })", "1");
    expr_eq("length(concat([1], [2, 3], []))", "3");
    expr_eq("merge({ a = 1, b = 2 }, { b = 3 }).b", "3");
    expr_eq("join(\",\", keys({ b = 1, a = 2 }))", "a,b");
    expr_eq("join(\",\", values({ b = 1, a = 2 }))", "2,1");
    expr_eq("lookup({ a = \"x\" }, \"a\", \"d\")", "x");
    expr_eq("lookup({ a = \"x\" }, \"z\", \"d\")", "d");
    expr_eq("contains([\"a\", \"b\"], \"b\")", "true");
    expr_eq("element([\"a\", \"b\"], 3)", "b");
    expr_eq("coalesce(null, \"\", \"x\")", "x");
    expr_eq("join(\",\", distinct([1, 2, 1, 3]))", "1,2,3");
    expr_eq("join(\",\", flatten([1, [2, [3]], []]))", "1,2,3");
    expr_eq("join(\",\", range(3))", "0,1,2");
    expr_eq("join(\",\", range(1, 10, 4))", "1,5,9");
    expr_eq("length(toset([\"a\", \"a\"]))", "1");
    expr_eq("tolist([1])[0]", "1");
    expr_eq("tomap({ a = 1 }).a", "1");
    expr_eq("join(\",\", concat([[\"x\"], [\"y\"]]...))", "x,y");
}
END_TEST

START_TEST(number_functions)
{
    expr_eq("min(3, 1, 2)", "1");
    expr_eq("max(3, 1, 2)", "3");
    expr_eq("max([4, 9]...)", "9");
    expr_eq("abs(-2.5)", "2.5");
    expr_eq("ceil(1.2)", "2");
    expr_eq("floor(1.8)", "1");
    expr_eq("tonumber(\"42\")", "42");
    expr_eq("tobool(\"true\")", "true");
}
END_TEST

START_TEST(unknown_function_is_error)
{
    parse_fails("x = nosuch(1)\n",
                "t.hcl:1:5: Call to unknown function; there is no function "
                "named \"nosuch\"");
    parse_fails("x = \"${nosuch(attr.x)}\"\n",
                "t.hcl:1:8: Call to unknown function; there is no function "
                "named \"nosuch\"");
    parse_fails_prefix("x = upper(1, 2)\n",
                       "t.hcl:1:5: Error in function "
                       "call; call to function "
                       "\"upper\" failed:");
}
END_TEST

START_TEST(file_functions_need_permission)
{
    char *dir = test_tmpdir();
    char *path = write_tmp(dir, "data.txt", "hello file");
    char *src = xasprintf(
        "a = file(\"%s\")\nb = fileexists(\"%s\")\n"
        "c = fileexists(\"%s/none\")\n",
        path, path, dir);
    struct hcl_options opts = {0};
    struct hcl_doc *doc;

    parse_fails_prefix(src, "t.hcl:1:5: Error in function call");
    opts.allow_file_functions = true;
    doc = parse_opts(src, &opts);
    attr_str_eq(doc, "a", "hello file");
    attr_str_eq(doc, "b", "true");
    attr_str_eq(doc, "c", "false");
    hcl_doc_free(doc);
    free(src);
    free(path);
    test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(runtime_refs_in_templates_stay_literal)
{
    struct hcl_doc *doc = parse(
        "a = \"http://${NOMAD_ADDR_web}/x\"\n"
        "b = \"${attr.kernel.name}\"\n"
        "c = \"${ node.unique.id }\"\n"
        "d = \"${meta.rack}-${NOMAD_ALLOC_DIR}\"\n"
        "e = \"${env[\"HOME\"]}\"\n"
        "f = \"${upper(attr.x)}\"\n"
        "g = <<EOT\n${NOMAD_PORT_http}\nEOT\n");

    attr_str_eq(doc, "a", "http://${NOMAD_ADDR_web}/x");
    attr_str_eq(doc, "b", "${attr.kernel.name}");
    attr_str_eq(doc, "c", "${ node.unique.id }");
    attr_str_eq(doc, "d", "${meta.rack}-${NOMAD_ALLOC_DIR}");
    attr_str_eq(doc, "e", "${env[\"HOME\"]}");
    attr_str_eq(doc, "f", "${upper(attr.x)}");
    attr_str_eq(doc, "g", "${NOMAD_PORT_http}\n");
    hcl_doc_free(doc);
}
END_TEST

START_TEST(runtime_refs_bare_become_strings)
{
    struct hcl_doc *doc = parse(
        "variable \"p\" {\n  default = \"web\"\n}\n"
        "a = attr.kernel.name\n"
        "b = [node.datacenter, 1]\n"
        "c = \"${var.p}:${NOMAD_PORT_http}\"\n"
        "locals {\n  ip = attr.unique.ip\n}\n"
        "d = local.ip\n"
        "e = \"x${local.ip}\"\n");
    const struct hcl_value *b = attr(doc, "b");

    attr_str_eq(doc, "a", "${attr.kernel.name}");
    ck_assert_str_eq(b->u.list.items[0].u.str.s, "${node.datacenter}");
    attr_str_eq(doc, "c", "web:${NOMAD_PORT_http}");
    attr_str_eq(doc, "d", "${attr.unique.ip}");
    attr_str_eq(doc, "e", "x${attr.unique.ip}");
    hcl_doc_free(doc);
}
END_TEST

START_TEST(variables_defaults_and_types)
{
    struct hcl_doc *doc = parse(
        "variable \"image\" {\n"
        "  type        = string\n"
        "  default     = \"redis:7\"\n"
        "  description = \"the image\"\n"
        "}\n"
        "variable \"n\" {\n"
        "  type    = number\n"
        "  default = \"3\"\n"
        "}\n"
        "image = var.image\n"
        "n = var.n + 1\n");

    ck_assert_uint_eq(doc->body.nblocks, 0);
    attr_str_eq(doc, "image", "redis:7");
    attr_str_eq(doc, "n", "4");
    hcl_doc_free(doc);
}
END_TEST

START_TEST(locals_any_order)
{
    struct hcl_doc *doc = parse(
        "locals {\n"
        "  b = local.a * 2\n"
        "}\n"
        "locals {\n"
        "  a = 21\n"
        "  s = \"v${local.b}\"\n"
        "}\n"
        "x = local.s\n");

    ck_assert_uint_eq(doc->body.nblocks, 0);
    attr_str_eq(doc, "x", "v42");
    hcl_doc_free(doc);
}
END_TEST

static const char var_src[] =
    "variable \"a\" {\n"
    "  default = \"def\"\n"
    "}\n"
    "variable \"n\" {\n"
    "  type    = number\n"
    "  default = 1\n"
    "}\n"
    "variable \"on\" {\n"
    "  type    = bool\n"
    "  default = false\n"
    "}\n"
    "variable \"l\" {\n"
    "  type    = list(string)\n"
    "  default = []\n"
    "}\n"
    "a = var.a\nn = var.n\non = var.on\nl = var.l\n";

START_TEST(var_flags_convert_types)
{
    struct hcl_var vars[] = {
        {"n", "2.5"},   {"on", "true"},  {"l", "[\"x\", \"y\"]"},
        {"a", "first"}, {"a", "second"},
    };
    struct hcl_options opts = {0};
    struct hcl_doc *doc;

    opts.vars = vars;
    opts.nvars = 5;
    doc = parse_opts(var_src, &opts);
    attr_str_eq(doc, "a", "second");
    ck_assert_int_eq(attr(doc, "n")->type, HCL_NUMBER);
    attr_str_eq(doc, "n", "2.5");
    ck_assert_int_eq(attr(doc, "on")->type, HCL_BOOL);
    ck_assert_uint_eq(attr(doc, "l")->u.list.n, 2);
    ck_assert_str_eq(attr(doc, "l")->u.list.items[1].u.str.s, "y");
    hcl_doc_free(doc);
}
END_TEST

START_TEST(var_precedence)
{
    char *dir = test_tmpdir();
    char *vf = write_tmp(dir, "vars.hcl", "a = \"file\"\nn = 7\nother = 1\n");
    const char *files[] = {vf};
    struct hcl_var vars[] = {{"n", "9"}};
    struct hcl_options opts = {0};
    struct hcl_doc *doc;

    setenv("NOMAD_VAR_a", "env", 1);
    setenv("NOMAD_VAR_n", "5", 1);
    setenv("NOMAD_VAR_on", "true", 1);

    /* Without use_env the environment is ignored. */
    doc = parse_opts(var_src, &opts);
    attr_str_eq(doc, "a", "def");
    hcl_doc_free(doc);

    opts.use_env = true;
    doc = parse_opts(var_src, &opts);
    attr_str_eq(doc, "a", "env");
    attr_str_eq(doc, "n", "5");
    attr_str_eq(doc, "on", "true");
    hcl_doc_free(doc);

    opts.var_files = files;
    opts.nvar_files = 1;
    doc = parse_opts(var_src, &opts);
    attr_str_eq(doc, "a", "file");
    attr_str_eq(doc, "n", "7");
    attr_str_eq(doc, "on", "true");
    hcl_doc_free(doc);

    opts.vars = vars;
    opts.nvars = 1;
    doc = parse_opts(var_src, &opts);
    attr_str_eq(doc, "a", "file");
    attr_str_eq(doc, "n", "9");
    hcl_doc_free(doc);

    unsetenv("NOMAD_VAR_a");
    unsetenv("NOMAD_VAR_n");
    unsetenv("NOMAD_VAR_on");
    free(vf);
    test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(var_errors)
{
    struct hcl_var undeclared[] = {{"nope", "1"}};
    struct hcl_var badnum[] = {{"n", "abc"}};
    const char *missing[] = {"/nonexistent/vars.hcl"};
    struct hcl_options opts = {0};
    struct hcl_doc *doc = NULL;
    struct err err = ERR_INIT;

    parse_fails(
        "job \"x\" {}\n"
        "variable \"req\" {\n"
        "  type = string\n"
        "}\n",
        "t.hcl:2:1: No value for required variable; The root module "
        "input variable \"req\" is not set, and has no default "
        "value. Use a -var or -var-file command line argument to "
        "provide a value for this variable.");
    opts.vars = undeclared;
    opts.nvars = 1;
    parse_fails_opts(var_src, &opts,
                     "t.hcl:1:1: Undeclared input variable; a value for "
                     "\"nope\" was given with -var, but no variable named "
                     "\"nope\" is declared");
    opts.vars = badnum;
    parse_fails_opts(var_src, &opts,
                     "t.hcl:4:1: Invalid value for variable; -var for \"n\" "
                     "must be a number, not \"abc\"");
    opts.nvars = 0;
    opts.var_files = missing;
    opts.nvar_files = 1;
    ck_assert_int_lt(
        hcl_parse(var_src, strlen(var_src), "t.hcl", &opts, &doc, &err), 0);
    ck_assert_ptr_null(doc);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/vars.hcl"));
    parse_fails("x = var.nope\n",
                "t.hcl:1:5: Reference to undeclared input variable; an "
                "input variable with the name \"nope\" has not been "
                "declared");
    parse_fails("x = local.nope\n",
                "t.hcl:1:5: Reference to undeclared local value; a local "
                "value with the name \"nope\" has not been declared");
}
END_TEST

START_TEST(locals_cycle_is_error)
{
    parse_fails_prefix("locals {\n  a = local.b\n  b = local.a\n}\n",
                       "t.hcl:3:7: Cycle in local values");
}
END_TEST

START_TEST(dynamic_blocks)
{
    struct hcl_doc *doc = parse(
        "variable \"ports\" {\n"
        "  default = { http = 80, https = 443 }\n"
        "}\n"
        "network {\n"
        "  dynamic \"port\" {\n"
        "    for_each = var.ports\n"
        "    labels   = [port.key]\n"
        "    content {\n"
        "      to = port.value\n"
        "    }\n"
        "  }\n"
        "  dynamic \"extra\" {\n"
        "    for_each = [\"a\", \"b\", \"c\"]\n"
        "    iterator = it\n"
        "    content {\n"
        "      name = \"${it.key}-${it.value}\"\n"
        "    }\n"
        "  }\n"
        "}\n");
    const struct hcl_body *net = doc->body.blocks[0].body;

    ck_assert_uint_eq(net->nblocks, 5);
    ck_assert_str_eq(net->blocks[0].type, "port");
    ck_assert_str_eq(net->blocks[0].labels[0], "http");
    ck_assert(net->blocks[1].body->attrs[0].value.u.num == 443);
    ck_assert_str_eq(net->blocks[4].type, "extra");
    ck_assert_uint_eq(net->blocks[4].nlabels, 0);
    ck_assert_str_eq(net->blocks[4].body->attrs[0].value.u.str.s, "2-c");
    hcl_doc_free(doc);
}
END_TEST

START_TEST(duplicate_attribute_is_error)
{
    parse_fails("job {\n  a = 1\n  a = 2\n}\n",
                "t.hcl:3:3: Attribute redefined; The argument \"a\" was "
                "already set at t.hcl:2:3.");
}
END_TEST

START_TEST(error_unexpected_token)
{
    parse_fails("job \"x\" {\n  a = 1\n  b = }\n",
                "t.hcl:3:7: Unexpected \"}\", expected an expression");
    parse_fails("a = 1, b = 2\n",
                "t.hcl:1:6: Unexpected \",\", expected a newline after the "
                "attribute");
    parse_fails("a = [1, 2\n",
                "t.hcl:2:1: Unexpected end of file, expected \",\" or "
                "\"]\"");
    parse_fails("a = { b = 1 c = 2 }\n",
                "t.hcl:1:13: Unexpected \"c\", expected a newline or \",\" "
                "after the object item");
    parse_fails("= 1\n",
                "t.hcl:1:1: Unexpected \"=\", expected an attribute "
                "or block definition");
    parse_fails("a = @\n",
                "t.hcl:1:5: Invalid character \"@\"; this "
                "character is not used within the language");
    parse_fails("a = 1 +\n",
                "t.hcl:1:8: Unexpected newline, expected an expression");
}
END_TEST

START_TEST(error_unterminated_reports_start)
{
    parse_fails("x = 1\na = \"abc\n",
                "t.hcl:2:5: Unterminated template string; no closing quote "
                "was found for the string");
    parse_fails("a = <<EOH\nfoo\n",
                "t.hcl:1:3: Unterminated template string; no closing marker "
                "\"EOH\" was found for the heredoc");
    parse_fails("a = [<<EOH\nfoo\n",
                "t.hcl:1:6: Unterminated template string; no closing marker "
                "\"EOH\" was found for the heredoc");
    parse_fails("a = 1\n  /* never closed\n",
                "t.hcl:2:3: Unterminated comment; there is no closing \"*/\" "
                "for this comment");
    parse_fails("job \"x\" {\n  group {\n  a = 1\n",
                "t.hcl:1:9: Unclosed configuration block; there is no "
                "closing brace for this block before the end of the file");
    parse_fails("job \"x\" {\n  type \"batch\"\n}\n",
                "t.hcl:2:8: Invalid block definition; \"type\" is followed "
                "by a label but no \"{\" opens the block (an attribute needs "
                "\"=\")");
    parse_fails("a = \"x ${ 1 + \n",
                "t.hcl:2:1: Unexpected end of file, expected an expression");
}
END_TEST

START_TEST(error_bad_values)
{
    parse_fails("a = \"x\\qy\"\n",
                "t.hcl:1:7: Invalid escape sequence \"\\q\"; the symbol "
                "\"q\" is not a valid escape sequence selector");
    parse_fails("a = 1e999\n",
                "t.hcl:1:5: Invalid number \"1e999\"; it is out of range");
    parse_fails("a = 1 / 0\n",
                "t.hcl:1:9: Division by zero; the right "
                "operand of \"/\" is zero");
    parse_fails("a = \"a\" + 1\n",
                "t.hcl:1:5: Invalid operand; unsuitable value for left "
                "operand: a number is required, not string");
    parse_fails("a = [1][5]\n",
                "t.hcl:1:9: Invalid index; the given key \"5\" does not "
                "identify an element in this list of 1");
    parse_fails("a = { x = 1 }.y\n",
                "t.hcl:1:5: Unsupported attribute; this object does not "
                "have an attribute named \"y\"");
    parse_fails("a = \"${[1]}x\"\n",
                "t.hcl:1:8: Invalid template interpolation value; cannot "
                "include a list value in a string template: string "
                "required");
    parse_fails("a = 1 ? 2 : 3\n",
                "t.hcl:1:5: Incorrect condition type; the condition must be "
                "a bool, not number");
}
END_TEST

START_TEST(error_invalid_bytes)
{
    static const char nul[] = "a = \0\n";
    static const char *junk[] = {
        "a = \"\xff\xfe\"\n",
        "\xff = 1\n",
        "a = <<\n",
        "a = \"\\u12\"\n",
        "a = \"\\uD800\"\n",
        "a {\n",
        "}\n",
        "a = [}\n",
        "a = ${x}\n",
        "a = \"%{ endif }\"\n",
        "a = 1.\n",
        "a = .5\n",
        "a = \"${\"\n",
        "dynamic \"x\" {\n for_each = 1\n content {}\n}\n",
        "a = substr(\"x\", 5, 1)\n",
        "a = range(1e9)\n",
        "a = format(\"%99999d\", 1)\n",
        "a = { for x in [1, 1] : x => x }\n",
    };
    struct hcl_doc *doc = NULL;
    struct err err = ERR_INIT;

    ck_assert_int_eq(hcl_parse(nul, sizeof(nul) - 1, "t.hcl", NULL, &doc, &err),
                     ERR_INVALID);
    ck_assert_str_eq(err.msg,
                     "t.hcl:1:5: Invalid character 0x00; this "
                     "character is not used within the language");
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        struct err e2 = ERR_INIT;
        int rc = hcl_parse(junk[i], strlen(junk[i]), "t.hcl", NULL, &doc, &e2);

        if (rc == 0) {
            hcl_doc_free(doc);
        } else {
            ck_assert_int_eq(rc, ERR_INVALID);
            ck_assert_msg(strncmp(e2.msg, "t.hcl:", 6) == 0, "%s", e2.msg);
        }
    }
}
END_TEST

START_TEST(depth_bound)
{
    struct buf b = BUF_INIT;
    struct hcl_options opts = {0};
    struct hcl_doc *doc = NULL;
    struct err err = ERR_INIT;
    int rc;

    buf_puts(&b, "a = ");
    for (int i = 0; i < 100000; i++)
        buf_putc(&b, '[');
    rc = hcl_parse(b.data, b.len, "t.hcl", NULL, &doc, &err);
    ck_assert_int_eq(rc, ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "Nesting too deep"));
    buf_reset(&b);

    for (int i = 0; i < 10000; i++)
        buf_puts(&b, "a {\n");
    rc = hcl_parse(b.data, b.len, "t.hcl", NULL, &doc, &err);
    ck_assert_int_eq(rc, ERR_INVALID);
    buf_reset(&b);

    buf_puts(&b, "a = 1");
    for (int i = 0; i < 200000; i++)
        buf_puts(&b, " + 1");
    rc = hcl_parse(b.data, b.len, "t.hcl", NULL, &doc, &err);
    ck_assert_int_eq(rc, ERR_INVALID);
    buf_reset(&b);

    buf_puts(&b, "a = ");
    for (int i = 0; i < 100000; i++)
        buf_puts(&b, "!-");
    buf_puts(&b, "1\n");
    rc = hcl_parse(b.data, b.len, "t.hcl", NULL, &doc, &err);
    ck_assert_int_eq(rc, ERR_INVALID);
    buf_reset(&b);

    /* Chains of locals cannot nest values without bound either. */
    buf_puts(&b, "locals {\n  l0 = 1\n");
    for (int i = 1; i < 400; i++)
        buf_printf(&b, "  l%d = [local.l%d]\n", i, i - 1);
    buf_puts(&b, "}\n");
    rc = hcl_parse(b.data, b.len, "t.hcl", NULL, &doc, &err);
    ck_assert_int_eq(rc, ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "Value nested too deeply"));
    buf_reset(&b);

    /* A custom bound applies; within it all is well. */
    opts.max_depth = 4;
    buf_puts(&b, "a = [[[1]]]\n");
    rc = hcl_parse(b.data, b.len, "t.hcl", &opts, &doc, &err);
    ck_assert_int_eq(rc, 0);
    hcl_doc_free(doc);
    buf_reset(&b);
    buf_puts(&b, "a = [[[[[1]]]]]\n");
    rc = hcl_parse(b.data, b.len, "t.hcl", &opts, &doc, &err);
    ck_assert_int_eq(rc, ERR_INVALID);
    buf_release(&b);
}
END_TEST

START_TEST(exponential_growth_is_bounded)
{
    struct buf b = BUF_INIT;
    struct hcl_doc *doc = NULL;
    struct err err = ERR_INIT;
    int rc;

    buf_puts(&b, "locals {\n  l0 = \"xxxxxxxxxxxxxxxx\"\n");
    for (int i = 1; i < 60; i++)
        buf_printf(&b, "  l%d = \"${local.l%d}${local.l%d}\"\n", i, i - 1,
                   i - 1);
    buf_puts(&b, "}\n");
    rc = hcl_parse(b.data, b.len, "t.hcl", NULL, &doc, &err);
    ck_assert_int_eq(rc, ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "Evaluation too expensive"));
    buf_release(&b);
}
END_TEST

START_TEST(value_to_string_and_int64)
{
    struct hcl_doc *doc = parse(
        "a = 8080\nb = 0.5\nc = -3\nd = 1e300\n"
        "e = \"s\"\nf = [1]\ng = 1.5\n"
        "h = 9223372036854775807\n"
        "i = -9223372036854775808\n");
    int64_t v;

    attr_str_eq(doc, "a", "8080");
    attr_str_eq(doc, "b", "0.5");
    attr_str_eq(doc, "c", "-3");
    attr_str_eq(doc, "e", "s");
    ck_assert_ptr_null(hcl_value_to_string(attr(doc, "f")));
    ck_assert_int_eq(hcl_value_to_int64(attr(doc, "a"), &v), 0);
    ck_assert_int_eq(v, 8080);
    ck_assert_int_eq(hcl_value_to_int64(attr(doc, "c"), &v), 0);
    ck_assert_int_eq(v, -3);
    ck_assert_int_eq(hcl_value_to_int64(attr(doc, "g"), &v), ERR_INVALID);
    ck_assert_int_eq(hcl_value_to_int64(attr(doc, "d"), &v), ERR_INVALID);
    ck_assert_int_eq(hcl_value_to_int64(attr(doc, "e"), &v), ERR_INVALID);
    /* 2^63 - 1 rounds up to 2^63 as a double, which is out of range. */
    ck_assert_int_eq(hcl_value_to_int64(attr(doc, "h"), &v), ERR_INVALID);
    ck_assert_int_eq(hcl_value_to_int64(attr(doc, "i"), &v), 0);
    ck_assert(v == INT64_MIN);
    hcl_doc_free(doc);
}
END_TEST

START_TEST(type_names_and_body_attr)
{
    struct hcl_doc *doc = parse("a = 1\nb = 2\n");

    ck_assert_str_eq(hcl_type_name(HCL_NULL), "null");
    ck_assert_str_eq(hcl_type_name(HCL_BOOL), "bool");
    ck_assert_str_eq(hcl_type_name(HCL_NUMBER), "number");
    ck_assert_str_eq(hcl_type_name(HCL_STRING), "string");
    ck_assert_str_eq(hcl_type_name(HCL_LIST), "list");
    ck_assert_str_eq(hcl_type_name(HCL_OBJECT), "object");
    ck_assert_ptr_null(hcl_body_attr(&doc->body, "zzz"));
    ck_assert_str_eq(hcl_body_attr(&doc->body, "b")->name, "b");
    hcl_doc_free(doc);
    hcl_doc_free(NULL);
}
END_TEST

START_TEST(parse_file_reads_and_reports_path)
{
    char *dir = test_tmpdir();
    char *path = write_tmp(dir, "job.hcl", "job \"x\" {\n  a = }\n");
    char *good = write_tmp(dir, "good.hcl", "job \"x\" {}\n");
    char *want;
    struct hcl_doc *doc = NULL;
    struct err err = ERR_INIT;
    int rc;

    rc = hcl_parse_file("/nonexistent/job.hcl", NULL, &doc, &err);
    ck_assert_int_lt(rc, 0);
    ck_assert_int_ne(rc, ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/job.hcl"));
    rc = hcl_parse_file(path, NULL, &doc, &err);
    ck_assert_int_eq(rc, ERR_INVALID);
    want = xasprintf("%s:2:7: Unexpected \"}\", expected an expression", path);
    ck_assert_str_eq(err.msg, want);
    rc = hcl_parse_file(good, NULL, &doc, &err);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(doc->filename, good);
    hcl_doc_free(doc);
    free(want);
    free(path);
    free(good);
    test_rmtree(dir);
    free(dir);
}
END_TEST

static void parse_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    ck_assert_msg(d != NULL, "cannot open %s", dir);
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        struct hcl_doc *doc = NULL;
        struct err err = ERR_INIT;
        char *path;

        if (len < 4 || strcmp(de->d_name + len - 4, ".hcl") != 0)
            continue;
        path = xasprintf("%s/%s", dir, de->d_name);
        ck_assert_msg(hcl_parse_file(path, NULL, &doc, &err) == 0, "%s",
                      err.msg);
        ck_assert_uint_ge(doc->body.nblocks, 1);
        hcl_doc_free(doc);
        free(path);
        n++;
    }
    closedir(d);
    ck_assert_int_gt(n, 0);
}

START_TEST(valid_jobspecs_parse)
{
    char *dir = xasprintf("%s/jobspec/valid", test_data_dir());

    parse_dir(dir);
    free(dir);
}
END_TEST

START_TEST(nomad_jobspec_shape)
{
    struct hcl_doc *doc = parse(
        "job \"web\" {\n"
        "  datacenters = [\"dc1\"]\n"
        "  group \"api\" {\n"
        "    count = 2\n"
        "    network {\n"
        "      port \"http\" { to = 8080 }\n"
        "    }\n"
        "    task \"server\" {\n"
        "      driver = \"docker\"\n"
        "      config {\n"
        "        image = \"nginx\"\n"
        "        args  = [\"-p\", \"${NOMAD_PORT_http}\"]\n"
        "      }\n"
        "      template {\n"
        "        data = <<-EOH\n"
        "          addr={{ env \"NOMAD_ADDR_http\" }}\n"
        "          EOH\n"
        "        destination = \"local/a.env\"\n"
        "      }\n"
        "    }\n"
        "  }\n"
        "}\n");
    const struct hcl_block *group = &doc->body.blocks[0].body->blocks[0];
    const struct hcl_block *task = &group->body->blocks[1];
    const struct hcl_value *args =
        &hcl_body_attr(task->body->blocks[0].body, "args")->value;

    ck_assert_str_eq(group->labels[0], "api");
    ck_assert_str_eq(task->labels[0], "server");
    ck_assert_str_eq(args->u.list.items[1].u.str.s, "${NOMAD_PORT_http}");
    ck_assert_str_eq(
        hcl_body_attr(task->body->blocks[1].body, "data")->value.u.str.s,
        "addr={{ env \"NOMAD_ADDR_http\" }}\n");
    hcl_doc_free(doc);
}
END_TEST

START_TEST(object_duplicate_and_key_forms)
{
    struct hcl_doc *doc = parse(
        "k = \"dyn\"\n"
        "o = { (\"a\") = 1, \"b\" = 2, c = 3 }\n");

    ck_assert_str_eq(attr(doc, "o")->u.obj.items[0].key, "a");
    hcl_doc_free(doc);
    parse_fails("o = { a = 1, a = 2 }\n",
                "t.hcl:1:14: Duplicate object attribute; \"a\" was already "
                "defined in this object");
}
END_TEST

START_TEST(legacy_index_and_splat)
{
    expr_eq("[[5, 6]].0.1", "6");
    expr_eq("join(\",\", [{ n = \"a\" }, { n = \"b\" }].*.n)", "a,b");
}
END_TEST

static Suite *hcl_suite(void)
{
    Suite *s = suite_create("lib_hcl");
    TCase *syntax = test_tcase("syntax");
    TCase *eval = test_tcase("eval");
    TCase *vars = test_tcase("variables");
    TCase *errors = test_tcase("errors");
    TCase *api = test_tcase("api");

    tcase_add_test(syntax, attributes_and_blocks);
    tcase_add_test(syntax, one_line_blocks_and_comments);
    tcase_add_test(syntax, empty_input_is_empty_doc);
    tcase_add_test(syntax, numbers);
    tcase_add_test(syntax, literals_true_false_null);
    tcase_add_test(syntax, string_escapes);
    tcase_add_test(syntax, nul_bytes_in_strings);
    tcase_add_test(syntax, template_interpolation);
    tcase_add_test(syntax, template_directives_and_strip);
    tcase_add_test(syntax, heredoc_plain);
    tcase_add_test(syntax, heredoc_strips_common_indent);
    tcase_add_test(syntax, lists_and_objects);
    tcase_add_test(syntax, object_duplicate_and_key_forms);
    tcase_add_test(syntax, legacy_index_and_splat);
    suite_add_tcase(s, syntax);

    tcase_add_test(eval, operators);
    tcase_add_test(eval, traversals);
    tcase_add_test(eval, for_expressions);
    tcase_add_test(eval, string_functions);
    tcase_add_test(eval, collection_functions);
    tcase_add_test(eval, number_functions);
    tcase_add_test(eval, unknown_function_is_error);
    tcase_add_test(eval, file_functions_need_permission);
    tcase_add_test(eval, runtime_refs_in_templates_stay_literal);
    tcase_add_test(eval, runtime_refs_bare_become_strings);
    tcase_add_test(eval, dynamic_blocks);
    tcase_add_test(eval, nomad_jobspec_shape);
    suite_add_tcase(s, eval);

    tcase_add_test(vars, variables_defaults_and_types);
    tcase_add_test(vars, locals_any_order);
    tcase_add_test(vars, var_flags_convert_types);
    tcase_add_test(vars, var_precedence);
    tcase_add_test(vars, var_errors);
    tcase_add_test(vars, locals_cycle_is_error);
    suite_add_tcase(s, vars);

    tcase_add_test(errors, duplicate_attribute_is_error);
    tcase_add_test(errors, error_unexpected_token);
    tcase_add_test(errors, error_unterminated_reports_start);
    tcase_add_test(errors, error_bad_values);
    tcase_add_test(errors, error_invalid_bytes);
    tcase_add_test(errors, depth_bound);
    tcase_add_test(errors, exponential_growth_is_bounded);
    suite_add_tcase(s, errors);

    tcase_add_test(api, value_to_string_and_int64);
    tcase_add_test(api, type_names_and_body_attr);
    tcase_add_test(api, parse_file_reads_and_reports_path);
    tcase_add_test(api, valid_jobspecs_parse);
    suite_add_tcase(s, api);
    return s;
}

TEST_MAIN(hcl_suite)
