/* Log file names and rotation rules (see logfile.h). */
#include "lib/logfile.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>

bool logfile_index(const char *name, const char *base, uint32_t *index)
{
    size_t blen = strlen(base);
    const char *p;
    uint64_t v = 0;

    if (strncmp(name, base, blen) != 0 || name[blen] != '.')
        return false;
    p = name + blen + 1;
    if (*p == '\0' || (p[0] == '0' && p[1] != '\0'))
        return false;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > INT32_MAX)
            return false;
    }
    *index = (uint32_t)v;
    return true;
}

int logfile_range(const char *dir,
                  const char *base,
                  uint32_t *first,
                  uint32_t *last)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    bool found = false;
    uint32_t idx;

    if (d == NULL)
        return -ENOENT;
    while ((e = readdir(d)) != NULL) {
        if (!logfile_index(e->d_name, base, &idx))
            continue;
        if (!found || idx < *first)
            *first = idx;
        if (!found || idx > *last)
            *last = idx;
        found = true;
    }
    closedir(d);
    return found ? 0 : -ENOENT;
}

uint64_t logfile_room(uint64_t size, uint64_t len, uint64_t max_bytes)
{
    uint64_t room = size >= max_bytes ? 0 : max_bytes - size;

    return len < room ? len : room;
}

uint32_t logfile_keep_from(uint32_t newest, uint32_t max_files)
{
    return newest + 1 > max_files ? newest + 1 - max_files : 0;
}
