/*
 * `caravan operator gossip keyring`, as Nomad's operator gossip keyring
 * commands: both the subcommand form (`keyring install KEY`) and the
 * older flag form (`keyring -install KEY`) are accepted. generate is
 * local; the others go to the agent's /v1/agent/keyring/ endpoints.
 */
#include "agent/cli/cmd_operator.h"

#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/api/api.h"
#include "agent/cli/flags.h"
#include "agent/cli/query.h"
#include "lib/buf.h"
#include "lib/err.h"

/* 32 random bytes: the key size of the gossip keyring. */
#define KEY_BYTES 32

const char cli_help_operator_keyring[] =
    "Usage: caravan operator gossip keyring [options] <subcommand> [key]\n"
    "\n"
    "  Manages the encryption keys of the gossip layer. Several keys may\n"
    "  be installed at once, which lets a cluster rotate keys: install the\n"
    "  new key, use it, then remove the old one.\n"
    "\n"
    "  A change made through one agent spreads to every member of the mesh;\n"
    "  install returns once every member holds the new key, and list shows\n"
    "  how many members hold each key.\n"
    "\n"
    "Subcommands (or the same as flags: -generate, -list, -install=<key>,\n"
    "-use=<key>, -remove=<key>):\n"
    "\n"
    "  generate        Generate a new encryption key (32 bytes, base64).\n"
    "  list            List the installed keys.\n"
    "  install <key>   Install a new key.\n"
    "  use <key>       Make an installed key the primary one.\n"
    "  remove <key>    Remove a key (not the primary one).\n"
    "\n" CLI_GENERAL_OPTIONS;

enum keyring_action {
    ACT_NONE,
    ACT_GENERATE,
    ACT_LIST,
    ACT_INSTALL,
    ACT_USE,
    ACT_REMOVE,
};

static const char *const action_names[] = {
    [ACT_GENERATE] = "generate", [ACT_LIST] = "list",
    [ACT_INSTALL] = "install",   [ACT_USE] = "use",
    [ACT_REMOVE] = "remove",
};

static int generate(void)
{
    unsigned char key[KEY_BYTES];
    char b64[sodium_base64_ENCODED_LEN(KEY_BYTES,
                                       sodium_base64_VARIANT_ORIGINAL)];

    if (sodium_init() < 0) {
        fprintf(stderr, "Error generating key: no randomness available\n");
        return 1;
    }
    randombytes_buf(key, sizeof(key));
    sodium_bin2base64(b64, sizeof(b64), key, sizeof(key),
                      sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(key, sizeof(key));
    printf("%s\n", b64);
    return 0;
}

static int list(struct api_client *c)
{
    struct err err = ERR_INIT;
    json_t *r = NULL;
    const char *key;
    json_t *v;

    printf("Gathering installed encryption keys...\n");
    fflush(stdout);
    if (cli_get(c, &r, &err, "/v1/agent/keyring/list") != 0) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    printf("Key\n");
    json_object_foreach(json_object_get(r, "Keys"), key, v)
    {
        printf("%s\n", key);
    }
    json_decref(r);
    return 0;
}

static int wait_installed(struct api_client *c, const char *key);

static int change(struct api_client *c,
                  enum keyring_action act,
                  const char *key)
{
    static const char *const banner[] = {
        [ACT_INSTALL] = "Installing new gossip encryption key...",
        [ACT_USE] = "Changing primary gossip encryption key...",
        [ACT_REMOVE] = "Removing gossip encryption key...",
    };
    struct api_response resp;
    struct err err = ERR_INIT;
    json_t *body = json_pack("{s:s}", "Key", key);
    char *text = json_dumps(body, JSON_COMPACT);
    char path[64];
    int rc;

    printf("%s\n", banner[act]);
    fflush(stdout);
    snprintf(path, sizeof(path), "/v1/agent/keyring/%s", action_names[act]);
    api_response_init(&resp);
    rc = api_request(c, "PUT", path, text, strlen(text), &resp, &err);
    if (rc == 0 && resp.status / 100 != 2)
        rc = api_status_error(&resp, &err);
    if (rc != 0)
        fprintf(stderr, "error: %s\n", err.msg);
    api_response_release(&resp);
    free(text);
    json_decref(body);
    if (rc == 0 && act == ACT_INSTALL)
        return wait_installed(c, key);
    return rc == 0 ? 0 : 1;
}

/* key in the standard base64 the list shows (given in any variant). */
static void canonical(const char *key, char out[64])
{
    unsigned char raw[KEY_BYTES];
    size_t len = 0;
    static const int variants[] = {
        sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
        sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING};

    snprintf(out, 64, "%s", key);
    for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
        if (sodium_base642bin(raw, sizeof(raw), key, strlen(key), NULL, &len,
                              NULL, variants[i]) == 0 &&
            len == KEY_BYTES) {
            sodium_bin2base64(out, 64, raw, len,
                              sodium_base64_VARIANT_ORIGINAL);
            return;
        }
    }
}

/*
 * After an install, waits (at most 10 s) until every member of the mesh
 * holds the key, as Nomad answers only once all members did: a `use`
 * right after is then safe.
 */
static int wait_installed(struct api_client *c, const char *key)
{
    char want[64];
    int held = 0, nodes = 0;

    canonical(key, want);
    for (int i = 0; i < 100; i++) {
        struct err err = ERR_INIT;
        json_t *r = NULL;

        if (cli_get(c, &r, &err, "/v1/agent/keyring/list") == 0) {
            held = (int)json_integer_value(
                json_object_get(json_object_get(r, "Keys"), want));
            nodes = (int)json_integer_value(json_object_get(r, "NumNodes"));
        }
        json_decref(r);
        if (nodes > 0 && held >= nodes)
            return 0;
        usleep(100000);
    }
    fprintf(stderr,
            "error: the key reached %d of %d members; wait until 'keyring "
            "list' shows it on all before using it\n",
            held, nodes);
    return 1;
}

/* The action named by a subcommand word, or ACT_NONE. */
static enum keyring_action action_word(const char *w)
{
    for (int a = ACT_GENERATE; a <= ACT_REMOVE; a++) {
        if (strcmp(w, action_names[a]) == 0)
            return (enum keyring_action)a;
    }
    return ACT_NONE;
}

int cli_cmd_operator_keyring(const struct cli_command *cmd,
                             int argc,
                             char **argv)
{
    struct cli_api_opts o = {0};
    bool gen = false, lst = false;
    const char *install = NULL, *use = NULL, *remove_key = NULL;
    const char *key = NULL;
    struct flag flags[] = {
        CLI_API_FLAGS(o),
        {"generate", FLAG_BOOL, &gen, "generate a key"},
        {"list", FLAG_BOOL, &lst, "list keys"},
        {"install", FLAG_STRING, &install, "install a key"},
        {"use", FLAG_STRING, &use, "make a key the primary"},
        {"remove", FLAG_STRING, &remove_key, "remove a key"},
    };
    enum keyring_action act = ACT_NONE;
    struct api_client c;
    int first, status, nact, rc;

    /* The subcommand form: the word first, then flags and the key. */
    if (argc > 0 && action_word(argv[0]) != ACT_NONE) {
        act = action_word(argv[0]);
        argc--;
        argv++;
    }
    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0)
        return status;
    nact = (act != ACT_NONE) + gen + lst + (install != NULL) + (use != NULL) +
           (remove_key != NULL);
    if (nact != 1)
        return cli_usage_error(cmd, nact == 0 ? NULL
                                              : "Only a single action is "
                                                "allowed");
    if (act == ACT_NONE) {
        act = gen       ? ACT_GENERATE
              : lst     ? ACT_LIST
              : install ? ACT_INSTALL
              : use     ? ACT_USE
                        : ACT_REMOVE;
        key = install ? install : use ? use : remove_key;
        if (argc - first != 0)
            return cli_arg_error(cmd, "This command takes no arguments");
    } else if (act == ACT_GENERATE || act == ACT_LIST) {
        if (argc - first != 0)
            return cli_arg_error(cmd, "This command takes no arguments");
    } else {
        if (argc - first != 1)
            return cli_arg_error(cmd,
                                 "This command requires one argument: "
                                 "<key>");
        key = argv[first];
    }
    if (act == ACT_GENERATE)
        return generate();
    cli_api_client(&c, &o);
    rc = act == ACT_LIST ? list(&c) : change(&c, act, key);
    api_client_release(&c);
    return rc;
}
