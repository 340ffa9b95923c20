/*
 * io.c -- import and export of the planning data as JSON and CSV.
 *
 * Every kind of record has a fixed field list (the CSV header and the JSON
 * member names).  A record is first checked field by field (numbers,
 * dates, nations, references to other records), then stored by the same
 * functions the commands use, so the workflow rules hold for imported data
 * too.  A file is one transaction; the first error rolls it back and is
 * reported as "PATH:LINE: field 'NAME': what".
 *
 * CSV: RFC 4180 (comma separated, fields in double quotes may hold commas,
 * doubled quotes and line breaks), the header row first; blank lines and
 * lines starting with '#' are skipped (data files carry their sources in
 * such comments).  JSON: one object whose members are arrays of records
 * named after the kinds; members "sources" and "note" are ignored.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/buf.h"
#include "../core/date.h"
#include "../core/str.h"
#include "plan_int.h"

/* Largest import file. */
#define IO_MAX_FILE (256u << 20)
#define IO_MAX_FIELDS 10

/* F_OPTINT: a whole number or empty (not given); a CSV header may leave
 * out trailing F_OPTINT fields. */
enum { F_TEXT, F_OPT, F_NATION, F_DATE, F_OPTDATE, F_INT, F_REAL, F_BOOL, F_OPTINT };

typedef struct Field {
    const char *name;
    int type;
} Field;

typedef struct Kind Kind;
typedef int (*PutFn)(Plan *p, const Kind *k, const char *const *v, pnError *err);

struct Kind {
    const char *name;
    const char *header; /* the field names, comma separated */
    Field f[IO_MAX_FIELDS];
    int nf;
    PutFn put;
    const char *order; /* ORDER BY of the export */
};

/* ---- storing one record ------------------------------------------------ */

/* A checked F_INT field as an int, clamped (the callers then refuse values
 * out of their range by name). */
static int intField(const char *v) {
    long long x = strtoll(v, NULL, 10);
    return x > INT_MAX ? INT_MAX : (int)x;
}

/* Insert or replace a record of a kind whose table is named like it and
 * whose columns are its fields.  Values were checked by checkFields. */
static int putGeneric(Plan *p, const Kind *k, const char *const *v, pnError *err) {
    char sql[512];
    int n = snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO %s(", k->name);
    for (int i = 0; i < k->nf; i++)
        n += snprintf(sql + n, sizeof(sql) - (size_t)n, "%s\"%s\"", i ? "," : "", k->f[i].name);
    n += snprintf(sql + n, sizeof(sql) - (size_t)n, ") VALUES(");
    for (int i = 0; i < k->nf; i++)
        n += snprintf(sql + n, sizeof(sql) - (size_t)n, "%s?", i ? "," : "");
    snprintf(sql + n, sizeof(sql) - (size_t)n, ")");
    sqlite3_stmt *s = planPrepare(p, sql, err);
    if (!s) return PN_EIO;
    for (int i = 0; i < k->nf; i++) {
        const char *x = v[i];
        switch (k->f[i].type) {
        case F_INT:
            sqlite3_bind_int64(s, i + 1, strtoll(x, NULL, 10));
            break;
        case F_OPTINT:
            if (x[0]) sqlite3_bind_int64(s, i + 1, strtoll(x, NULL, 10));
            break;
        case F_REAL:
            sqlite3_bind_double(s, i + 1, strtod(x, NULL));
            break;
        case F_BOOL:
            sqlite3_bind_int(s, i + 1, x[0] == '1');
            break;
        default:
            planBindText(s, i + 1, x, 1);
        }
    }
    return planStepDone(p, s, err, "cannot store the record");
}

/* PN_EINVAL "field 'F': no T 'X'" unless table has a row with col = value. */
static int mustExist(Plan *p, const char *field, const char *table, const char *what,
                     const char *value, pnError *err) {
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT 1 FROM %s WHERE code = ?", table);
    sqlite3_stmt *s = planPrepare(p, sql, err);
    if (!s) return PN_EIO;
    planBindText(s, 1, value, 0);
    int found = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return found ? PN_OK : pnErrorSet(err, PN_EINVAL, "field '%s': no %s '%s'", field, what, value);
}

/* Copy field i of v into dst (cap bytes).  A value that does not fit is
 * refused, never cut: a cut code could name, and replace, another record. */
static int take(char *dst, size_t cap, const Kind *k, const char *const *v, int i, pnError *err) {
    size_t n = strlen(v[i]);
    if (n >= cap)
        return pnErrorSet(err, PN_EINVAL, "field '%s': longer than %zu bytes", k->f[i].name,
                          cap - 1);
    memcpy(dst, v[i], n + 1);
    return 0;
}

static int putActivity(Plan *p, const Kind *k, const char *const *v, pnError *err) {
    PlanActivity a;
    memset(&a, 0, sizeof(a));
    if (take(a.code, sizeof(a.code), k, v, 0, err)) return PN_EINVAL;
    if (take(a.title, sizeof(a.title), k, v, 1, err)) return PN_EINVAL;
    if (take(a.kind, sizeof(a.kind), k, v, 2, err)) return PN_EINVAL;
    if (take(a.organiser, sizeof(a.organiser), k, v, 3, err)) return PN_EINVAL;
    if (take(a.openTo, sizeof(a.openTo), k, v, 4, err)) return PN_EINVAL;
    a.capacity = intField(v[5]);
    if (take(a.label, sizeof(a.label), k, v, 6, err)) return PN_EINVAL;
    return planActivityPutRow(p, &a, err);
}

static int putInstance(Plan *p, const Kind *k, const char *const *v, pnError *err) {
    PlanInstance i;
    memset(&i, 0, sizeof(i));
    if (take(i.code, sizeof(i.code), k, v, 0, err)) return PN_EINVAL;
    if (take(i.activity, sizeof(i.activity), k, v, 1, err)) return PN_EINVAL;
    if (take(i.start, sizeof(i.start), k, v, 2, err)) return PN_EINVAL;
    if (take(i.end, sizeof(i.end), k, v, 3, err)) return PN_EINVAL;
    if (take(i.place, sizeof(i.place), k, v, 4, err)) return PN_EINVAL;
    i.capacity = intField(v[5]);
    if (take(i.status, sizeof(i.status), k, v, 6, err)) return PN_EINVAL;
    return planInstancePutRow(p, &i, err);
}

static int putRegistration(Plan *p, const Kind *k, const char *const *v, pnError *err) {
    const char *status = v[3];
    if (strcmp(status, "registered") && strcmp(status, "waitlisted") && strcmp(status, "attended"))
        return pnErrorSet(err, PN_EINVAL,
                          "field 'status': '%s' is not registered, waitlisted or attended", status);
    char reason[256];
    int full = 0;
    pnError why = {0};
    int rc = planRegistrationCheck(p, v[0], v[1], reason, sizeof(reason), &full, &why);
    if (rc == PN_ENOENT) return pnErrorSet(err, PN_EINVAL, "field 'instance': %s", why.msg);
    if (rc != PN_OK) return pnErrorSet(err, rc, "field 'nation': %s", why.msg);
    if (full && strcmp(status, "waitlisted") != 0)
        return pnErrorSet(err, PN_EINVAL, "field 'status': instance '%s' is full", v[0]);
    rc = putGeneric(p, k, v, err);
    return rc == PN_OK ? planRecount(p, v[0], err) : rc;
}

/* Feedback refers to an instance. */
static int putFeedback(Plan *p, const Kind *k, const char *const *v, pnError *err) {
    int rc = mustExist(p, "instance", "instances", "activity instance", v[0], err);
    return rc != PN_OK ? rc : putGeneric(p, k, v, err);
}

static int putObjective(Plan *p, const Kind *k, const char *const *v, pnError *err) {
    return planObjectiveAdd(p, v[0], intField(v[1]), v[2], err);
}

static int putProgramme(Plan *p, const Kind *k, const char *const *v, pnError *err) {
    return planProgrammeAdd(p, v[0], intField(v[1]), v[2], err);
}

/* Records that refer to a capability area: targets, holdings. */
static int putAreaRef(Plan *p, const Kind *k, const char *const *v, pnError *err) {
    int rc = mustExist(p, "area", "areas", "capability area", v[2], err);
    if (rc != PN_OK) return rc;
    if (strcmp(k->name, "holdings") == 0 && strtoll(v[4], NULL, 10) > strtoll(v[3], NULL, 10))
        return pnErrorSet(err, PN_EINVAL, "field 'ready': %s ready is more than %s held", v[4],
                          v[3]);
    return putGeneric(p, k, v, err);
}

static int putExpenditure(Plan *p, const Kind *k, const char *const *v, pnError *err) {
    if (strcmp(v[3], "actual") && strcmp(v[3], "estimate") && strcmp(v[3], "illustrative"))
        return pnErrorSet(err, PN_EINVAL,
                          "field 'status': '%s' is not actual, estimate or illustrative", v[3]);
    return putGeneric(p, k, v, err);
}

static int putExercise(Plan *p, const Kind *k, const char *const *v, pnError *err) {
    PlanExercise e;
    memset(&e, 0, sizeof(e));
    if (take(e.code, sizeof(e.code), k, v, 0, err)) return PN_EINVAL;
    if (take(e.name, sizeof(e.name), k, v, 1, err)) return PN_EINVAL;
    if (take(e.start, sizeof(e.start), k, v, 2, err)) return PN_EINVAL;
    if (take(e.end, sizeof(e.end), k, v, 3, err)) return PN_EINVAL;
    if (take(e.place, sizeof(e.place), k, v, 4, err)) return PN_EINVAL;
    if (take(e.host, sizeof(e.host), k, v, 5, err)) return PN_EINVAL;
    e.airborne = v[6][0] == '1';
    e.amphibious = v[7][0] == '1';
    if (take(e.notified, sizeof(e.notified), k, v, 8, err)) return PN_EINVAL;
    return planExercisePut(p, &e, err);
}

static int putContribution(Plan *p, const Kind *k, const char *const *v, pnError *err) {
    PlanContribution c;
    memset(&c, 0, sizeof(c));
    if (take(c.exercise, sizeof(c.exercise), k, v, 0, err)) return PN_EINVAL;
    if (take(c.nation, sizeof(c.nation), k, v, 1, err)) return PN_EINVAL;
    c.troops = strtoll(v[2], NULL, 10);
    c.tanks = strtoll(v[3], NULL, 10);
    c.acv = strtoll(v[4], NULL, 10);
    c.artillery = strtoll(v[5], NULL, 10);
    c.sorties = strtoll(v[6], NULL, 10);
    c.hasLanding = v[7][0] != '\0';
    c.landing = c.hasLanding ? strtoll(v[7], NULL, 10) : 0;
    return planContributionPut(p, &c, err);
}

static int putEvaluation(Plan *p, const Kind *k, const char *const *v, pnError *err) {
    return planInteropRecord(p, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], err);
}

#define T(n)                                                                                       \
    { n, F_TEXT }
#define O(n)                                                                                       \
    { n, F_OPT }
#define N(n)                                                                                       \
    { n, F_NATION }
#define D(n)                                                                                       \
    { n, F_DATE }
#define I(n)                                                                                       \
    { n, F_INT }

static const Kind kindList[] = {
    {"activities",
     "code,title,kind,organiser,open_to,capacity,label",
     {T("code"), T("title"), T("kind"), N("organiser"), T("open_to"), I("capacity"), O("label")},
     7,
     putActivity,
     "code"},
    {"instances",
     "code,activity,start,end,place,capacity,status",
     {T("code"), T("activity"), D("start"), D("end"), O("place"), I("capacity"), O("status")},
     7,
     putInstance,
     "start, code"},
    {"registrations",
     "instance,nation,participant,status",
     {T("instance"), N("nation"), T("participant"), T("status")},
     4,
     putRegistration,
     "instance, nation, participant"},
    {"feedback",
     "instance,nation,text",
     {T("instance"), N("nation"), T("text")},
     3,
     putFeedback,
     "instance, nation"},
    {"objectives",
     "nation,cycle,objective",
     {N("nation"), I("cycle"), T("objective")},
     3,
     putObjective,
     "nation, cycle, objective"},
    {"programme",
     "nation,cycle,instance",
     {N("nation"), I("cycle"), T("instance")},
     3,
     putProgramme,
     "nation, cycle, instance"},
    {"exercises",
     "code,name,start,end,place,host,airborne,amphibious,notified",
     {T("code"),
      T("name"),
      D("start"),
      D("end"),
      O("place"),
      N("host"),
      {"airborne", F_BOOL},
      {"amphibious", F_BOOL},
      {"notified", F_OPTDATE}},
     9,
     putExercise,
     "start, code"},
    {"contributions",
     "exercise,nation,troops,tanks,acv,artillery,sorties,landing",
     {T("exercise"),
      N("nation"),
      I("troops"),
      I("tanks"),
      I("acv"),
      I("artillery"),
      I("sorties"),
      {"landing", F_OPTINT}},
     8,
     putContribution,
     "exercise, nation"},
    {"areas", "code,name", {T("code"), T("name")}, 2, putGeneric, "code"},
    {"targets",
     "cycle,nation,area,quantity",
     {I("cycle"), N("nation"), T("area"), I("quantity")},
     4,
     putAreaRef,
     "cycle, nation, area"},
    {"holdings",
     "cycle,nation,area,held,ready",
     {I("cycle"), N("nation"), T("area"), I("held"), I("ready")},
     5,
     putAreaRef,
     "cycle, nation, area"},
    {"gdp",
     "nation,year,gdp_musd",
     {N("nation"), I("year"), {"gdp_musd", F_REAL}},
     3,
     putGeneric,
     "year, nation"},
    {"expenditure",
     "nation,year,pct_gdp,status,source",
     {N("nation"), I("year"), {"pct_gdp", F_REAL}, T("status"), O("source")},
     5,
     putExpenditure,
     "year, nation"},
    {"evaluations",
     "unit,nation,date,evaluator,area,item,result,evidence",
     {T("unit"), N("nation"), D("date"), T("evaluator"), T("area"), T("item"), T("result"),
      O("evidence")},
     8,
     putEvaluation,
     "unit, date, area, item"},
};
#define NKINDS ((int)(sizeof(kindList) / sizeof(kindList[0])))

#undef T
#undef O
#undef N
#undef D
#undef I

static const Kind *findKind(const char *name) {
    for (int k = 0; k < NKINDS; k++)
        if (strcmp(kindList[k].name, name) == 0) return &kindList[k];
    return NULL;
}

const char *planKindHeader(const char *kind) {
    const Kind *k = findKind(kind);
    return k ? k->header : NULL;
}

/* ---- checking fields --------------------------------------------------- */

/* Check v[i] against its field type, normalising booleans to "1"/"0" in
 * place (bools have room: the buffers hold at least two bytes). */
static int checkFields(Plan *p, const Kind *k, char **v, pnError *err) {
    for (int i = 0; i < k->nf; i++) {
        const Field *f = &k->f[i];
        char *x = v[i];
        switch (f->type) {
        case F_TEXT:
            if (!x[0]) return pnErrorSet(err, PN_EINVAL, "field '%s': missing", f->name);
            break;
        case F_NATION:
            strUpper(x);
            if (planCheckNation(p, f->name, x, err) != PN_OK) return PN_EINVAL;
            break;
        case F_DATE:
            if (planCheckDate(f->name, x, NULL, err) != PN_OK) return PN_EINVAL;
            break;
        case F_OPTDATE:
            if (x[0] && planCheckDate(f->name, x, NULL, err) != PN_OK) return PN_EINVAL;
            break;
        case F_OPTINT:
            if (!x[0]) break;
            /* fall through */
        case F_INT: {
            char *end;
            errno = 0;
            long long n = strtoll(x, &end, 10);
            if (!x[0] || *end || errno || !isdigit((unsigned char)x[0]))
                return pnErrorSet(err, PN_EINVAL, "field '%s': not a number ('%s')", f->name, x);
            (void)n;
            break;
        }
        case F_REAL: {
            char *end;
            double d = strtod(x, &end);
            if (!x[0] || *end || !isfinite(d) || d < 0)
                return pnErrorSet(err, PN_EINVAL, "field '%s': '%s' is not a number >= 0", f->name,
                                  x);
            break;
        }
        case F_BOOL:
            if (!x[0] || strcmp(x, "0") == 0 || strEqualNoCase(x, "false") ||
                strEqualNoCase(x, "no"))
                strcpy(x, "0");
            else if (strcmp(x, "1") == 0 || strEqualNoCase(x, "true") || strEqualNoCase(x, "yes"))
                strcpy(x, "1");
            else
                return pnErrorSet(err, PN_EINVAL, "field '%s': '%s' is not true or false", f->name,
                                  x);
            break;
        default:
            break;
        }
    }
    return PN_OK;
}

/* Check and store one record; err gets "PATH:LINE: " in front. */
static int importRecord(Plan *p, const Kind *k, char **v, const char *path, int line,
                        pnError *err) {
    int rc = checkFields(p, k, v, err);
    if (rc == PN_OK) rc = k->put(p, k, (const char *const *)v, err);
    if (rc != PN_OK) pnErrorPrefix(err, "%s:%d: ", path, line);
    return rc;
}

/* ---- CSV --------------------------------------------------------------- */

typedef struct Csv {
    const char *s;
    int line; /* of the next character */
} Csv;

/*
 * Read one record into out (fields NUL-separated in a pnBuf, offsets in
 * off[]); *line gets its first line.  Returns the field count, 0 at the end,
 * -1 for an unterminated quote, -2 for too many fields.
 */
static int csvRecord(Csv *c, pnBuf *out, size_t *off, int maxf, int *line) {
    for (;;) { /* skip blank and comment lines */
        if (!*c->s) return 0;
        if (*c->s == '\n' || *c->s == '\r') {
            if (*c->s == '\n') c->line++;
            c->s++;
        } else if (*c->s == '#') {
            while (*c->s && *c->s != '\n')
                c->s++;
        } else {
            break;
        }
    }
    *line = c->line;
    out->len = 0;
    if (out->data) out->data[0] = '\0';
    int nf = 0;
    for (;;) {
        if (nf == maxf) return -2;
        off[nf++] = out->len;
        if (*c->s == '"') {
            c->s++;
            for (;;) {
                if (!*c->s) return -1;
                if (*c->s == '"' && c->s[1] == '"') {
                    bufAppend(out, "\"", 1);
                    c->s += 2;
                } else if (*c->s == '"') {
                    c->s++;
                    break;
                } else {
                    if (*c->s == '\n') c->line++;
                    bufAppend(out, c->s++, 1);
                }
            }
        }
        while (*c->s && *c->s != ',' && *c->s != '\n' && *c->s != '\r')
            bufAppend(out, c->s++, 1);
        bufAppend(out, "", 1); /* the field's NUL */
        if (*c->s == ',') {
            c->s++;
            continue;
        }
        if (*c->s == '\r') c->s++;
        if (*c->s == '\n') {
            c->s++;
            c->line++;
        }
        return nf;
    }
}

/* Trim blanks around a field in place. */
static char *trim(char *s) {
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* Is header (cols names) the field list of k, or a start of it that leaves
 * out only optional (F_OPTINT) fields? */
static int headerMatches(const Kind *k, const char *header, int cols) {
    size_t len = strlen(header);
    if (cols > k->nf || strncmp(k->header, header, len) != 0) return 0;
    if (k->header[len] != '\0' && k->header[len] != ',') return 0;
    for (int i = cols; i < k->nf; i++)
        if (k->f[i].type != F_OPTINT) return 0;
    return 1;
}

static int importCsv(Plan *p, const char *path, const char *text, int *rows, pnError *err) {
    Csv c = {text, 1};
    pnBuf b;
    bufInit(&b);
    size_t off[IO_MAX_FIELDS + 1];
    int line = 0, nf, rc = PN_OK;
    char *v[IO_MAX_FIELDS + 1];
    const Kind *k = NULL;
    nf = csvRecord(&c, &b, off, IO_MAX_FIELDS + 1, &line);
    if (nf <= 0) {
        bufFree(&b);
        return nf == 0
                   ? pnErrorSet(err, PN_EINVAL, "%s: no header row", path)
                   : pnErrorSet(err, PN_EINVAL, "%s:%d: the header is not a kind's", path, line);
    }
    char header[512] = "";
    for (int i = 0; i < nf && !bufFailed(&b); i++)
        snprintf(header + strlen(header), sizeof(header) - strlen(header), "%s%s", i ? "," : "",
                 trim(b.data + off[i]));
    int cols = nf; /* a header may leave out trailing optional fields */
    char none[1] = "";
    for (int i = 0; i < NKINDS && !k; i++)
        if (headerMatches(&kindList[i], header, cols)) k = &kindList[i];
    if (!k) {
        bufFree(&b);
        return pnErrorSet(err, PN_EINVAL,
                          "%s:%d: header '%s' is not the field list of a kind (e.g. '%s')", path,
                          line, header, kindList[NKINDS - 2].header);
    }
    while ((nf = csvRecord(&c, &b, off, IO_MAX_FIELDS + 1, &line)) != 0) {
        if (bufFailed(&b)) {
            rc = pnErrorSet(err, PN_ENOMEM, "out of memory");
            break;
        }
        if (nf < 0 || nf != cols) {
            rc = nf == -1
                     ? pnErrorSet(err, PN_EINVAL, "%s:%d: a quoted field is not closed", path, line)
                     : pnErrorSet(err, PN_EINVAL, "%s:%d: %s fields, expected %d (%s)", path, line,
                                  nf < 0 ? "too many" : "wrong number of", cols, header);
            break;
        }
        for (int i = 0; i < nf; i++)
            v[i] = trim(b.data + off[i]);
        for (int i = nf; i < k->nf; i++)
            v[i] = none; /* an optional field the header left out */
        if ((rc = importRecord(p, k, v, path, line, err)) != PN_OK) break;
        (*rows)++;
    }
    bufFree(&b);
    return rc;
}

/* ---- JSON -------------------------------------------------------------- */

/* The line of every object in each top-level array, by a light scan of the
 * text (jansson keeps no positions).  lines[k] is a malloc'd array for
 * kindList[k] (or NULL), counts in n[k]. */
typedef struct JsonLines {
    int *lines[NKINDS];
    int n[NKINDS], cap[NKINDS];
} JsonLines;

static void jsonLinesFree(JsonLines *j) {
    for (int k = 0; k < NKINDS; k++)
        free(j->lines[k]);
}

static void jsonScan(const char *s, JsonLines *j) {
    int depth = 0, line = 1, kind = -1;
    const char *keyStart = NULL;
    char key[32] = "";
    for (; *s; s++) {
        if (*s == '\n') line++;
        if (*s == '"') {
            const char *q = ++s;
            while (*s && *s != '"') {
                if (*s == '\\' && s[1]) s++;
                s++;
            }
            if (!*s) return;
            if (depth == 1) {
                keyStart = q;
                size_t len = (size_t)(s - q) < sizeof(key) - 1 ? (size_t)(s - q) : sizeof(key) - 1;
                memcpy(key, keyStart, len);
                key[len] = '\0';
            }
            continue;
        }
        if (*s == ':' && depth == 1) {
            kind = -1;
            for (int k = 0; k < NKINDS; k++)
                if (strcmp(kindList[k].name, key) == 0) kind = k;
        } else if (*s == '{' || *s == '[') {
            depth++;
            if (*s == '{' && depth == 3 && kind >= 0) {
                if (j->n[kind] == j->cap[kind]) {
                    int cap = j->cap[kind] ? j->cap[kind] * 2 : 64;
                    int *nl = realloc(j->lines[kind], sizeof(int) * (size_t)cap);
                    if (!nl) return; /* lines unknown past here: reported as 0 */
                    j->lines[kind] = nl;
                    j->cap[kind] = cap;
                }
                j->lines[kind][j->n[kind]++] = line;
            }
        } else if (*s == '}' || *s == ']') {
            depth--;
        }
    }
}

/* One JSON member value as text into dst ("" for null or absent). */
static int jsonText(json_t *x, char *dst, size_t cap) {
    if (!x || json_is_null(x))
        dst[0] = '\0';
    else if (json_is_string(x))
        return strCopy(dst, cap, json_string_value(x));
    else if (json_is_integer(x))
        snprintf(dst, cap, "%lld", (long long)json_integer_value(x));
    else if (json_is_real(x))
        snprintf(dst, cap, "%.15g", json_real_value(x));
    else if (json_is_boolean(x))
        snprintf(dst, cap, "%d", json_is_true(x) ? 1 : 0);
    else
        return -1;
    return 0;
}

static int importJsonKind(Plan *p, const Kind *k, json_t *arr, const JsonLines *jl, int ki,
                          const char *path, int *rows, pnError *err) {
    static const size_t cap = 4096;
    char *store = malloc(cap * IO_MAX_FIELDS);
    if (!store) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    char *v[IO_MAX_FIELDS];
    int rc = PN_OK;
    size_t idx;
    json_t *o;
    json_array_foreach(arr, idx, o) {
        int line = idx < (size_t)jl->n[ki] ? jl->lines[ki][idx] : 0;
        if (!json_is_object(o)) {
            rc = pnErrorSet(err, PN_EINVAL, "%s:%d: %s[%zu] is not an object", path, line, k->name,
                            idx);
            break;
        }
        const char *member;
        json_t *val;
        json_object_foreach(o, member, val) {
            int known = 0;
            for (int i = 0; i < k->nf; i++)
                known |= strcmp(member, k->f[i].name) == 0;
            if (!known) {
                rc = pnErrorSet(err, PN_EINVAL, "%s:%d: field '%s': not a field of %s (%s)", path,
                                line, member, k->name, k->header);
                break;
            }
        }
        for (int i = 0; rc == PN_OK && i < k->nf; i++) {
            v[i] = store + cap * (size_t)i;
            if (jsonText(json_object_get(o, k->f[i].name), v[i], cap) != 0)
                rc = pnErrorSet(err, PN_EINVAL,
                                "%s:%d: field '%s': not a string or number, or too long", path,
                                line, k->f[i].name);
        }
        if (rc == PN_OK) rc = importRecord(p, k, v, path, line, err);
        if (rc != PN_OK) break;
        (*rows)++;
    }
    free(store);
    return rc;
}

static int importJson(Plan *p, const char *path, const char *text, int *rows, pnError *err) {
    json_error_t je;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!root) return pnErrorSet(err, PN_EINVAL, "%s:%d: %s", path, je.line, je.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return pnErrorSet(err, PN_EINVAL, "%s:1: not a JSON object", path);
    }
    const char *member;
    json_t *val;
    json_object_foreach(root, member, val) {
        if (strcmp(member, "sources") && strcmp(member, "note") && !findKind(member)) {
            /* the message first: member belongs to root */
            pnErrorSet(err, PN_EINVAL, "%s: unknown member '%s' (not a kind)", path, member);
            json_decref(root);
            return PN_EINVAL;
        }
    }
    JsonLines jl;
    memset(&jl, 0, sizeof(jl));
    jsonScan(text, &jl);
    int rc = PN_OK;
    for (int k = 0; rc == PN_OK && k < NKINDS; k++) { /* kinds in dependency order */
        json_t *arr = json_object_get(root, kindList[k].name);
        if (!arr) continue;
        if (!json_is_array(arr))
            rc = pnErrorSet(err, PN_EINVAL, "%s: '%s' is not an array", path, kindList[k].name);
        else
            rc = importJsonKind(p, &kindList[k], arr, &jl, k, path, rows, err);
    }
    jsonLinesFree(&jl);
    json_decref(root);
    return rc;
}

/* ---- import ------------------------------------------------------------ */

/* Queue notifications for every exercise that requires one. */
static int notifyAll(Plan *p, pnError *err) {
    sqlite3_stmt *s = planPrepare(p, "SELECT code FROM exercises ORDER BY start, code", err);
    if (!s) return PN_EIO;
    int rc = PN_OK, step;
    char code[32];
    while (rc == PN_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
        planColText(s, 0, code, sizeof(code));
        rc = planExerciseNotify(p, code, NULL, err);
    }
    sqlite3_finalize(s);
    return rc;
}

static int endsWith(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strEqualNoCase(s + n - m, suffix);
}

int planImportable(const char *path) {
    return endsWith(path, ".json") || endsWith(path, ".csv");
}

int planImportText(Plan *p, const char *name, const char *text, int *rows, pnError *err) {
    int n = 0;
    if (rows) *rows = 0;
    if (!endsWith(name, ".json") && !endsWith(name, ".csv"))
        return pnErrorSet(err, PN_EINVAL, "%s: not a .json or .csv file", name);
    int rc = planBegin(p, err);
    if (rc != PN_OK) return rc;
    rc = endsWith(name, ".json") ? importJson(p, name, text, &n, err)
                                 : importCsv(p, name, text, &n, err);
    if (rc == PN_OK) rc = notifyAll(p, err);
    int end = planEnd(p, rc == PN_OK, err);
    if (rc == PN_OK) rc = end;
    if (rows) *rows = rc == PN_OK ? n : 0;
    return rc;
}

int planImportFile(Plan *p, const char *path, int *rows, pnError *err) {
    if (rows) *rows = 0;
    char *text = NULL;
    size_t len;
    int fr = fileRead(path, IO_MAX_FILE, &text, &len);
    if (fr == -2) return pnErrorSet(err, PN_ELIMIT, "%s: larger than %u bytes", path, IO_MAX_FILE);
    if (fr != 0) return pnErrorSet(err, PN_EIO, "%s: %s", path, strerror(errno));
    if (strlen(text) != len) {
        free(text);
        return pnErrorSet(err, PN_EINVAL, "%s: holds a NUL byte", path);
    }
    int rc = planImportText(p, path, text, rows, err);
    free(text);
    return rc;
}

/* ---- export ------------------------------------------------------------ */

static sqlite3_stmt *selectKind(Plan *p, const Kind *k, pnError *err) {
    char sql[512];
    int n = snprintf(sql, sizeof(sql), "SELECT ");
    for (int i = 0; i < k->nf; i++)
        n += snprintf(sql + n, sizeof(sql) - (size_t)n, "%s\"%s\"", i ? "," : "", k->f[i].name);
    snprintf(sql + n, sizeof(sql) - (size_t)n, " FROM %s ORDER BY %s", k->name, k->order);
    return planPrepare(p, sql, err);
}

static json_t *columnJson(sqlite3_stmt *s, int i, int type) {
    if (sqlite3_column_type(s, i) == SQLITE_NULL) return json_string("");
    switch (type) {
    case F_INT:
    case F_OPTINT:
        return json_integer(sqlite3_column_int64(s, i));
    case F_REAL:
        return json_real(sqlite3_column_double(s, i));
    case F_BOOL:
        return json_boolean(sqlite3_column_int(s, i));
    default:
        return json_string((const char *)sqlite3_column_text(s, i));
    }
}

char *planExportJson(Plan *p, pnError *err) {
    json_t *root = json_object();
    int rc = root ? PN_OK : pnErrorSet(err, PN_ENOMEM, "out of memory");
    for (int k = 0; rc == PN_OK && k < NKINDS; k++) {
        const Kind *kd = &kindList[k];
        sqlite3_stmt *s = selectKind(p, kd, err);
        if (!s) {
            rc = PN_EIO;
            break;
        }
        json_t *arr = json_array();
        int step;
        while (arr && (step = sqlite3_step(s)) == SQLITE_ROW) {
            json_t *o = json_object();
            for (int i = 0; o && i < kd->nf; i++)
                json_object_set_new(o, kd->f[i].name, columnJson(s, i, kd->f[i].type));
            json_array_append_new(arr, o);
        }
        if (arr && step != SQLITE_DONE) rc = planDbFail(p, err, "cannot export");
        sqlite3_finalize(s);
        if (!arr) rc = pnErrorSet(err, PN_ENOMEM, "out of memory");
        if (rc == PN_OK)
            json_object_set_new(root, kd->name, arr);
        else
            json_decref(arr);
    }
    char *text =
        rc == PN_OK
            ? json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))
            : NULL;
    json_decref(root);
    if (rc == PN_OK && !text) pnErrorSet(err, PN_ENOMEM, "out of memory");
    return text;
}

/* Append a CSV field, quoted when it holds a comma, quote or line break
 * or starts with '#' (which would read back as a comment). */
static void csvField(pnBuf *b, const char *s) {
    if (!strpbrk(s, ",\"\r\n") && s[0] != '#') {
        bufPuts(b, s);
        return;
    }
    bufPuts(b, "\"");
    for (; *s; s++) {
        if (*s == '"')
            bufPuts(b, "\"\"");
        else
            bufAppend(b, s, 1);
    }
    bufPuts(b, "\"");
}

char *planExportCsv(Plan *p, const char *kind, pnError *err) {
    const Kind *k = findKind(kind);
    if (!k) {
        pnErrorSet(err, PN_EINVAL, "unknown kind '%s'", kind);
        return NULL;
    }
    sqlite3_stmt *s = selectKind(p, k, err);
    if (!s) return NULL;
    pnBuf b;
    bufInit(&b);
    bufPrintf(&b, "%s\n", k->header);
    int step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        for (int i = 0; i < k->nf; i++) {
            if (i) bufPuts(&b, ",");
            const char *t = (const char *)sqlite3_column_text(s, i);
            char num[64];
            if (k->f[i].type == F_REAL && t) {
                snprintf(num, sizeof(num), "%.15g", sqlite3_column_double(s, i));
                t = num;
            }
            csvField(&b, t ? t : "");
        }
        bufPuts(&b, "\n");
    }
    if (step != SQLITE_DONE) planDbFail(p, err, "cannot export");
    sqlite3_finalize(s);
    if (step != SQLITE_DONE || bufFailed(&b)) {
        if (step == SQLITE_DONE) pnErrorSet(err, PN_ENOMEM, "out of memory");
        bufFree(&b);
        return NULL;
    }
    char *out = bufDetach(&b);
    if (!out) pnErrorSet(err, PN_ENOMEM, "out of memory");
    return out;
}
