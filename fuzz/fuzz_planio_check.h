/*
 * fuzz_planio_check.h -- the property of fuzz/fuzz_planio.c: the planning
 * store's CSV and JSON readers (src/plan/io.c), which take files from
 * outside (`plan import`, partners' data sets).  Shared with
 * tests/unit/test_fuzz_regress.c.
 *
 * Input: one byte choosing the format (even: CSV, odd: JSON), then the
 * file's text (up to the first NUL).  It is imported into one store, kept
 * open across inputs in a temporary directory, against the shipped
 * registry.
 *
 * Properties: an import either succeeds or fails whole -- a failure says
 * why, naming the file, reports 0 rows, and leaves every table's row count
 * as it was (one transaction per file) -- and either way no transaction is
 * left open.  Crashes, leaks and undefined behaviour are the sanitizers'.
 */
#ifndef PN_FUZZ_PLANIO_CHECK_H
#define PN_FUZZ_PLANIO_CHECK_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/plan/plan.h"
#include "../src/plan/plan_int.h"
#include "fuzz_checks.h"

#define FUZZ_PLANIO_TABLES 64

/* The row count of every table, in name order; returns how many tables,
 * or -1 when the store cannot be read. */
static inline int fuzzPlanCounts(Plan *p, int64_t counts[FUZZ_PLANIO_TABLES]) {
    sqlite3_stmt *names;
    int n = 0;
    if (sqlite3_prepare_v2(p->db,
                           "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1,
                           &names, NULL) != SQLITE_OK)
        return -1;
    while (n < FUZZ_PLANIO_TABLES && sqlite3_step(names) == SQLITE_ROW) {
        char sql[300];
        sqlite3_stmt *count;
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\"", sqlite3_column_text(names, 0));
        counts[n] = -1;
        if (sqlite3_prepare_v2(p->db, sql, -1, &count, NULL) == SQLITE_OK &&
            sqlite3_step(count) == SQLITE_ROW)
            counts[n] = sqlite3_column_int64(count, 0);
        sqlite3_finalize(count);
        n++;
    }
    sqlite3_finalize(names);
    return n;
}

/* The store every input goes into: opened on first use, in a directory
 * of its own that is removed when the process ends. */
static char fuzzPlanDir[64];
static Plan *fuzzPlan;

static inline void fuzzPlanRemove(void) {
    char path[128];
    planClose(fuzzPlan);
    fuzzPlan = NULL;
    static const char *const files[] = {"plan.db", "plan.db-wal", "plan.db-shm"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", fuzzPlanDir, files[i]);
        unlink(path);
    }
    rmdir(fuzzPlanDir);
}

static inline Plan *fuzzPlanStore(const FuzzEnv *env, char *why, size_t cap) {
    pnError err = {0};
    if (fuzzPlan) return fuzzPlan;
    snprintf(fuzzPlanDir, sizeof(fuzzPlanDir), "/tmp/pn-fuzz-planio-XXXXXX");
    if (!mkdtemp(fuzzPlanDir)) {
        fuzzFail(why, cap, "cannot make a temporary directory");
        return NULL;
    }
    if (planOpen(&fuzzPlan, fuzzPlanDir, env->reg, &err) != PN_OK) {
        rmdir(fuzzPlanDir);
        fuzzFail(why, cap, "planOpen: %s", err.msg);
        return NULL;
    }
    atexit(fuzzPlanRemove);
    return fuzzPlan;
}

static inline int fuzzCheckPlanio(const FuzzEnv *env, const uint8_t *data, size_t size, char *why,
                                  size_t cap) {
    Plan *p = fuzzPlanStore(env, why, cap);
    if (!p) return -1;
    if (size == 0) return 0;
    const char *name = data[0] % 2 ? "fuzz.json" : "fuzz.csv";
    char *text = malloc(size);
    if (!text) return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    int64_t before[FUZZ_PLANIO_TABLES], after[FUZZ_PLANIO_TABLES];
    int nb = fuzzPlanCounts(p, before);
    pnError err = {0};
    int rows = -1;
    int rc = planImportText(p, name, text, &rows, &err);
    free(text);
    if (!sqlite3_get_autocommit(p->db))
        return fuzzFail(why, cap, "import of %s (rc %d) left a transaction open", name, rc);
    if (rc == PN_OK)
        return rows >= 0 ? 0 : fuzzFail(why, cap, "import succeeded with %d rows", rows);
    if (rows != 0) return fuzzFail(why, cap, "failed import reports %d rows", rows);
    if (strncmp(err.msg, name, strlen(name)) != 0)
        return fuzzFail(why, cap, "failed import's error does not name the file: '%s'", err.msg);
    int na = fuzzPlanCounts(p, after);
    if (na != nb || (nb > 0 && memcmp(before, after, (size_t)nb * sizeof(before[0])) != 0))
        return fuzzFail(why, cap, "failed import (%s) changed the store", err.msg);
    return 0;
}

#endif
