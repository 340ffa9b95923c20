/*
 * cmd_serve.c -- `partnernet serve`: run a node.
 *
 * Settings come from an INI file (--config; see partnernet.conf.example)
 * and are overridden by flags.  Every setting has a default, so
 * `partnernet serve` alone runs a single node with its data in ./var.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "../core/date.h"
#include "../core/diag.h"
#include "../core/str.h"
#include "../http/http.h"
#include "../federation/link.h"
#include "../federation/peers.h"
#include "../mqtt/server.h"
#include "../node/tls.h"
#include "../plan/notify.h"
#include "../core/sign.h"
#include "cli.h"
#include "conf.h"

#define CONF_MAX 256
#define PEERS_MAX 32

typedef struct Conf {
    char *text; /* the file, cut into NUL-terminated keys and values */
    NodeOptions o;
    MqttServerOptions mo;
    HttpOptions ho;
    const char *requireCert;
    const char *logLevel; /* log_level, --log-level: a DiagLevel name */
    LinkOptions peers[PEERS_MAX];
    int npeers;
} Conf;

/* Every [node] key: the first NSTRING_KEYS take text, the rest numbers. */
#define NSTRING_KEYS 14
static const char *const nodeKeys[] = {"name",
                                       "data",
                                       "mqtt",
                                       "mqtts",
                                       "principals",
                                       "acl_file",
                                       "tls_cert",
                                       "tls_key",
                                       "tls_ca",
                                       "require_client_cert",
                                       "http",
                                       "https",
                                       "web",
                                       "log_level",
                                       "max_queued",
                                       "retained_max",
                                       "retained_max_bytes",
                                       "retained_per_principal",
                                       "retained_bytes_per_principal",
                                       "max_subscriptions",
                                       "max_sessions_per_principal",
                                       "session_expiry_311",
                                       "max_packet_size",
                                       "max_keepalive",
                                       "max_qos",
                                       "retain_available",
                                       "segment_bytes",
                                       "retain_bytes",
                                       "retain_seconds",
                                       "audit_burst",
                                       "audit_max_mb",
                                       "audit_retention_days",
                                       "connect_timeout",
                                       "max_connections",
                                       "max_unauthenticated",
                                       "max_unauthenticated_per_address",
                                       "fd_reserve",
                                       "max_connections_per_principal",
                                       "max_connect_size",
                                       "max_login_checks",
                                       "max_login_checks_per_address",
                                       "max_buffer_bytes",
                                       NULL};
static const char *const peerKeys[] = {
    "address",     "principal",      "password_file", "cert",    "key", "ca",
    "server_name", "peer_principal", "topics",        "origins", NULL};

static int keyIndex(const char *const *keys, const char *key) {
    for (int i = 0; keys[i]; i++)
        if (strcmp(keys[i], key) == 0) return i;
    return -1;
}

/* Report an unknown key, naming the nearest known one when it is close
 * enough to be a typo (a third of the key's length, at least 2 edits). */
static int unknownKey(const char *const *keys, const char *what, const char *key, int line,
                      const char *path) {
    Suggest sg;
    suggestInit(&sg, key, suggestTypoLimit(key, 2));
    for (int i = 0; keys[i]; i++)
        suggestOffer(&sg, keys[i], keys[i]);
    const char *best = suggestResult(&sg);
    if (best)
        return cliFail("serve", "%s:%d: unknown %ssetting '%s' (did you mean '%s'?)", path, line,
                       what, key, best);
    return cliFail("serve", "%s:%d: unknown %ssetting '%s'", path, line, what, key);
}

/* [peer NAME] address = / principal = / password_file = / cert, key, ca = / topics = /
 * origins = / peer_principal = */
static int peerKey(Conf *cf, const char *name, const char *key, char *val, int line,
                   const char *path) {
    LinkOptions *l = NULL;
    for (int i = 0; i < cf->npeers && !l; i++)
        if (strcmp(cf->peers[i].name, name) == 0) l = &cf->peers[i];
    if (!l) {
        if (cf->npeers >= PEERS_MAX)
            return cliFail("serve", "%s:%d: more than %d [peer] sections", path, line, PEERS_MAX);
        if (!*name) return cliFail("serve", "%s:%d: [peer] needs a name", path, line);
        l = &cf->peers[cf->npeers++];
        l->name = name;
    }
    if (strcmp(key, "topics") == 0 || strcmp(key, "origins") == 0) {
        int topics = key[0] == 't', *n = topics ? &l->ntopics : &l->norigins;
        const char **list = topics ? l->topics : l->origins;
        char *save = NULL;
        for (char *t = strtok_r(val, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (*n >= LINK_MAX_TOPICS)
                return cliFail("serve", "%s:%d: more than %d %s", path, line, LINK_MAX_TOPICS, key);
            list[(*n)++] = confTrim(t);
        }
        return CLI_OK;
    }
    const char **s = strcmp(key, "address") == 0          ? &l->address
                     : strcmp(key, "principal") == 0      ? &l->principal
                     : strcmp(key, "password_file") == 0  ? &l->passwordFile
                     : strcmp(key, "cert") == 0           ? &l->certFile
                     : strcmp(key, "key") == 0            ? &l->keyFile
                     : strcmp(key, "ca") == 0             ? &l->caFile
                     : strcmp(key, "server_name") == 0    ? &l->serverName
                     : strcmp(key, "peer_principal") == 0 ? &l->peerPrincipal
                                                          : NULL;
    if (!s) return unknownKey(peerKeys, "[peer] ", key, line, path);
    *s = val;
    return CLI_OK;
}

/* The connection and buffer limits and their ranges (messages). */
static const char *limitRange(const char *key) {
    static const char *const keys[][2] = {{"connect_timeout", "1 to 3600 seconds"},
                                          {"max_connections", "at least 1"},
                                          {"max_unauthenticated", "at least 1"},
                                          {"max_unauthenticated_per_address", "at least 1"},
                                          {"fd_reserve", "1 to 65536"},
                                          {"max_connections_per_principal", "at least 1"},
                                          {"max_connect_size", "256 to 268435455"},
                                          {"max_login_checks", "1 to 65536"},
                                          {"max_login_checks_per_address", "1 to 65536"},
                                          {"max_buffer_bytes", "at least 1048576"},
                                          {"max_keepalive", "0 to 65535"},
                                          {"max_qos", "0 to 2"},
                                          {"retain_available", "0 or 1"}};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (strcmp(key, keys[i][0]) == 0) return keys[i][1];
    return NULL;
}

static int limitKey(const char *key) {
    return limitRange(key) != NULL;
}

static int setKey(Conf *cf, const char *section, const char *key, char *val, int line,
                  const char *path) {
    NodeOptions *o = &cf->o;
    MqttServerOptions *mo = &cf->mo;
    if (strncmp(section, "topic ", 6) == 0) {
        if (strcmp(key, "label") != 0)
            return cliFail("serve", "%s:%d: [topic] sections take only 'label'", path, line);
        if (o->ntopics >= NODE_MAX_TOPIC_LABELS)
            return cliFail("serve", "%s:%d: too many [topic] sections", path, line);
        o->topicFilter[o->ntopics] = confTrim((char *)section + 6);
        o->topicLabel[o->ntopics++] = val;
        return CLI_OK;
    }
    if (strncmp(section, "peer ", 5) == 0)
        return peerKey(cf, confTrim((char *)section + 5), key, val, line, path);
    if (strcmp(section, "client") == 0) /* for pub and sub (conf.h), not the node */
        return keyIndex(confClientKeys, key) >= 0
                   ? CLI_OK
                   : unknownKey(confClientKeys, "[client] ", key, line, path);
    if (strcmp(section, "trust") == 0) {
        if (strcmp(key, "keys") != 0)
            return cliFail("serve", "%s:%d: [trust] takes only 'keys = FILE'", path, line);
        o->trustFile = val;
        return CLI_OK;
    }
    if (strcmp(section, "node") != 0)
        return cliFail("serve", "%s:%d: unknown section [%s]", path, line, section);
    const char **s = strcmp(key, "name") == 0                  ? &o->name
                     : strcmp(key, "data") == 0                ? &o->dataDir
                     : strcmp(key, "mqtt") == 0                ? &mo->mqttAddr
                     : strcmp(key, "mqtts") == 0               ? &mo->mqttsAddr
                     : strcmp(key, "principals") == 0          ? &o->principalsFile
                     : strcmp(key, "acl_file") == 0            ? &o->aclFile
                     : strcmp(key, "tls_cert") == 0            ? &mo->certFile
                     : strcmp(key, "tls_key") == 0             ? &mo->keyFile
                     : strcmp(key, "tls_ca") == 0              ? &mo->caFile
                     : strcmp(key, "require_client_cert") == 0 ? &cf->requireCert
                     : strcmp(key, "http") == 0                ? &cf->ho.httpAddr
                     : strcmp(key, "https") == 0               ? &cf->ho.httpsAddr
                     : strcmp(key, "web") == 0                 ? &cf->ho.webDir
                     : strcmp(key, "log_level") == 0           ? &cf->logLevel
                                                               : NULL;
    if (s) {
        *s = val;
        return CLI_OK;
    }
    /* The key first: a typo is not a value that "needs a number". */
    if (keyIndex(nodeKeys, key) < NSTRING_KEYS) return unknownKey(nodeKeys, "", key, line, path);
    char *end;
    unsigned long long n = strtoull(val, &end, 10);
    if (*end || !*val) return cliFail("serve", "%s:%d: '%s' needs a number", path, line, key);
    int limit = strcmp(key, "max_subscriptions") == 0 ||
                strcmp(key, "max_sessions_per_principal") == 0 ||
                strcmp(key, "session_expiry_311") == 0;
    if (limit && (n < 1 || n > UINT32_MAX))
        return cliFail("serve", "%s:%d: '%s' must be 1 to %lu", path, line, key,
                       (unsigned long)UINT32_MAX);
    if (strcmp(key, "max_queued") == 0)
        o->maxQueued = (uint32_t)n;
    else if (strcmp(key, "retained_max") == 0)
        o->retained.maxCount = n;
    else if (strcmp(key, "retained_max_bytes") == 0)
        o->retained.maxBytes = n;
    else if (strcmp(key, "retained_per_principal") == 0)
        o->retained.maxCountPerPrincipal = n;
    else if (strcmp(key, "retained_bytes_per_principal") == 0)
        o->retained.maxBytesPerPrincipal = n;
    else if (strcmp(key, "max_subscriptions") == 0)
        o->maxSubscriptions = (uint32_t)n;
    else if (strcmp(key, "max_sessions_per_principal") == 0)
        o->maxSessionsPerPrincipal = (uint32_t)n;
    else if (strcmp(key, "session_expiry_311") == 0)
        mo->sessionExpiry311 = (uint32_t)n;
    else if (strcmp(key, "max_packet_size") == 0)
        mo->maxPacketSize = (uint32_t)n;
    else if (strcmp(key, "max_keepalive") == 0 && n <= 65535)
        mo->maxKeepAlive = (uint16_t)n;
    else if (strcmp(key, "max_qos") == 0 && n <= 2)
        mo->maxQosSet = 1, mo->maxQos = (int)n;
    else if (strcmp(key, "retain_available") == 0 && n <= 1)
        mo->noRetain = n == 0;
    else if (strcmp(key, "segment_bytes") == 0)
        o->log.segmentBytes = n;
    else if (strcmp(key, "retain_bytes") == 0)
        o->log.retainBytes = n;
    else if (strcmp(key, "retain_seconds") == 0)
        o->log.retainSeconds = (int64_t)n;
    else if (strcmp(key, "audit_burst") == 0 && n > 0 && n <= 1000000)
        o->audit.burst = (int)n;
    else if (strcmp(key, "audit_max_mb") == 0 && n > 0 && n <= (1ull << 30))
        o->audit.maxBytes = (int64_t)n << 20;
    else if (strcmp(key, "audit_retention_days") == 0 && n > 0 && n <= 100000)
        o->audit.retentionSecs = (int64_t)n * 86400;
    else if (strncmp(key, "audit_", 6) == 0 &&
             (strcmp(key + 6, "burst") == 0 || strcmp(key + 6, "max_mb") == 0 ||
              strcmp(key + 6, "retention_days") == 0))
        return cliFail("serve",
                       "%s:%d: '%s' must be a positive number (burst up to 1000000, "
                       "max_mb up to 2^30, retention_days up to 100000)",
                       path, line, key);
    else if (strcmp(key, "connect_timeout") == 0 && n > 0 && n <= 3600)
        mo->connectTimeout = (uint32_t)n;
    else if (strcmp(key, "max_connections") == 0 && n > 0 && n <= UINT32_MAX)
        o->limits.maxConnections = (uint32_t)n;
    else if (strcmp(key, "max_unauthenticated") == 0 && n > 0 && n <= UINT32_MAX)
        o->limits.maxUnauthenticated = (uint32_t)n;
    else if (strcmp(key, "max_unauthenticated_per_address") == 0 && n > 0 && n <= UINT32_MAX)
        o->limits.maxUnauthPerAddress = (uint32_t)n;
    else if (strcmp(key, "fd_reserve") == 0 && n > 0 && n <= 65536)
        o->limits.fdReserve = (uint32_t)n;
    else if (strcmp(key, "max_connections_per_principal") == 0 && n > 0 && n <= UINT32_MAX)
        o->limits.maxPerPrincipal = (uint32_t)n;
    else if (strcmp(key, "max_connect_size") == 0 && n >= 256 && n <= 268435455)
        mo->maxConnectSize = (uint32_t)n;
    else if (strcmp(key, "max_login_checks") == 0 && n > 0 && n <= 65536)
        mo->maxLoginChecks = (uint32_t)n;
    else if (strcmp(key, "max_login_checks_per_address") == 0 && n > 0 && n <= 65536)
        mo->maxLoginChecksPerAddress = (uint32_t)n;
    else if (strcmp(key, "max_buffer_bytes") == 0 && n >= (1u << 20))
        o->maxBufferBytes = n;
    else if (limitKey(key))
        return cliFail("serve", "%s:%d: '%s' is out of range (%s)", path, line, key,
                       limitRange(key));
    else
        return unknownKey(nodeKeys, "", key, line, path);
    return CLI_OK;
}

static int confLine(void *cf, const char *section, const char *key, char *val, int line,
                    const char *path) {
    return setKey(cf, section, key, val, line, path);
}

/* Parse the INI file into cf (values point into cf->text). */
static int confLoad(Conf *cf, const char *path) {
    return confRead("serve", path, &cf->text, confLine, cf);
}

/* SIGHUP: load registry and policy into the spare slot, then swap.  The
 * previous pair is freed only at the next reload, after the server has
 * rebound everything to the current one. */
typedef struct Reloader {
    Cli *cli;
    Registry reg[2];
    Spif spif[2];
    int cur; /* -1: still the Cli's own */
} Reloader;

static int reloadData(void *ctx, const Registry **reg, const Spif **spif, pnError *err) {
    Reloader *rl = ctx;
    int next = rl->cur == 0 ? 1 : 0;
    registryFree(&rl->reg[next]);
    spifFree(&rl->spif[next]);
    registryInit(&rl->reg[next]);
    spifInit(&rl->spif[next]);
    int rc = registryLoadDir(&rl->reg[next], rl->cli->registryDir, err);
    if (rc == PN_OK) rc = spifLoadFile(&rl->spif[next], rl->cli->policyFile, err);
    if (rc == PN_OK) rc = spifBindRegistry(&rl->spif[next], &rl->reg[next], err);
    if (rc != PN_OK) return rc;
    rl->cur = next;
    *reg = &rl->reg[next];
    *spif = &rl->spif[next];
    return PN_OK;
}

/* ---- HTTP front-end (src/http) ------------------------------------------- */

#define HTTP_DEFAULT "127.0.0.1:8080"
#define HTTPS_DEFAULT "127.0.0.1:8443"

/* Defaults for the HTTP options; *implicit says which addresses were not
 * asked for (a busy default port then leaves HTTP off, with a warning). */
static void httpDefaults(Conf *cf, int implicit[2]) {
    HttpOptions *ho = &cf->ho;
    implicit[0] = !ho->httpAddr;
    implicit[1] = !ho->httpsAddr;
    if (!ho->httpAddr) ho->httpAddr = HTTP_DEFAULT;
    if (!ho->httpsAddr) ho->httpsAddr = cf->mo.certFile ? HTTPS_DEFAULT : "";
    if (strcmp(ho->httpAddr, "off") == 0) ho->httpAddr = "";
    if (strcmp(ho->httpsAddr, "off") == 0) ho->httpsAddr = "";
    ho->certFile = cf->mo.certFile;
    ho->keyFile = cf->mo.keyFile;
    ho->caFile = cf->mo.caFile;
    ho->requireClientCert = 0; /* HTTPS takes bearer tokens from clients without certificates */
    static char web[4200];
    if (!ho->webDir) {
        struct stat st;
        snprintf(web, sizeof(web), "%s/web", PN_DATADIR);
        ho->webDir = stat("web", &st) == 0 && S_ISDIR(st.st_mode) ? "web"
                     : stat(web, &st) == 0 && S_ISDIR(st.st_mode) ? web
                                                                  : "";
    }
}

/* *failed: a server whose default listener was busy; its closing handle
 * belongs to the loop, so it is freed only after nodeClose. */
static int startHttp(Conf *cf, Node *node, HttpServer **http, HttpServer **failed, pnError *err) {
    int implicit[2];
    httpDefaults(cf, implicit);
    int rc = httpServerStart(http, node, &cf->ho, err);
    if (rc == PN_OK || !(implicit[0] && implicit[1]) || !strstr(err->msg, "cannot listen"))
        return rc;
    fprintf(stderr, "partnernet: %s; HTTP off (set --http to insist)\n", err->msg);
    *failed = *http;
    cf->ho.httpAddr = cf->ho.httpsAddr = "";
    return httpServerStart(http, node, &cf->ho, err);
}

/* "off" and "" both turn a listener off: one spelling for every listener. */
static void listenerOff(const char **addr) {
    if (*addr && strcmp(*addr, "off") == 0) *addr = "";
}

/* A principals file named on purpose must exist: a typo in its path would
 * otherwise start a node nobody can log in to.  The default path may be
 * missing (the ready line then warns that there are no principals). */
static int checkPrincipalsFile(const char *path, int explicit) {
    struct stat st;
    if (!explicit || stat(path, &st) == 0) return CLI_OK;
    if (errno != ENOENT) return cliFail("serve", "principals file '%s': %s", path, strerror(errno));
    return cliFail("serve",
                   "principals file '%s' does not exist (create it with 'partnernet principal "
                   "add', or write {\"principals\": []} to it for a node nobody logs in to)",
                   path);
}

/* ---- serve --check ------------------------------------------------------ */

static int checkAddr(const char *what, const char *addr) {
    struct sockaddr_storage sa;
    pnError err = {0};
    if (!addr || !*addr) return CLI_OK;
    if (nodeParseAddr(addr, &sa, &err) != PN_OK) return cliFail("serve", "%s: %s", what, err.msg);
    return CLI_OK;
}

static int checkReadable(const char *what, const char *path) {
    if (!path || access(path, R_OK) == 0) return CLI_OK;
    return cliFail("serve", "%s '%s': %s", what, path, strerror(errno));
}

/* The certificate and key load and match, as each TLS listener will load
 * them (MQTTS demands client certificates as configured, HTTPS never). */
static int checkTls(Conf *cf) {
    MqttServerOptions *mo = &cf->mo;
    int on[2] = {mo->mqttsAddr && *mo->mqttsAddr, cf->ho.httpsAddr && *cf->ho.httpsAddr};
    int require[2] = {mo->requireClientCert, 0};
    if (checkReadable("tls_cert", mo->certFile) != CLI_OK ||
        checkReadable("tls_key", mo->keyFile) != CLI_OK ||
        checkReadable("tls_ca", mo->caFile) != CLI_OK)
        return CLI_USAGE;
    for (int k = 0; k < 2; k++) {
        if (!on[k]) continue;
        SSL_CTX *ctx = NULL;
        pnError err = {0};
        int rc = tlsServerContext(&ctx, mo->certFile, mo->keyFile, mo->caFile, require[k], &err);
        SSL_CTX_free(ctx);
        if (rc != PN_OK) return cliFail("serve", "%s: %s", k ? "https" : "mqtts", err.msg);
    }
    return CLI_OK;
}

/* What linkStart checks before it needs a running node, and that the
 * credential files it names can be read. */
static int checkPeer(const LinkOptions *l) {
    pnError err = {0};
    if (linkCheckOptions(l, &err) != PN_OK) return cliFail("serve", "%s", err.msg);
    if (checkReadable("password_file", l->passwordFile) != CLI_OK ||
        checkReadable("cert", l->certFile) != CLI_OK ||
        checkReadable("key", l->keyFile) != CLI_OK || checkReadable("ca", l->caFile) != CLI_OK)
        return CLI_USAGE;
    return CLI_OK;
}

/* The data directory, or the nearest existing parent that would hold it,
 * must be a writable directory. */
static int checkDataDir(const char *dir) {
    char path[4096];
    struct stat st;
    if (!dir[0]) return cliFail("serve", "the data directory is empty");
    if (strCopy(path, sizeof(path), dir) != 0)
        return cliFail("serve", "data directory '%s' is too long", dir);
    while (stat(path, &st) != 0) {
        char *slash = strrchr(path, '/');
        if (strcmp(path, ".") == 0 || strcmp(path, "/") == 0) /* gone working directory */
            return cliFail("serve", "data directory '%s': %s", dir, strerror(errno));
        if (!slash) {
            strcpy(path, ".");
            continue;
        }
        if (slash == path)
            slash[1] = '\0';
        else
            *slash = '\0';
    }
    if (!S_ISDIR(st.st_mode) || access(path, W_OK | X_OK) != 0)
        return cliFail("serve", "data directory '%s' cannot be created or written ('%s' is %s)",
                       dir, path, S_ISDIR(st.st_mode) ? "not writable" : "not a directory");
    return CLI_OK;
}

static void showSetting(const char *key, const char *val) {
    printf("%s = %s\n", key, val && *val ? val : "off");
}

/* The effective settings after defaults and flags, as a config file. */
static void printSettings(const Conf *cf) {
    const NodeOptions *o = &cf->o;
    const MqttServerOptions *mo = &cf->mo;
    printf("[node]\nname = %s\ndata = %s\nprincipals = %s\n", o->name, o->dataDir,
           o->principalsFile);
    showSetting("mqtt", mo->mqttAddr);
    showSetting("mqtts", mo->mqttsAddr);
    showSetting("http", cf->ho.httpAddr);
    showSetting("https", cf->ho.httpsAddr);
    if (mo->certFile) printf("tls_cert = %s\ntls_key = %s\n", mo->certFile, mo->keyFile);
    if (mo->caFile) printf("tls_ca = %s\n", mo->caFile);
    printf("require_client_cert = %s\n", mo->requireClientCert ? "yes" : "no");
    if (o->aclFile) printf("acl_file = %s\n", o->aclFile);
    printf("log_level = %s\n", cf->logLevel ? cf->logLevel : "info");
    printf("max_queued = %u\n", o->maxQueued);
    for (int i = 0; i < o->ntopics; i++)
        printf("\n[topic %s]\nlabel = %s\n", o->topicFilter[i], o->topicLabel[i]);
    if (o->trustFile) printf("\n[trust]\nkeys = %s\n", o->trustFile);
    for (int i = 0; i < cf->npeers; i++)
        printf("\n[peer %s]\naddress = %s\nprincipal = %s\n", cf->peers[i].name,
               cf->peers[i].address, cf->peers[i].principal);
}

/* The trusted keys parse as the node will read them. */
static int checkTrust(const char *file) {
    if (!file) return CLI_OK;
    SignTrust t;
    pnError err = {0};
    signTrustInit(&t);
    int rc = signTrustLoad(&t, file, &err);
    signTrustFree(&t);
    return rc == PN_OK ? CLI_OK : cliFail("serve", "[trust] keys: %s", err.msg);
}

/* serve --check: everything serve would load, without opening the node. */
static int checkConfig(Conf *cf, Cli *cli) {
    int implicit[2];
    httpDefaults(cf, implicit);
    if (checkAddr("mqtt", cf->mo.mqttAddr) != CLI_OK ||
        checkAddr("mqtts", cf->mo.mqttsAddr) != CLI_OK ||
        checkAddr("http", cf->ho.httpAddr) != CLI_OK ||
        checkAddr("https", cf->ho.httpsAddr) != CLI_OK || checkTls(cf) != CLI_OK)
        return CLI_USAGE;
    for (int i = 0; i < cf->npeers; i++)
        if (checkPeer(&cf->peers[i]) != CLI_OK) return CLI_USAGE;
    if (checkReadable("acl_file", cf->o.aclFile) != CLI_OK) return CLI_USAGE;
    if (checkTrust(cf->o.trustFile) != CLI_OK) return CLI_USAGE;
    if (checkDataDir(cf->o.dataDir) != CLI_OK) return CLI_USAGE;
    if (cliLoad(cli) != CLI_OK) return CLI_USAGE; /* registry and policy */
    Principals ps;
    pnError err = {0};
    principalsInit(&ps);
    int rc = principalsLoad(&ps, cf->o.principalsFile, &err);
    size_t n = ps.n;
    const char *missing = NULL; /* a peer without its principal here: serve refuses it */
    for (int i = 0; rc == PN_OK && !missing && i < cf->npeers; i++) {
        const LinkOptions *l = &cf->peers[i];
        const char *who = l->peerPrincipal ? l->peerPrincipal : l->name;
        if (!principalsFind(&ps, who)) missing = l->name;
    }
    principalsFree(&ps);
    if (rc != PN_OK) return cliFail("serve", "%s", err.msg);
    if (missing)
        return cliFail("serve",
                       "peer %s: no principal standing for it in '%s' (add it with 'partnernet "
                       "principal add ... --no-credential', or set peer_principal)",
                       missing, cf->o.principalsFile);
    printSettings(cf);
    printf("\n; configuration valid: %zu principal%s%s\n", n, n == 1 ? "" : "s",
           n ? "" : " (WARNING: nobody can log in)");
    return CLI_OK;
}

/* The node's diagnostics: one line each on stderr, "TIME LEVEL partnernet:
 * MSG", the time in UTC so lines from several nodes sort together. */
static void printDiag(void *ctx, DiagLevel level, const char *msg) {
    char when[21];
    (void)ctx;
    timeFormat(timeNow(), when);
    fprintf(stderr, "%s %s partnernet: %s\n", when, diagLevelName(level), msg);
}

/* The ready line goes to stdout, alone, for scripts waiting on it. */
static void printReady(void *ctx, const char *line) {
    (void)ctx;
    printf("partnernet: %s\n", line);
    fflush(stdout);
}

/* Open the node, attach the front-ends, run until a stop signal. */
static int runNode(Conf *cf, Cli *cli) {
    pnError err = {0};
    Node *node = NULL;
    MqttServer *mqtt = NULL;
    HttpServer *http = NULL, *httpFailed = NULL;
    Link *links[PEERS_MAX] = {0};
    Peers *peers = NULL;
    PlanNotifier *notifier = NULL;
    int rc = nodeOpen(&node, &cf->o, &cli->reg, &cli->spif, &err);
    if (rc == PN_OK) rc = mqttServerStart(&mqtt, node, &cf->mo, &err);
    if (rc == PN_OK) rc = startHttp(cf, node, &http, &httpFailed, &err);
    if (rc == PN_OK && cf->npeers && !nodeTrustedKeys(node))
        fprintf(stderr,
                "partnernet: no trusted keys (%s/trust.keys or [trust] keys = FILE): "
                "messages relayed by peers are stored without verifying their origin "
                "signatures\n",
                cf->o.dataDir);
    for (int i = 0; rc == PN_OK && i < cf->npeers; i++)
        rc = linkStart(&links[i], node, &cf->peers[i], &err);
    if (rc == PN_OK) rc = peersStart(&peers, node, links, cf->npeers, &err);
    if (rc == PN_OK) rc = planNotifierStart(&notifier, node, &err);
    if (rc == PN_OK) rc = nodeRun(node, &err);
    nodeClose(node);
    mqttServerFree(mqtt);
    httpServerFree(httpFailed);
    httpServerFree(http);
    for (int i = 0; i < cf->npeers; i++)
        linkFree(links[i]);
    peersFree(peers);
    planNotifierFree(notifier);
    return rc == PN_OK ? CLI_OK : cliFail("serve", "%s", err.msg);
}

int cmdServe(Cli *cli, int argc, char **argv) {
    Conf cf;
    memset(&cf, 0, sizeof(cf));
    const char *config = NULL, *flags[12] = {0};
    static const char *names[12] = {"--data",   "--mqtt", "--mqtts", "--principals",
                                    "--node",   "--cert", "--key",   "--ca",
                                    "--config", "--http", "--https", "--log-level"};
    int check = 0;
    for (int i = 1; i < argc; i++) {
        int r = 0, k;
        if (strcmp(argv[i], "--check") == 0) {
            check = 1;
            continue;
        }
        for (k = 0; k < 12 && !(r = cliOpt("serve", argc, argv, &i, names[k], &flags[k])); k++) {
        }
        if (r < 0) return CLI_USAGE;
        if (k == 12) return cliFail("serve", "unknown option '%s'", argv[i]);
    }
    config = flags[8] ? flags[8] : getenv("PARTNERNET_CONFIG");
    if (config && !*config) config = NULL;
    if (config && confLoad(&cf, config) != CLI_OK) {
        free(cf.text);
        return CLI_USAGE;
    }
    NodeOptions *o = &cf.o;
    MqttServerOptions *mo = &cf.mo;
    const char **dst[8] = {&o->dataDir, &mo->mqttAddr, &mo->mqttsAddr, &o->principalsFile,
                           &o->name,    &mo->certFile, &mo->keyFile,   &mo->caFile};
    for (int k = 0; k < 8; k++)
        if (flags[k]) *dst[k] = flags[k];
    if (flags[9]) cf.ho.httpAddr = flags[9];
    if (flags[10]) cf.ho.httpsAddr = flags[10];
    if (flags[11]) cf.logLevel = flags[11];
    DiagLevel level = DIAG_INFO;
    if (cf.logLevel && diagLevelParse(cf.logLevel, &level) != 0) {
        cliFail("serve", "log level '%s' is not one of error, warning, info, debug", cf.logLevel);
        free(cf.text); /* cf.logLevel may point into it */
        return CLI_USAGE;
    }
    char principals[4200];
    int explicitPrincipals = o->principalsFile != NULL;
    listenerOff(&mo->mqttAddr);
    listenerOff(&mo->mqttsAddr);
    listenerOff(&cf.ho.httpAddr);
    listenerOff(&cf.ho.httpsAddr);
    if (!o->dataDir) o->dataDir = "var";
    if (!o->dataDir[0]) { /* "data =" would put the principals file at /principals.json */
        free(cf.text);
        return cliFail("serve", "the data directory is empty: name one (data = DIR, --data DIR) "
                                "or leave the setting out for ./var");
    }
    if (!o->name) o->name = "node";
    if (!mo->mqttAddr) mo->mqttAddr = "127.0.0.1:1883";
    if (!mo->mqttsAddr) mo->mqttsAddr = mo->certFile ? "127.0.0.1:8883" : "";
    if (!o->principalsFile) {
        snprintf(principals, sizeof(principals), "%s/principals.json", o->dataDir);
        o->principalsFile = principals;
    }
    mo->requireClientCert = !cf.requireCert || strcmp(cf.requireCert, "no") != 0;
    if (!o->maxQueued) o->maxQueued = 10000;
    /* bench/run.sh measures QoS 1 with and without origin signatures. */
    o->unsignedOwn = getenv("PARTNERNET_BENCH_UNSIGNED") != NULL;
    if (checkPrincipalsFile(o->principalsFile, explicitPrincipals) != CLI_OK) {
        free(cf.text);
        return CLI_USAGE;
    }
    if (check) {
        int crc = checkConfig(&cf, cli);
        free(cf.text);
        return crc;
    }
    static Reloader rl; /* large; lives as long as the node */
    memset(&rl, 0, sizeof(rl));
    rl.cli = cli;
    rl.cur = -1;
    for (int k = 0; k < 2; k++)
        registryInit(&rl.reg[k]), spifInit(&rl.spif[k]);
    o->reload = reloadData;
    o->reloadCtx = &rl;
    o->ready = printReady;
    diagSetSink(printDiag, NULL, level);
    int rc = cliLoad(cli);
    if (rc == CLI_OK) rc = runNode(&cf, cli);
    for (int k = 0; k < 2; k++)
        registryFree(&rl.reg[k]), spifFree(&rl.spif[k]);
    free(cf.text);
    return rc;
}
