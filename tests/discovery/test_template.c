/*
 * The template engine against a table of template + data -> output or
 * error, covering every construct and function and Go text/template's
 * documented edge cases; plus dependency reporting and the bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "discovery/template/template.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "tests/harness/test.h"

/* ------------------------------------------------------------------ source */

struct fake_inst
{
    const char *id, *name, *addr, *dc, *alloc;
    int port;
    const char *tags[3];
    unsigned health;
};

static const struct fake_inst fake[] = {
    {"svc-1",
     "redis-svc",
     "10.0.0.1",
     "dc1",
     "a1",
     6379,
     {"db", NULL},
     TMPL_HEALTH_PASSING},
    {"svc-2",
     "redis-svc",
     "10.0.0.2",
     "dc1",
     "a2",
     6380,
     {NULL},
     TMPL_HEALTH_CRITICAL},
    {"svc-3",
     "web",
     "10.0.0.3",
     "dc1",
     "a3",
     8080,
     {"v2", "public", NULL},
     TMPL_HEALTH_PASSING},
    {"svc-4",
     "web",
     "10.0.0.4",
     "dc2",
     "a4",
     8081,
     {"v1", NULL},
     TMPL_HEALTH_WARNING},
};

static const char *fake_env(void *ctx, const char *name)
{
    (void)ctx;
    if (strcmp(name, "NOMAD_ALLOC_ID") == 0)
        return "alloc-1";
    if (strcmp(name, "HOME") == 0)
        return "/root";
    if (strcmp(name, "EMPTY") == 0)
        return "";
    return NULL;
}

static size_t n_tags(const struct fake_inst *f)
{
    size_t n = 0;

    while (n < 3 && f->tags[n] != NULL)
        n++;
    return n;
}

static int fake_service(void *ctx,
                        const struct tmpl_service_query *q,
                        struct tv **out,
                        struct err *err)
{
    (void)ctx;
    if (q->region != NULL && strcmp(q->region, "global") != 0)
        return err_set(err, ERR_NOT_FOUND, "no path to region \"%s\"",
                       q->region);
    *out = tv_list_new(0);
    for (size_t i = 0; i < sizeof(fake) / sizeof(fake[0]); i++) {
        const struct fake_inst *f = &fake[i];
        struct tmpl_service s = {
            .id = f->id,
            .name = f->name,
            .node = "node-1",
            .address = f->addr,
            .port = f->port,
            .datacenter = f->dc,
            .tags = f->tags,
            .n_tags = n_tags(f),
            .job_id = "job",
            .alloc_id = f->alloc,
            .namespace_ = "default",
        };
        bool tag_ok = q->tag == NULL;

        for (size_t t = 0; t < s.n_tags && !tag_ok; t++)
            tag_ok = strcmp(f->tags[t], q->tag) == 0;
        if (strcmp(f->name, q->name) != 0 || !tag_ok)
            continue;
        if (q->health != 0 && (q->health & f->health) == 0)
            continue;
        if (q->choose_n > 0 && (int64_t)(*out)->u.list.n >= q->choose_n)
            break;
        tv_list_push(*out, tmpl_service_record(&s));
    }
    return 0;
}

static int fake_services(void *ctx,
                         const char *region,
                         struct tv **out,
                         struct err *err)
{
    static const char *const redis_tags[] = {"db"};
    static const char *const web_tags[] = {"v2", "public", "v1"};

    (void)ctx;
    if (region != NULL && strcmp(region, "global") != 0)
        return err_set(err, ERR_NOT_FOUND, "no path to region \"%s\"", region);
    *out = tv_list_new(2);
    tv_list_push(*out, tmpl_service_name_record("redis-svc", redis_tags, 1));
    tv_list_push(*out, tmpl_service_name_record("web", web_tags, 3));
    return 0;
}

static const struct tmpl_source source = {.env = fake_env,
                                          .service = fake_service,
                                          .services = fake_services};

/* ------------------------------------------------------------------ table */

#define DATA                                                           \
    "{\"Name\":\"web\",\"Port\":8080,\"Zero\":0,\"F\":1.5,\"T\":true," \
    "\"Nil\":null,\"Empty\":\"\",\"List\":[\"a\",\"b\",\"c\"],"        \
    "\"None\":[],\"Map\":{\"k\":\"v\",\"a\":1},\"Nested\":{\"In\":"    \
    "{\"Deep\":\"yes\"}},\"Nums\":[3,1,2],\"Html\":\"<a&b>\","         \
    "\"Big\":1000000.0,\"Csv\":\"x, y,z\"}"

struct tcase
{
    const char *text;
    const char *want;  /* output, or NULL when an error is expected */
    const char *error; /* substring of the error */
    int flags;         /* 1: error_on_missing_key, 2: [[ ]] delimiters */
};

static const struct tcase cases[] = {
    /* text, actions, trimming, comments */
    {"plain text", "plain text", NULL, 0},
    {"{{ .Name }}:{{ .Port }}", "web:8080", NULL, 0},
    {"a  {{- .Name -}}  b",
     "aweb"
     "b",
     NULL, 0},
    {"a\n\n  {{- .Name }}\n", "aweb\n", NULL, 0},
    {"{{ .Name -}}\n\t  x", "webx", NULL, 0},
    {"{{-3}}", "-3", NULL, 0},
    {"x {{/* a comment */}} y", "x  y", NULL, 0},
    {"x {{- /* trimmed */ -}} y", "xy", NULL, 0},
    {"{{/* unclosed }}", NULL, "unclosed comment", 0},
    {"{{ .Name", NULL, "unclosed action", 0},
    {"[[ .Name ]] {{ .Name }}", "web {{ .Name }}", NULL, 2},
    /* fields */
    {"{{ .Nested.In.Deep }}", "yes", NULL, 0},
    {"{{ .Missing }}", "<no value>", NULL, 0},
    {"{{ .Missing.Deeper }}", "<no value>", NULL, 0},
    {"{{ .Missing }}", NULL, "map has no entry for key \"Missing\"", 1},
    {"{{ .Nil }} {{ print .Nil }} {{ index .Map \"zz\" | print }}",
     "<no value> <nil> <nil>", NULL, 0},
    {"{{ .Nil.X }}", NULL, "nil pointer evaluating interface {}.X", 0},
    {"{{ .Name.X }}", NULL, "can't evaluate field X in type string", 0},
    {"{{ . }}", NULL, NULL, 0}, /* checked separately: prints the map */
    {"{{ .List }} {{ .Map }} {{ .None }}", "[a b c] map[a:1 k:v] []", NULL, 0},
    {"{{ (index .Nested \"In\").Deep }}", "yes", NULL, 0},
    /* literals */
    {"{{ \"a\\tb\\u00e9\\x41\\101\" }}",
     "a\tb\xc3\xa9"
     "AA",
     NULL, 0},
    {"{{ `raw\\n` }}", "raw\\n", NULL, 0},
    {"{{ 'a' }} {{ 0x1F }} {{ 0o17 }} {{ 1_000 }} {{ 017 }}",
     "97 31 15 1000 15", NULL, 0},
    {"{{ 1.5 }} {{ 1e3 }} {{ .Big }} {{ 0.000012 }} {{ -2.5 }}",
     "1.5 1000 1e+06 1.2e-05 -2.5", NULL, 0},
    {"{{ true }} {{ false }}", "true false", NULL, 0},
    {"{{ nil }}", NULL, "nil is not a command", 0},
    {"{{ \"abc }}", NULL, "unterminated quoted string", 0},
    {"{{ \"\\q\" }}", NULL, "invalid syntax in quoted string", 0},
    {"{{ 1x }}", NULL, "bad number syntax", 0},
    /* variables */
    {"{{ $x := .Name }}{{ $x }}", "web", NULL, 0},
    {"{{ $x := 1 }}{{ $x = 2 }}{{ $x }}", "2", NULL, 0},
    {"{{ $ }}", NULL, NULL, 0},
    {"{{ range .List }}{{ $.Name }}{{ end }}", "webwebweb", NULL, 0},
    {"{{ $y }}", NULL, "undefined variable \"$y\"", 0},
    {"{{ $x = 1 }}", NULL, "undefined variable \"$x\"", 0},
    {"{{ if true }}{{ $v := 1 }}{{ end }}{{ $v }}", NULL,
     "undefined variable \"$v\"", 0},
    {"{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}", "2", NULL, 0},
    {"{{ $x := 1 }}{{ range .List }}{{ $x := 5 }}{{ end }}{{ $x }}", "1", NULL,
     0},
    {"{{ $x := \"out\" }}{{ with $x := \"in\" }}{{ $x }}{{ end }}{{ $x }}",
     "inout", NULL, 0},
    /* if / else if / else */
    {"{{ if .T }}yes{{ else }}no{{ end }}", "yes", NULL, 0},
    {"{{ if .Zero }}a{{ else if .Empty }}b{{ else if .List }}c{{ else }}d"
     "{{ end }}",
     "c", NULL, 0},
    {"{{ if .None }}a{{ else }}empty{{ end }}", "empty", NULL, 0},
    {"{{ if .Nil }}a{{ else }}nil{{ end }}", "nil", NULL, 0},
    {"{{ if .Missing }}a{{ else }}missing{{ end }}", "missing", NULL, 0},
    {"{{ if .Map }}m{{ end }}", "m", NULL, 0},
    {"{{ if $x := .Name }}{{ $x }}{{ end }}", "web", NULL, 0},
    {"{{ if }}x{{ end }}", NULL, "missing value for command", 0},
    {"{{ if true }}x", NULL, "unexpected EOF", 0},
    {"{{ end }}", NULL, "unexpected {{end}}", 0},
    {"{{ else }}", NULL, "unexpected {{else}}", 0},
    /* with */
    {"{{ with .Nested.In }}{{ .Deep }}{{ end }}", "yes", NULL, 0},
    {"{{ with .Empty }}x{{ else }}none{{ end }}", "none", NULL, 0},
    {"{{ with .Zero }}x{{ else with .Name }}{{ . }}{{ end }}", "web", NULL, 0},
    /* range */
    {"{{ range .List }}{{ . }},{{ end }}", "a,b,c,", NULL, 0},
    {"{{ range $i, $e := .List }}{{ $i }}={{ $e }} {{ end }}", "0=a 1=b 2=c ",
     NULL, 0},
    {"{{ range $k, $v := .Map }}{{ $k }}:{{ $v }};{{ end }}", "a:1;k:v;", NULL,
     0},
    {"{{ range .None }}x{{ else }}empty{{ end }}", "empty", NULL, 0},
    {"{{ range .Nil }}x{{ else }}nil{{ end }}", "nil", NULL, 0},
    {"{{ range .Missing }}x{{ else }}none{{ end }}", "none", NULL, 0},
    {"{{ range .Name }}x{{ end }}", NULL, "range can't iterate over web", 0},
    {"{{ range 3 }}{{ . }}{{ end }}", "012", NULL, 0},
    {"{{ range .List }}{{ if eq . \"b\" }}{{ break }}{{ end }}{{ . }}{{ end }}",
     "a", NULL, 0},
    {"{{ range .List }}{{ if eq . \"b\" }}{{ continue }}{{ end }}{{ . }}"
     "{{ end }}",
     "ac", NULL, 0},
    {"{{ break }}", NULL, "{{break}} outside {{range}}", 0},
    {"{{ range $i, $e := .List }}{{ end }}{{ $i }}", NULL,
     "undefined variable \"$i\"", 0},
    /* pipelines and parentheses */
    {"{{ .Name | printf \"%s!\" }}", "web!", NULL, 0},
    {"{{ .Name | toUpper | printf \"<%s>\" }}", "<WEB>", NULL, 0},
    {"{{ printf \"%d\" (len .List) }}", "3", NULL, 0},
    {"{{ (len .List) }}", "3", NULL, 0},
    {"{{ 1 | 2 }}", NULL, "non executable command in pipeline stage 2", 0},
    {"{{ .Name 1 }}", NULL, "Name has arguments but cannot be invoked", 0},
    {"{{ \"x\" 1 }}", NULL, "can't give argument to non-function \"x\"", 0},
    {"{{ nope }}", NULL, "function \"nope\" not defined", 0},
    {"{{ (1 }}", NULL, "unclosed left paren", 0},
    {"{{ 1) }}", NULL, "unexpected right paren", 0},
    /* and, or, not */
    {"{{ and 1 0 }} {{ and 1 2 }} {{ or 0 \"\" }} {{ or 0 3 }}", "0 2  3", NULL,
     0},
    {"{{ or .Name (index .Nil 1) }}", "web", NULL, 0},
    {"{{ and .Zero (index .Nil 1) }}", "0", NULL, 0},
    {"{{ not .T }} {{ not .None }}", "false true", NULL, 0},
    /* comparisons */
    {"{{ eq .Name \"web\" }} {{ eq 1 2 3 1 }} {{ ne 1 2 }}", "true true true",
     NULL, 0},
    {"{{ eq .Port 8080 }}", "true", NULL, 0},
    {"{{ eq 1 1.0 }}", NULL, "incompatible types for comparison", 0},
    {"{{ eq .List .List }}", NULL, "non-comparable type", 0},
    {"{{ eq .Missing 1 }} {{ eq .Nil nil }}", "false true", NULL, 0},
    {"{{ lt 1 2 }} {{ le 2 2 }} {{ gt \"b\" \"a\" }} {{ ge 1.5 2.5 }}",
     "true true true false", NULL, 0},
    {"{{ lt 1 \"a\" }}", NULL, "incompatible types for comparison", 0},
    {"{{ lt true false }}", NULL, "invalid type for comparison", 0},
    {"{{ eq 1 }}", NULL, "wrong number of args for eq", 0},
    /* len, index, slice */
    {"{{ len .Name }} {{ len .List }} {{ len .Map }}", "3 3 2", NULL, 0},
    {"{{ len 3 }}", NULL, "len of type int", 0},
    {"{{ index .List 1 }} {{ index .Map \"k\" }} {{ index .Name 0 }}",
     "b v 119", NULL, 0},
    {"{{ index .List 5 }}", NULL, "error calling index: index out of range: 5",
     0},
    {"{{ index .Map \"zz\" }}", "<no value>", NULL, 0},
    {"{{ index .List \"x\" }}", NULL,
     "cannot index slice/array with type "
     "string",
     0},
    {"{{ slice .Name 1 }} {{ slice .List 1 2 }} {{ slice .Name }}",
     "eb [b] web", NULL, 0},
    {"{{ slice .List 2 1 }}", NULL, "invalid slice index: 2 > 1", 0},
    {"{{ slice .Name 0 9 }}", NULL, "index out of range: 9", 0},
    /* print, printf, println */
    {"{{ print 1 2 \"a\" \"b\" 3 }}", "1 2ab3", NULL, 0},
    {"{{ println 1 \"a\" }}", "1 a\n", NULL, 0},
    {"{{ printf \"%5d|%-4s|%05.1f|%x|%X|%o|%q|%v|%t|%%\" 42 \"ab\" 3.14159 "
     "255 \"hi\" 8 \"q\\\"\" .List true }}",
     "   42|ab  |003.1|ff|6869|10|\"q\\\"\"|[a b c]|true|%", NULL, 0},
    {"{{ printf \"%d %s\" \"x\" }}", "%!d(string=x) %!s(MISSING)", NULL, 0},
    {"{{ printf \"%d\" 1 2 }}", "1%!(EXTRA int=2)", NULL, 0},
    {"{{ printf \"%e %g %.2f %c %T %b\" 1234.5 0.5 2.0 65 .F 5 }}",
     "1.234500e+03 0.5 2.00 A float64 101", NULL, 0},
    {"{{ printf \"%v %v %+d\" .F .Nil 5 }}", "1.5 <nil> +5", NULL, 0},
    {"{{ printf \"%6.2f|%-6d|%3s\" 1.0 7 \"abcd\" }}", "  1.00|7     |abcd",
     NULL, 0},
    {"{{ printf \"%q\" 'x' }}", "'x'", NULL, 0},
    {"{{ html .Html }} {{ urlquery \"a b&c\" }}", "&lt;a&amp;b&gt; a+b%26c",
     NULL, 0},
    /* env and data lookups */
    {"{{ env \"HOME\" }}|{{ env \"UNSET\" }}|{{ env \"EMPTY\" }}", "/root||",
     NULL, 0},
    {"{{ envOrDefault \"UNSET\" \"d\" }}", "d", NULL, 0},
    {"{{ mustEnv \"UNSET\" }}", NULL, "required environment variable UNSET", 0},
    {"{{ range nomadService \"redis-svc\" }}{{ .Address }}:{{ .Port }} "
     "{{ end }}",
     "10.0.0.1:6379 10.0.0.2:6380 ", NULL, 0},
    {"{{ range nomadService \"redis-svc|passing\" }}{{ .ID }}{{ end }}",
     "svc-1", NULL, 0},
    {"{{ range nomadService \"web|passing,warning\" }}{{ .ID }} {{ end }}",
     "svc-3 svc-4 ", NULL, 0},
    {"{{ range nomadService \"v1.web\" }}{{ .ID }} {{ .Datacenter }}"
     "{{ end }}",
     "svc-4 dc2", NULL, 0},
    {"{{ range nomadService \"web@global\" }}{{ .Tags }}{{ end }}",
     "[public v2][v1]", NULL, 0},
    {"{{ nomadService \"web@mars\" }}", NULL, "no path to region \"mars\"", 0},
    {"{{ with nomadService 1 (env \"NOMAD_ALLOC_ID\") \"web\" }}"
     "{{ with index . 0 }}{{ .Name }}={{ .Address }}{{ end }}{{ end }}",
     "web=10.0.0.3", NULL, 0},
    {"{{ nomadService 1 \"web\" }}", NULL,
     "expected arguments <service> or <count> <key> <service>", 0},
    {"{{ nomadService \"bad name!\" }}", NULL,
     "nomad.service: invalid format: \"bad name!\"", 0},
    {"{{ nomadService \"web|sick\" }}", NULL, "invalid format", 0},
    {"{{ range nomadService \"none\" }}x{{ else }}empty{{ end }}", "empty",
     NULL, 0},
    {"{{ range nomadService \"web\" }}{{ .Node }} {{ .JobID }} {{ .AllocID }}"
     " {{ .Namespace }};{{ end }}",
     "node-1 job a3 default;node-1 job a4 default;", NULL, 0},
    {"{{ range nomadService \"web\" }}{{ .Health }}{{ end }}", NULL,
     "can't evaluate field Health in type *dependency.NomadService", 0},
    {"{{ range nomadServices }}{{ .Name }} {{ .Tags }};{{ end }}",
     "redis-svc [db];web [public v1 v2];", NULL, 0},
    {"{{ if (index (nomadService \"web\") 0).Tags | contains \"public\" }}"
     "pub{{ end }}",
     "pub", NULL, 0},
    {"{{ key \"config/x\" }}", NULL, "Consul is not available", 0},
    {"{{ keyOrDefault \"config/x\" \"d\" }}", NULL, "no KV store", 0},
    {"{{ nomadVar \"nomad/jobs/web\" }}", NULL,
     "Nomad variables are not supported", 0},
    {"{{ secret \"kv/x\" }}", NULL, "Vault is not available", 0},
    /* helpers */
    {"{{ \"MiXed\" | toLower }} {{ \"MiXed\" | toUpper }} {{ \"hello world\""
     " | toTitle }}",
     "mixed MIXED Hello World", NULL, 0},
    {"{{ .Csv | split \",\" | join \";\" }}", "x; y;z", NULL, 0},
    {"{{ range split \",\" .Csv }}[{{ trimSpace . }}]{{ end }}", "[x][y][z]",
     NULL, 0},
    {"{{ \"a-b-c\" | replaceAll \"-\" \"_\" }}", "a_b_c", NULL, 0},
    {"{{ trimPrefix \"we\" .Name }} {{ trimSuffix \"eb\" .Name }} "
     "{{ trim \"xy\" \"xyaxy\" }}",
     "b w a", NULL, 0},
    {"{{ .List | contains \"b\" }} {{ contains \"z\" .List }} "
     "{{ in .Name \"eb\" }}",
     "true false true", NULL, 0},
    {"{{ containsAll .List .List }} {{ containsAny (split \",\" \"q,a\") "
     ".List }} {{ containsNone .List .None }}",
     "true true true", NULL, 0},
    {"{{ parseInt \"42\" | add 1 }} {{ parseBool \"true\" }} "
     "{{ parseFloat \"2.5\" }}",
     "43 true 2.5", NULL, 0},
    {"{{ parseInt \"4x\" }}", NULL,
     "parseInt: strconv.ParseInt: parsing \"4x\": invalid syntax", 0},
    {"{{ parseBool \"yes\" }}", NULL, "invalid syntax", 0},
    {"{{ .Map | toJSON }}", "{\"a\":1,\"k\":\"v\"}", NULL, 0},
    {"{{ .Html | toJSON }} {{ .F | toJSON }} {{ .Nil | toJSON }}",
     "\"\\u003ca\\u0026b\\u003e\" 1.5 null", NULL, 0},
    {"{{ .Nested | toJSONPretty }}",
     "{\n  \"In\": {\n    \"Deep\": \"yes\"\n  }\n}", NULL, 0},
    {"{{ (parseJSON `{\"a\":[1,2]}`).a }}", "[1 2]", NULL, 0},
    {"{{ base64Encode \"hi\" }} {{ base64Decode \"aGk=\" }}", "aGk= hi", NULL,
     0},
    {"{{ sha256Hex \"abc\" }}",
     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", NULL,
     0},
    {"{{ 10 | subtract 3 }} {{ 10 | divide 4 }} {{ 10 | modulo 4 }} "
     "{{ multiply 2 1.5 }} {{ minimum 3 5 }} {{ maximum 3 5 }}",
     "7 2 2 3 3 5", NULL, 0},
    {"{{ divide 0 1 }}", NULL, "division by zero", 0},
    {"{{ \"a\\nb\" | indent 2 }}", "  a\n  b", NULL, 0},
    {"{{ regexMatch \"^w[a-z]+$\" .Name }} {{ regexMatch \"^[0-9]\" .Name }}",
     "true false", NULL, 0},
    {"{{ regexReplaceAll \"([a-z]+)-([0-9]+)\" \"${2}_$1\" \"ab-12 cd-3\" }}",
     "12_ab 3_cd", NULL, 0},
    {"{{ regexReplaceAll \"x*\" \"-\" \"abc\" }}", "-a-b-c-", NULL, 0},
    {"{{ regexMatch \"(\" .Name }}", NULL, "error parsing regexp", 0},
    {"{{ range $tag, $s := nomadService \"web\" | byTag }}{{ $tag }}="
     "{{ range $s }}{{ .ID }}{{ end }};{{ end }}",
     "public=svc-3;v1=svc-4;v2=svc-3;", NULL, 0},
    {"{{ byTag .List }}", NULL, "byTag: element 0 has no Tags", 0},
    /* messages carry name, line and column */
    {"line1\n  {{ .Name | nope }}", NULL,
     "template: test:2:14: function \"nope\" not defined", 0},
    {"x\n{{ range .List }}\n  {{ index $.List 9 }}{{ end }}", NULL,
     "template: test:3:6: executing \"test\" at <index>: error calling "
     "index: index out of range: 9",
     0},
    {"{{ define \"x\" }}{{ end }}", NULL, "{{define}} is not supported", 0},
};

static void run_case(const struct tcase *c,
                     struct buf *out,
                     struct err *err,
                     int *rc)
{
    struct tmpl_opts opts = {
        .name = "test",
        .error_on_missing_key = (c->flags & 1) != 0,
        .left_delimiter = (c->flags & 2) ? "[[" : NULL,
        .right_delimiter = (c->flags & 2) ? "]]" : NULL,
    };
    json_t *j = json_loads(DATA, 0, NULL);
    struct tv *data = tv_from_json(j);
    struct tmpl *t = NULL;

    json_decref(j);
    *rc = tmpl_parse(c->text, strlen(c->text), &opts, &t, err);
    if (*rc == 0)
        *rc = tmpl_render(t, &source, data, out, NULL, err);
    tmpl_free(t);
    tv_unref(data);
}

START_TEST(table)
{
    size_t failures = 0;

    ck_assert_uint_ge(sizeof(cases) / sizeof(cases[0]), 80);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct tcase *c = &cases[i];
        struct buf out = BUF_INIT;
        struct err err = ERR_INIT;
        int rc;

        if (c->want == NULL && c->error == NULL)
            continue; /* whole-value prints: see prints_whole_values */
        run_case(c, &out, &err, &rc);
        if (c->want != NULL &&
            (rc != 0 || strcmp(buf_str(&out), c->want) != 0)) {
            fprintf(stderr,
                    "# case %zu %s\n#   want \"%s\"\n#   got  \"%s\" %s\n", i,
                    c->text, c->want, buf_str(&out), err.msg);
            failures++;
        } else if (c->want == NULL &&
                   (rc == 0 || strstr(err.msg, c->error) == NULL)) {
            fprintf(stderr,
                    "# case %zu %s\n#   want error \"%s\"\n#   got "
                    "\"%s\" (output \"%s\")\n",
                    i, c->text, c->error, err.msg, buf_str(&out));
            failures++;
        }
        buf_release(&out);
    }
    ck_assert_uint_eq(failures, 0);
}
END_TEST

START_TEST(prints_whole_values)
{
    struct buf out = BUF_INIT;
    struct err err = ERR_INIT;
    struct tcase c = {"{{ .Nested }} {{ $.Map }}", NULL, NULL, 0};
    int rc;

    run_case(&c, &out, &err, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(buf_str(&out), "map[In:map[Deep:yes]] map[a:1 k:v]");
    buf_release(&out);
}
END_TEST

START_TEST(reports_dependencies)
{
    const char *text =
        "{{ env \"HOME\" }}{{ range nomadService \"web\" }}{{ end }}"
        "{{ range nomadService \"web\" }}{{ end }}"
        "{{ nomadService 2 \"k\" \"v1.web|passing\" }}{{ nomadServices }}";
    struct tmpl *t = NULL;
    struct err err = ERR_INIT;
    struct buf out = BUF_INIT;
    struct tmpl_deps deps;
    char s[256];

    tmpl_deps_init(&deps);
    ck_assert_int_eq(tmpl_parse(text, strlen(text), NULL, &t, &err), 0);
    ck_assert_int_eq(tmpl_render(t, &source, NULL, &out, &deps, &err), 0);
    ck_assert_uint_eq(deps.n, 4);
    ck_assert_str_eq(tmpl_dep_string(&deps.items[0], s, sizeof(s)),
                     "env(HOME)");
    ck_assert_str_eq(tmpl_dep_string(&deps.items[1], s, sizeof(s)),
                     "nomad.service(web)");
    ck_assert_str_eq(tmpl_dep_string(&deps.items[2], s, sizeof(s)),
                     "nomad.service(v1.web|passing?choose=2|k)");
    ck_assert_str_eq(deps.items[2].query.name, "web");
    ck_assert_str_eq(deps.items[2].query.tag, "v1");
    ck_assert_uint_eq(deps.items[2].query.health, TMPL_HEALTH_PASSING);
    ck_assert_int_eq(deps.items[2].query.choose_n, 2);
    ck_assert_str_eq(tmpl_dep_string(&deps.items[3], s, sizeof(s)),
                     "nomad.services");
    tmpl_deps_release(&deps);
    tmpl_free(t);
    buf_release(&out);
}
END_TEST

START_TEST(bounds_nesting_and_output)
{
    struct buf text = BUF_INIT, out = BUF_INIT;
    struct err err = ERR_INIT;
    struct tmpl *t = NULL;
    struct tmpl_opts opts = {.name = "big", .max_output_bytes = 1000};
    const char *loop = "{{ range 100000 }}0123456789{{ end }}";

    for (int i = 0; i < 200; i++)
        buf_puts(&text, "{{ if true }}");
    ck_assert_int_eq(tmpl_parse(text.data, text.len, NULL, &t, &err),
                     ERR_TOO_DEEP);
    ck_assert_ptr_nonnull(strstr(err.msg, "nesting too deep"));
    buf_reset(&text);
    buf_puts(&text, "{{ ");
    for (int i = 0; i < 200; i++)
        buf_putc(&text, '(');
    buf_putc(&text, '1');
    for (int i = 0; i < 200; i++)
        buf_putc(&text, ')');
    buf_puts(&text, " }}");
    ck_assert_int_eq(tmpl_parse(text.data, text.len, NULL, &t, &err),
                     ERR_TOO_DEEP);

    ck_assert_int_eq(tmpl_parse(loop, strlen(loop), &opts, &t, &err), 0);
    ck_assert_int_eq(tmpl_render(t, NULL, NULL, &out, NULL, &err), ERR_TOO_BIG);
    ck_assert_ptr_nonnull(strstr(err.msg, "larger than 1000 bytes"));
    tmpl_free(t);
    /* an empty body writes nothing, so only the step budget ends it */
    loop = "{{ range 1000000000000 }}{{ end }}";
    opts.max_steps = 100000;
    ck_assert_int_eq(tmpl_parse(loop, strlen(loop), &opts, &t, &err), 0);
    ck_assert_int_eq(tmpl_render(t, NULL, NULL, &out, NULL, &err), ERR_TOO_BIG);
    ck_assert_ptr_nonnull(strstr(err.msg, "more than 100000 steps"));
    tmpl_free(t);
    buf_release(&text);
    buf_release(&out);
}
END_TEST

START_TEST(template_reused_across_renders)
{
    const char *text =
        "{{ range nomadService \"redis-svc\" }}"
        "REDIS_HOST={{ .Address }}\nREDIS_PORT={{ .Port }}\n"
        "{{ break }}{{ end }}";
    struct tmpl *t = NULL;
    struct err err = ERR_INIT;

    ck_assert_int_eq(tmpl_parse(text, strlen(text), NULL, &t, &err), 0);
    for (int i = 0; i < 3; i++) {
        struct buf out = BUF_INIT;

        ck_assert_int_eq(tmpl_render(t, &source, NULL, &out, NULL, &err), 0);
        ck_assert_str_eq(buf_str(&out),
                         "REDIS_HOST=10.0.0.1\nREDIS_PORT=6379\n");
        buf_release(&out);
    }
    tmpl_free(t);
}
END_TEST

/* tests/data/template/NAME.tpl renders to NAME.out, byte for byte. */
START_TEST(golden_files)
{
    static const char *const names[] = {"redis-env", "haproxy", "services"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct buf text = BUF_INIT, want = BUF_INIT, out = BUF_INIT;
        struct err err = ERR_INIT;
        struct tmpl *t = NULL;
        struct tmpl_opts opts = {.name = names[i]};
        char path[1024];

        snprintf(path, sizeof(path), "%s/template/%s.tpl", test_data_dir(),
                 names[i]);
        ck_assert_msg(buf_read_file(&text, path, &err) == 0, "%s", err.msg);
        snprintf(path, sizeof(path), "%s/template/%s.out", test_data_dir(),
                 names[i]);
        ck_assert_msg(buf_read_file(&want, path, &err) == 0, "%s", err.msg);
        ck_assert_msg(tmpl_parse(text.data, text.len, &opts, &t, &err) == 0,
                      "%s", err.msg);
        ck_assert_msg(tmpl_render(t, &source, NULL, &out, NULL, &err) == 0,
                      "%s", err.msg);
        ck_assert_str_eq(buf_str(&out), buf_str(&want));
        tmpl_free(t);
        buf_release(&text);
        buf_release(&want);
        buf_release(&out);
    }
}
END_TEST

static Suite *template_suite(void)
{
    Suite *s = suite_create("template");
    TCase *tc = test_tcase("template");

    tcase_add_test(tc, table);
    tcase_add_test(tc, prints_whole_values);
    tcase_add_test(tc, reports_dependencies);
    tcase_add_test(tc, bounds_nesting_and_output);
    tcase_add_test(tc, template_reused_across_renders);
    tcase_add_test(tc, golden_files);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(template_suite)
