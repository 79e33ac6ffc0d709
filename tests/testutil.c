/* SPDX-License-Identifier: MIT */
/* testutil.c - helpers shared by the Check suites (see testutil.h). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef POPI_SOURCE_DIR
#define POPI_SOURCE_DIR "."
#endif

uint64_t popi_test_seed(uint64_t dflt)
{
    const char *e = getenv("POPI_TEST_SEED");
    return e ? strtoull(e, NULL, 10) : dflt;
}

char *popi_test_tmpdir(void)
{
    char tmpl[] = "/tmp/popi-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    if (!d) return NULL;
    char *out = malloc(strlen(d) + 1);
    strcpy(out, d);
    return out;
}

void popi_test_rmdir(const char *dir)
{
    if (!dir || strncmp(dir, "/tmp/popi-test-", 15) != 0) return;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", dir);
}

const char *popi_test_src(const char *rel)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", POPI_SOURCE_DIR, rel);
    return buf;
}

int popi_test_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    size_t n = strlen(text);
    int rc = fwrite(text, 1, n, f) == n ? 0 : -1;
    if (fclose(f) != 0) rc = -1;
    return rc;
}

int popi_test_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
