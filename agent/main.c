/*
 * The caravan binary: the agent (`caravan agent ...`, issue #3) and the
 * CLI (every other command). The composition root: the only place that
 * may call exit() besides agent/cli/.
 */
#include <locale.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/api/curl_lazy.h"
#include "agent/client/logmon.h"
#include "agent/cli/cli.h"

int main(int argc, char **argv)
{
    int rc;

    setlocale(LC_CTYPE, "C");
    if (sodium_init() < 0) {
        fprintf(stderr, "caravan: libsodium failed to initialise\n");
        return 1;
    }
    /* A client that hangs up mid-response must not kill the agent: writes
     * to its socket fail with EPIPE instead. */
    signal(SIGPIPE, SIG_IGN);
    /* Only the CLI talks HTTP through libcurl, loaded here and not in the
     * agent (agent/api/curl_lazy.h): its TLS set-up alone touched some 3 MB
     * of libcrypto that an idle agent would keep resident for nothing. */
    if (argc > 1 && strcmp(argv[1], "agent") == 0)
        return agent_main(argc - 2, argv + 2);
    if (argc > 1 && strcmp(argv[1], "logmon") == 0)
        return logmon_main(argc - 2, argv + 2); /* hidden: the client's helper */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cli_main(argc, argv);
    curl_global_cleanup();
    return rc;
}
