/*
 * cmd_binding.c -- `partnernet label bind` and `label verify-binding`:
 * a label bound to a file by a signed binding data object in a sidecar
 * file FILE.binding (ADatP-4778 sidecar profile, JSON form; see
 * src/label/binding.h and docs/signatures.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/date.h"
#include "../core/file.h"
#include "../core/sign.h"
#include "../core/str.h"
#include "../label/binding.h"
#include "cli.h"

#define CMD "label"
#define BIND_MAX_FILE (1u << 30)

static const char *baseName(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int bind(Cli *cli, const char *file, const char *text, const char *dir, const char *name) {
    char path[4200];
    snprintf(path, sizeof(path), "%s/node.key", dir);
    SignKey *k = NULL;
    pnError err = {0};
    if (signKeyLoad(path, 0, &k, NULL, &err) != PN_OK)
        return cliFail(CMD, "no signing key (%s): make one with partnernet node init", err.msg);
    Label l;
    char *data = NULL, *out = NULL;
    size_t len = 0;
    int rc = cliReadLabel(cli, CMD, text, &l);
    if (rc != CLI_OK) {
        signKeyFree(k);
        return rc;
    }
    if (!l.created) l.created = timeNow();
    int r = fileRead(file, BIND_MAX_FILE, &data, &len);
    if (r != 0)
        rc = cliFail(CMD, "%s: %s", file, r == -2 ? "larger than 1 GiB" : "cannot read it");
    else if (bindingMake(k, name, timeNow(), baseName(file), (const uint8_t *)data, len, &l, &out,
                         &err) != PN_OK)
        rc = cliFail(CMD, "%s", err.msg);
    snprintf(path, sizeof(path), "%s.binding", file);
    size_t olen = out ? strlen(out) : 0;
    if (out) out[olen] = '\n'; /* json_dumps leaves room for the NUL it wrote */
    if (rc == CLI_OK && fileWriteAtomic(path, out, olen + 1, 0644, &err) != PN_OK)
        rc = cliFail(CMD, "%s", err.msg);
    if (rc == CLI_OK) printf("bound: %s (key %s)\n", path, signKeyId(k));
    free(data), free(out);
    labelFree(&l);
    signKeyFree(k);
    return rc;
}

static int verifyBinding(Cli *cli, const char *arg, const char *dir, const char *trustFile) {
    char file[4200], binding[4200];
    size_t n = strlen(arg);
    if (n > 8 && strcmp(arg + n - 8, ".binding") == 0)
        snprintf(file, sizeof(file), "%.*s", (int)(n - 8), arg), snprintf(binding, 4200, "%s", arg);
    else
        snprintf(file, sizeof(file), "%s", arg), snprintf(binding, 4200, "%s.binding", arg);
    SignTrust t;
    if (cliLoadTrust(CMD, dir, trustFile, &t) != CLI_OK) return CLI_USAGE;
    char *data = NULL, *text = NULL, why[400], marking[512] = "";
    size_t len = 0, tlen = 0;
    int rc = CLI_OK;
    if (fileRead(file, BIND_MAX_FILE, &data, &len) != 0)
        rc = cliFail(CMD, "%s: cannot read it", file);
    else if (fileRead(binding, 1 << 20, &text, &tlen) != 0)
        rc = cliFail(CMD, "%s: cannot read the binding", binding);
    else if (strstr(text, "\"originSignature\"")) /* a message's sidecar (log export) */
        rc = cliVerifySaved(&t, binding, text, text + tlen, (const uint8_t *)data, len);
    else if (bindingVerify(&t, &cli->spif, text, tlen, (const uint8_t *)data, len, marking, why,
                           sizeof(why)) != 0)
        rc = cliFail(CMD, "%s: %s", binding, why);
    else
        printf("verified: %s is bound to %s\n", file, marking);
    free(data), free(text);
    signTrustFree(&t);
    return rc;
}

int cmdLabelBinding(Cli *cli, int argc, char **argv) {
    const char *sub = argv[1], *file = NULL, *text = NULL, *dir = "var", *name = "node",
               *trust = NULL;
    for (int i = 2; i < argc; i++) {
        int r = cliOpt(CMD, argc, argv, &i, "--label", &text);
        if (r == 0) r = cliOpt(CMD, argc, argv, &i, "--data", &dir);
        if (r == 0) r = cliOpt(CMD, argc, argv, &i, "--name", &name);
        if (r == 0) r = cliOpt(CMD, argc, argv, &i, "--trust", &trust);
        if (r < 0) return CLI_USAGE;
        if (r == 0 && (argv[i][0] == '-' || file))
            return cliFail(CMD, "unexpected argument '%s'", argv[i]);
        if (r == 0) file = argv[i];
    }
    if (!file) return cliFail(CMD, "%s needs a FILE", sub);
    if (cliLoad(cli) != CLI_OK) return CLI_USAGE;
    return strcmp(sub, "bind") == 0 ? bind(cli, file, text, dir, name)
                                    : verifyBinding(cli, file, dir, trust);
}
