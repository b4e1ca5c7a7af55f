#!/usr/bin/env bash
# The layering check must catch what it exists to catch: a tree with one
# forbidden include of each kind fails, the same tree without them passes.
. "$(dirname "$0")/cli/lib.sh"
CHECK="$TOP_SRCDIR/tests/check_deps.sh"
root="$T_TMP/tree"

mk() { # path content
    mkdir -p "$root/$(dirname "$1")"
    printf '%s\n' "$2" >"$root/$1"
}

mk lib/a.c '#include "lib/a.h"'
mk scheduler/s.c '#include "lib/a.h"'
mk agent/cli/c.c '#include "agent/api/api.h"'
t_run "clean tree passes" 0 "$CHECK" "$root"

for bad in \
    'lib/b.c|#include "mesh/mesh.h"' \
    'lib/c.c|#include <uv.h>' \
    'scheduler/t.c|#include "agent/server/server.h"' \
    'scheduler/u.c|#include <lmdb.h>' \
    'mesh/swim.c|#include <uv.h>' \
    'mesh/x.c|#include "discovery/catalog.h"' \
    'agent/server/y.c|#include "agent/client/client.h"' \
    'agent/client/z.c|#include "scheduler/rank.h"' \
    'agent/cli/w.c|#include "lib/../agent/server/server.h"' \
    'agent/cli/v.c|#include "agent/server/fsm.h"' \
    'drivers/d.c|#include "mesh/rpc.h"'; do
    file=${bad%%|*}
    line=${bad#*|}
    mk "$file" "$line"
    t_run "catches $file: $line" 1 "$CHECK" "$root"
    t_contains "names $file" "$T_OUT" "$file"
    rm "$root/$file"
done
t_run "clean again" 0 "$CHECK" "$root"
done_testing
