/*
 * leak.c -- the leak test's client: many principals subscribe to '#', one
 * publisher sends labelled messages, and every delivery is checked against
 * a reference decision computed here, independently of the server.
 *
 *   leak FACTS --matrix
 *       print the reference decisions, one line per principal:
 *       "NAME 0101..." (one digit per label, in FACTS order)
 *   leak FACTS HOST PORT MESSAGES SEED
 *       run the test; prints one "sub ..." line per subscriber and a final
 *       "total ..." line; exits 0 when there are no leaks, no misses, no
 *       wrong labels and every publish was acknowledged with success.
 *
 * FACTS is a tab-separated file written by leak.sh from the registry CLI:
 *   G  ID  KIND  ACTIVE  MEMBERS      a framework (KIND f) or community (c)
 *                                      with its members today (space-separated)
 *   A  NATION  0|1                     a security agreement with NATO today
 *   P  NAME  PASSWORD  NATION  CLR  CAVEATS  COIS
 *                                      a subscriber; CLR 0 (NU) .. 4 (CTS);
 *                                      CAVEATS and COIS space-separated or "-"
 *   U  NAME  PASSWORD                  the publisher
 *   L  DISPLAY  CANONICAL              a label as published / as forwarded
 *
 * The reference follows the rules in src/policy/decide.h, written again from
 * the rules rather than calling decide(): clearance >= classification; every
 * caveat held; an alliance (NATO) member passes releasability, anyone else
 * needs a REL TO value naming its nation, a framework or community its nation
 * is in today, or a community assigned to the principal; above NATO
 * UNCLASSIFIED a non-member also needs a security agreement.  leak.sh checks
 * this reference against `partnernet decide` on a sample of pairs.
 *
 * One thread drives every client with poll() over the libmosquitto sockets.
 * Flow window: the publisher stays at most WINDOW messages ahead of the
 * oldest message some subscriber is still owed, and has at most WINDOW
 * publishes unacknowledged.  After the last publish is acknowledged, a
 * sentinel releasable to every subscriber closes the run: deliveries are in
 * order, so once a subscriber has the sentinel it has everything before it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/mqclient.h"

#define MAXP 64
#define MAXL 512
#define MAXG 32
#define WINDOW 1000
#define MAGIC 0x4c45414bu /* "LEAK" */

typedef struct Group {
    char id[48];
    int community, active;
    char members[128][8];
    int n;
} Group;

typedef struct Sub {
    char name[64], password[128], nation[8];
    int clr;
    unsigned caveats;
    char cois[8][48];
    int ncois;
    int agreement;
    /* run state */
    struct mosquitto *m;
    int connected, subscribed, gotSentinel;
    uint8_t *allow;   /* per label */
    uint8_t *count;   /* per sequence number: deliveries (saturating) */
    uint64_t next;    /* first sequence number it may still be owed */
    uint64_t received, leaks, dups, badLabel, corrupt, allowed;
    char firstLeak[256];
} Sub;

typedef struct Label {
    char display[512], canonical[512];
    int cls;
    unsigned caveats;
    char rel[64][48];
    int nrel;
    mosquitto_property *props;
} Label;

static Group groups[MAXG];
static int ngroups;
static struct {
    char nation[8];
    int yes;
} agreements[MAXP];
static int nagreements;
static Sub subs[MAXP];
static int nsubs;
static char pubName[64], pubPassword[128];
static Label labels[MAXL];
static int nlabels;

static const char *classes[5] = {"NATO UNCLASSIFIED", "NATO RESTRICTED", "NATO CONFIDENTIAL", "NATO SECRET",
                                 "COSMIC TOP SECRET"};
static const char *restrictive[3] = {"ATOMAL", "CRYPTO", "BOHEMIA"};
static const char *informative[4] = {"STAFF", "MEDICAL", "EXERCISE", "COMMERCIAL"};

static void die(const char *fmt, const char *a) {
    fprintf(stderr, "leak: ");
    fprintf(stderr, fmt, a);
    fputc('\n', stderr);
    exit(2);
}

static unsigned caveatBit(const char *w) {
    for (int i = 0; i < 3; i++)
        if (strcmp(w, restrictive[i]) == 0) return 1u << i;
    return 0;
}

static unsigned caveatList(char *s) {
    unsigned m = 0;
    if (strcmp(s, "-") == 0) return 0;
    for (char *save, *w = strtok_r(s, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        unsigned b = caveatBit(w);
        if (!b) die("unknown caveat '%s'", w);
        m |= b;
    }
    return m;
}

/* A canonical display marking: CLASSIFICATION [WORDS...] [REL TO A, B, ...]. */
static void parseLabel(Label *l) {
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", l->canonical);
    l->cls = -1;
    for (int i = 0; i < 5; i++) {
        size_t n = strlen(classes[i]);
        if (strncmp(buf, classes[i], n) == 0 && (buf[n] == ' ' || !buf[n])) l->cls = i;
    }
    if (l->cls < 0) die("label '%s': unknown classification", l->canonical);
    char *rest = buf + strlen(classes[l->cls]);
    char words[512] = "";
    char *rel = strstr(rest, " REL TO ");
    if (rel) {
        *rel = '\0';
        rel += 8;
        /* Values are single words; informative markings follow the last one
         * ("... REL TO NATO, SWE EXERCISE"). */
        for (char *save, *v = strtok_r(rel, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
            while (*v == ' ') v++;
            char *sp = strchr(v, ' ');
            if (sp) {
                *sp = '\0';
                snprintf(words + strlen(words), sizeof(words) - strlen(words), " %s", sp + 1);
            }
            if (l->nrel < 64) snprintf(l->rel[l->nrel++], sizeof(l->rel[0]), "%s", v);
        }
    }
    snprintf(words + strlen(words), sizeof(words) - strlen(words), " %s", rest);
    for (char *save, *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        unsigned b = caveatBit(w);
        int known = b != 0;
        for (int i = 0; i < 4; i++) known |= strcmp(w, informative[i]) == 0;
        if (!known) die("label '%s': unknown marking word", l->canonical);
        l->caveats |= b;
    }
}

static Group *findGroup(const char *id) {
    for (int i = 0; i < ngroups; i++)
        if (strcmp(groups[i].id, id) == 0) return &groups[i];
    return NULL;
}

static int inGroup(const Group *g, const char *nation) {
    if (!g || !g->active) return 0;
    for (int i = 0; i < g->n; i++)
        if (strcmp(g->members[i], nation) == 0) return 1;
    return 0;
}

/* The reference decision. */
static int refAllow(const Sub *p, const Label *l) {
    if (p->clr < l->cls) return 0;
    if (l->caveats & ~p->caveats) return 0;
    if (inGroup(findGroup("NATO"), p->nation)) return 1;
    int releasable = 0;
    for (int i = 0; i < l->nrel && !releasable; i++) {
        const char *v = l->rel[i];
        if (strcmp(v, p->nation) == 0) releasable = 1;
        const Group *g = findGroup(v);
        if (!g) continue;
        if (inGroup(g, p->nation)) releasable = 1;
        for (int k = 0; k < p->ncois; k++)
            if (g->community && g->active && strcmp(p->cois[k], v) == 0) releasable = 1;
    }
    if (!releasable) return 0;
    return l->cls == 0 || p->agreement;
}

static void readFacts(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) die("cannot open '%s'", path);
    char line[8192];
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        char *field[8] = {0};
        int nf = 0;
        for (char *p = line; p && nf < 8;) {
            field[nf++] = p;
            p = strchr(p, '\t');
            if (p) *p++ = '\0';
        }
        if (nf == 0 || !field[0][0]) continue;
        if (field[0][0] == 'G' && nf >= 5) {
            if (ngroups == MAXG) die("%s", "too many groups");
            Group *g = &groups[ngroups++];
            snprintf(g->id, sizeof(g->id), "%s", field[1]);
            g->community = field[2][0] == 'c';
            g->active = field[3][0] == '1';
            for (char *save, *w = strtok_r(field[4], " ", &save); w && g->n < 128; w = strtok_r(NULL, " ", &save))
                snprintf(g->members[g->n++], 8, "%s", w);
        } else if (field[0][0] == 'A' && nf >= 3) {
            if (nagreements == MAXP) die("%s", "too many agreements");
            snprintf(agreements[nagreements].nation, 8, "%s", field[1]);
            agreements[nagreements++].yes = field[2][0] == '1';
        } else if (field[0][0] == 'P' && nf >= 7) {
            if (nsubs == MAXP) die("%s", "too many principals");
            Sub *s = &subs[nsubs++];
            snprintf(s->name, sizeof(s->name), "%s", field[1]);
            snprintf(s->password, sizeof(s->password), "%s", field[2]);
            snprintf(s->nation, sizeof(s->nation), "%s", field[3]);
            s->clr = atoi(field[4]);
            s->caveats = caveatList(field[5]);
            if (strcmp(field[6], "-") != 0)
                for (char *save, *w = strtok_r(field[6], " ", &save); w && s->ncois < 8;
                     w = strtok_r(NULL, " ", &save))
                    snprintf(s->cois[s->ncois++], 48, "%s", w);
        } else if (field[0][0] == 'U' && nf >= 3) {
            snprintf(pubName, sizeof(pubName), "%s", field[1]);
            snprintf(pubPassword, sizeof(pubPassword), "%s", field[2]);
        } else if (field[0][0] == 'L' && nf >= 3) {
            if (nlabels == MAXL) die("%s", "too many labels");
            Label *l = &labels[nlabels++];
            snprintf(l->display, sizeof(l->display), "%s", field[1]);
            snprintf(l->canonical, sizeof(l->canonical), "%s", field[2]);
            parseLabel(l);
        } else {
            die("bad facts line '%s'", line);
        }
    }
    fclose(f);
    for (int i = 0; i < nsubs; i++) {
        int found = 0;
        for (int k = 0; k < nagreements; k++)
            if (strcmp(agreements[k].nation, subs[i].nation) == 0) subs[i].agreement = agreements[k].yes, found = 1;
        if (!found) die("no agreement fact for %s", subs[i].nation);
    }
    if (!findGroup("NATO")) die("%s", "no NATO group in the facts");
    if (nlabels < 2 || nsubs < 1 || !pubName[0]) die("%s", "facts need labels, principals and a publisher");
}

/* ---- the run --------------------------------------------------------------- */

typedef struct Payload {
    uint32_t magic, seq, label, check;
} Payload;

static uint64_t nmsg, published, acked, refused, pubErrors;
static uint16_t *labelOf; /* per sequence number; the sentinel is number nmsg */
static int sentinel = -1; /* label index of the sentinel */
static struct mosquitto *pub;
static int pubConnected;
static int failed;
static char pubTag; /* the publisher's user pointer (libmosquitto replaces NULL with the client) */
#define IS_PUB(obj) ((obj) == (void *)&pubTag)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rngState;
static uint64_t rng(void) {
    rngState ^= rngState << 13;
    rngState ^= rngState >> 7;
    rngState ^= rngState << 17;
    return rngState;
}

static void onConnect(struct mosquitto *m, void *obj, int rc, int flags, const mosquitto_property *props) {
    (void)m, (void)flags, (void)props;
    if (rc != 0) {
        fprintf(stderr, "leak: connect refused for %s: %s\n", IS_PUB(obj) ? pubName : ((Sub *)obj)->name,
                mosquitto_reason_string(rc));
        failed = 1;
        return;
    }
    if (IS_PUB(obj)) pubConnected = 1;
    else ((Sub *)obj)->connected = 1;
}

static void onSubscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted,
                        const mosquitto_property *props) {
    (void)m, (void)mid, (void)props;
    Sub *s = obj;
    if (n != 1 || granted[0] != 1) {
        fprintf(stderr, "leak: %s: subscription not granted at QoS 1 (%d)\n", s->name, n ? granted[0] : -1);
        failed = 1;
    }
    s->subscribed = 1;
}

static void onMessage(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
                      const mosquitto_property *props) {
    (void)m;
    Sub *s = obj;
    Payload p;
    if (msg->payloadlen != (int)sizeof(p)) {
        s->corrupt++;
        return;
    }
    memcpy(&p, msg->payload, sizeof(p));
    if (p.magic != MAGIC || p.check != (p.seq * 2654435761u ^ p.label) || p.seq > nmsg || p.seq >= published ||
        p.label >= (uint32_t)nlabels || labelOf[p.seq] != p.label) {
        s->corrupt++;
        return;
    }
    /* The label the server forwards: exactly one 'label' user property,
     * equal to the canonical form. */
    int nlab = 0, good = 0;
    const mosquitto_property *it = props;
    char *name, *value;
    for (int first = 1;; first = 0) {
        it = mosquitto_property_read_string_pair(it, MQTT_PROP_USER_PROPERTY, &name, &value, !first);
        if (!it) break;
        if (strcmp(name, "label") == 0) {
            nlab++;
            good = strcmp(value, labels[p.label].canonical) == 0;
        }
        free(name);
        free(value);
    }
    if (nlab != 1 || !good) s->badLabel++;
    if (p.seq == nmsg) {
        s->gotSentinel = 1;
        return;
    }
    s->received++;
    if (s->count[p.seq] < 255) s->count[p.seq]++;
    if (s->count[p.seq] > 1) s->dups++;
    if (!s->allow[p.label]) {
        if (!s->leaks)
            snprintf(s->firstLeak, sizeof(s->firstLeak), "seq %u label '%s'", p.seq, labels[p.label].canonical);
        s->leaks++;
    }
}

static void onPublish(struct mosquitto *m, void *obj, int mid, int reason, const mosquitto_property *props) {
    (void)m, (void)obj, (void)mid, (void)props;
    acked++;
    if (reason != 0) {
        if (!refused) fprintf(stderr, "leak: publish refused with reason 0x%02x\n", reason);
        refused++;
    }
}

static struct mosquitto *client(const char *id, const char *user, const char *password, void *obj) {
    static const MqCallbacks cb = {.onConnect = onConnect, .onSubscribe = onSubscribe,
                                   .onMessage = onMessage, .onPublish = onPublish};
    struct mosquitto *m = mqClientNew(id, 1, obj, WINDOW, user, password, &cb);
    if (!m) die("%s", "mosquitto_new failed");
    return m;
}

/* One poll over every client; read everything that is there, write what waits. */
static void pump(int timeoutMs) {
    struct mosquitto *ms[MAXP + 1];
    for (int i = 0; i < nsubs; i++) ms[i] = subs[i].m;
    ms[nsubs] = pub;
    int rc = mqPump(ms, nsubs + 1, (int64_t)timeoutMs * 1000000);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "leak: connection lost: %s\n", mosquitto_strerror(rc));
        failed = 1;
    }
}

static void misc(void) {
    static double last;
    double t = now();
    if (t - last < 1) return;
    last = t;
    for (int i = 0; i < nsubs; i++) mosquitto_loop_misc(subs[i].m);
    if (pub) mosquitto_loop_misc(pub);
}

/* Can the publisher send message `published` without running more than
 * WINDOW ahead of a subscriber? */
static int windowOpen(void) {
    if (published - acked >= WINDOW) return 0;
    for (int i = 0; i < nsubs; i++) {
        Sub *s = &subs[i];
        while (s->next < published && (!s->allow[labelOf[s->next]] || s->count[s->next])) s->next++;
        if (published - s->next >= WINDOW) return 0;
    }
    return 1;
}

static int publishOne(uint64_t seq) {
    Payload p = {MAGIC, (uint32_t)seq, labelOf[seq], 0};
    p.check = p.seq * 2654435761u ^ p.label;
    char topic[64];
    snprintf(topic, sizeof(topic), "leak/%u/%u", (unsigned)(seq % 7), (unsigned)(seq % 3));
    int rc = mosquitto_publish_v5(pub, NULL, topic, sizeof(p), &p, 1, false, labels[labelOf[seq]].props);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "leak: publish %llu: %s\n", (unsigned long long)seq, mosquitto_strerror(rc));
        pubErrors++;
        return -1;
    }
    published++;
    return 0;
}

static int waitFor(int (*cond)(void), double seconds) {
    double end = now() + seconds;
    while (!cond() && !failed) {
        if (now() > end) return 0;
        pump(10);
        misc();
    }
    return !failed;
}

static int allConnected(void) {
    for (int i = 0; i < nsubs; i++)
        if (!subs[i].connected) return 0;
    return 1;
}
static int allSubscribed(void) {
    for (int i = 0; i < nsubs; i++)
        if (!subs[i].subscribed) return 0;
    return 1;
}
static int pubUp(void) { return pubConnected; }
static int allAcked(void) { return acked == published; }
static int allSentinel(void) {
    for (int i = 0; i < nsubs; i++)
        if (!subs[i].gotSentinel) return 0;
    return 1;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[2], "--matrix") == 0) {
        readFacts(argv[1]);
        for (int i = 0; i < nsubs; i++) {
            printf("%s ", subs[i].name);
            for (int k = 0; k < nlabels; k++) putchar(refAllow(&subs[i], &labels[k]) ? '1' : '0');
            putchar('\n');
        }
        return 0;
    }
    if (argc != 6) {
        fprintf(stderr, "usage: leak FACTS --matrix | leak FACTS HOST PORT MESSAGES SEED\n");
        return 2;
    }
    readFacts(argv[1]);
    const char *host = argv[2];
    int port = atoi(argv[3]);
    nmsg = strtoull(argv[4], NULL, 10);
    rngState = strtoull(argv[5], NULL, 10) * 0x9E3779B97F4A7C15ull | 1;

    /* The sentinel: the one label every subscriber is allowed. */
    for (int k = 0; k < nlabels && sentinel < 0; k++) {
        int all = 1;
        for (int i = 0; i < nsubs; i++) all &= refAllow(&subs[i], &labels[k]);
        if (all) sentinel = k;
    }
    if (sentinel < 0) die("%s", "no label in the facts is releasable to every subscriber (needed for the sentinel)");

    labelOf = malloc((nmsg + 1) * sizeof(*labelOf));
    for (uint64_t i = 0; i < nmsg; i++) labelOf[i] = (uint16_t)(rng() % (uint64_t)nlabels);
    labelOf[nmsg] = (uint16_t)sentinel;
    for (int k = 0; k < nlabels; k++)
        if (mosquitto_property_add_string_pair(&labels[k].props, MQTT_PROP_USER_PROPERTY, "label",
                                               labels[k].display) != MOSQ_ERR_SUCCESS)
            die("%s", "cannot build properties");

    mosquitto_lib_init();
    for (int i = 0; i < nsubs; i++) {
        Sub *s = &subs[i];
        s->allow = malloc((size_t)nlabels);
        for (int k = 0; k < nlabels; k++) s->allow[k] = (uint8_t)refAllow(s, &labels[k]);
        s->count = calloc(nmsg + 1, 1);
        for (uint64_t q = 0; q < nmsg; q++) s->allowed += s->allow[labelOf[q]];
        char id[96];
        if (snprintf(id, sizeof(id), "leak-%s", s->name) >= (int)sizeof(id))
            die("principal name %s too long for a client id", s->name);
        s->m = client(id, s->name, s->password, s);
        if (mosquitto_connect(s->m, host, port, 60) != MOSQ_ERR_SUCCESS) die("cannot connect as %s", s->name);
    }
    if (!waitFor(allConnected, 60)) die("%s", "subscribers did not all connect");
    for (int i = 0; i < nsubs; i++)
        if (mosquitto_subscribe_v5(subs[i].m, NULL, "#", 1, 0, NULL) != MOSQ_ERR_SUCCESS)
            die("cannot subscribe as %s", subs[i].name);
    if (!waitFor(allSubscribed, 30)) die("%s", "subscriptions not all acknowledged");
    pub = client("leak-publisher", pubName, pubPassword, &pubTag);
    if (mosquitto_connect(pub, host, port, 60) != MOSQ_ERR_SUCCESS) die("%s", "publisher cannot connect");
    if (!waitFor(pubUp, 30)) die("%s", "publisher did not connect");

    double t0 = now(), lastProgress = now();
    uint64_t lastAcked = 0;
    while (published < nmsg && !failed) {
        int sent = 0;
        while (published < nmsg && sent < 256 && windowOpen()) {
            if (publishOne(published) != 0) break;
            sent++;
        }
        if (pubErrors) break;
        pump(sent ? 0 : 5);
        misc();
        if (acked != lastAcked) lastAcked = acked, lastProgress = now();
        if (now() - lastProgress > 20) {
            fprintf(stderr, "leak: stalled at %llu published, %llu acknowledged\n", (unsigned long long)published,
                    (unsigned long long)acked);
            failed = 1;
        }
    }
    int acksOk = waitFor(allAcked, 30);
    double tPub = now() - t0;
    if (acksOk && !failed) publishOne(nmsg);
    int sentinelOk = !failed && waitFor(allSentinel, 60);
    for (int i = 0; i < 20; i++) pump(10); /* anything still in flight counts too */
    double tAll = now() - t0;

    uint64_t leaks = 0, misses = 0, dups = 0, bad = 0, corrupt = 0, deliveries = 0, allowedTotal = 0;
    for (int i = 0; i < nsubs; i++) {
        Sub *s = &subs[i];
        uint64_t miss = 0;
        for (uint64_t q = 0; q < nmsg; q++)
            if (s->allow[labelOf[q]] && !s->count[q]) miss++;
        printf("sub %-6s %s clr %d: allowed %llu received %llu leaks %llu misses %llu dups %llu badlabel %llu "
               "corrupt %llu%s%s%s\n",
               s->name, s->nation, s->clr, (unsigned long long)s->allowed, (unsigned long long)s->received,
               (unsigned long long)s->leaks, (unsigned long long)miss, (unsigned long long)s->dups,
               (unsigned long long)s->badLabel, (unsigned long long)s->corrupt, s->gotSentinel ? "" : " NO-SENTINEL",
               s->leaks ? "; first leak: " : "", s->firstLeak);
        leaks += s->leaks, misses += miss, dups += s->dups, bad += s->badLabel, corrupt += s->corrupt;
        deliveries += s->received, allowedTotal += s->allowed;
    }
    printf("total subscribers %d labels %d messages %llu published %llu acked %llu refused %llu deliveries %llu "
           "allowed %llu leaks %llu misses %llu dups %llu badlabel %llu corrupt %llu sentinel %s publish_s %.1f "
           "total_s %.1f\n",
           nsubs, nlabels, (unsigned long long)nmsg, (unsigned long long)published, (unsigned long long)acked,
           (unsigned long long)refused, (unsigned long long)deliveries, (unsigned long long)allowedTotal,
           (unsigned long long)leaks, (unsigned long long)misses, (unsigned long long)dups, (unsigned long long)bad,
           (unsigned long long)corrupt, sentinelOk ? "ok" : "missing", tPub, tAll);
    for (int i = 0; i < nsubs; i++) {
        mosquitto_disconnect(subs[i].m);
        mosquitto_destroy(subs[i].m);
        free(subs[i].allow);
        free(subs[i].count);
    }
    mosquitto_disconnect(pub);
    mosquitto_destroy(pub);
    for (int k = 0; k < nlabels; k++) mosquitto_property_free_all(&labels[k].props);
    free(labelOf);
    mosquitto_lib_cleanup();
    int ok = !failed && acksOk && sentinelOk && published == nmsg + 1 && acked == published && !refused && !leaks &&
             !misses && !bad && !corrupt;
    return ok ? 0 : 1;
}
