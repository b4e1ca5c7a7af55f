/*
 * The compiled-in drivers. A new driver is a file in drivers/ and one line
 * in the table below.
 */
#include "drivers/driver.h"

#include <string.h>

static const struct driver_ops *const drivers[] = {
    &driver_raw_exec_ops,
    &driver_exec_ops,
    &driver_mock_ops,
};

#define DRIVERS_LEN (sizeof(drivers) / sizeof(drivers[0]))

const struct driver_ops *driver_registry_lookup(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < DRIVERS_LEN; i++) {
        if (strcmp(drivers[i]->name, name) == 0)
            return drivers[i];
    }
    return NULL;
}

const struct driver_ops *const *driver_registry_list(size_t *n)
{
    *n = DRIVERS_LEN;
    return drivers;
}
