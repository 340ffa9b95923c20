/*
 * plan_int.h -- what the files of src/plan share and nothing outside uses:
 * the Plan structure and small SQLite helpers.
 */
#ifndef PN_PLAN_INT_H
#define PN_PLAN_INT_H

#include <stddef.h>
#include <sqlite3.h>

#include "../registry/suggest.h"
#include "plan.h"

struct Plan {
    sqlite3 *db;
    const Registry *reg; /* borrowed; may be NULL */
    char path[4096];
};

/* Set err to "PATH: what: sqlite message" and return PN_EIO. */
int planDbFail(Plan *p, pnError *err, const char *what);

/* Prepare sql; NULL (with err set) on failure.  The caller finalizes. */
sqlite3_stmt *planPrepare(Plan *p, const char *sql, pnError *err);

/* Step s expecting no row, then finalize it.  PN_OK or PN_EIO ("what"). */
int planStepDone(Plan *p, sqlite3_stmt *s, pnError *err, const char *what);

/* Copy text column col into dst (cap bytes, always terminated; "" for NULL). */
void planColText(sqlite3_stmt *s, int col, char *dst, size_t cap);

/* Bind text (NULL or "" binds SQL NULL when nullIfEmpty). */
void planBindText(sqlite3_stmt *s, int idx, const char *text, int nullIfEmpty);

/* Check a nation code against the registry (any code passes without one);
 * PN_EINVAL "field 'F': unknown nation 'X'". */
int planCheckNation(Plan *p, const char *field, const char *code, pnError *err);

/* Parse a "YYYY-MM-DD" field; PN_EINVAL "field 'F': 'X' is not a date". */
int planCheckDate(const char *field, const char *text, int32_t *day, pnError *err);

/* Recompute the registered/waitlisted counters kept on instances (for one
 * instance, or all with NULL) after registrations changed: listings read
 * the counters instead of counting 45,000 rows. */
int planRecount(Plan *p, const char *instanceOrNull, pnError *err);

/* Record one workflow step. */
int planEvent(Plan *p, const char *instance, const char *step, const char *nation,
              const char *actor, int64_t at, const char *detail, pnError *err);

/* Store one menu activity / one instance after checking its fields
 * (activity.c; used by planPropose and by import). */
int planActivityPutRow(Plan *p, const PlanActivity *a, pnError *err);
int planInstancePutRow(Plan *p, const PlanInstance *i, pnError *err);

/* Eligibility and capacity of instance for nation: PN_OK with *full set
 * when it may register (places taken >= capacity); PN_EINVAL with the
 * refusal in err (and reason) otherwise; PN_ENOENT for an unknown instance. */
int planRegistrationCheck(Plan *p, const char *instance, const char *nation, char *reason,
                          size_t cap, int *full, pnError *err);

#endif
