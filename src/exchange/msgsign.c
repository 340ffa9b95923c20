/*
 * msgsign.c -- origin signatures applied to messages (see msgsign.h).
 */
#include "msgsign.h"

#include <stdlib.h>
#include <string.h>

/* MQTT 5 property value sizes (section 2.2.2.2), by identifier: 1, 2, 4
 * bytes, 'v' variable byte integer, 's' length-prefixed (string or
 * binary), 'p' string pair; 0 unknown. */
static int propKind(uint8_t id) {
    switch (id) {
    case 0x01:
    case 0x17:
    case 0x19:
    case 0x24:
    case 0x25:
    case 0x28:
    case 0x29:
    case 0x2A:
        return 1;
    case 0x13:
    case 0x21:
    case 0x22:
    case 0x23:
        return 2;
    case 0x02:
    case 0x11:
    case 0x18:
    case 0x27:
        return 4;
    case 0x0B:
        return 'v';
    case 0x03:
    case 0x08:
    case 0x09:
    case 0x12:
    case 0x15:
    case 0x16:
    case 0x1A:
    case 0x1C:
    case 0x1F:
        return 's';
    case 0x26:
        return 'p';
    default:
        return 0;
    }
}

/* Skip one length-prefixed field at *i; -1 past the end. */
static int skipStr(const uint8_t *p, uint32_t len, uint32_t *i) {
    if (*i + 2 > len) return -1;
    uint32_t n = (uint32_t)p[*i] << 8 | p[*i + 1];
    if (*i + 2 + n > len) return -1;
    *i += 2 + n;
    return 0;
}

int msgContentType(const uint8_t *props, uint32_t len, const char **ct, size_t *n) {
    uint32_t i = 0;
    while (i < len) {
        uint8_t id = props[i++];
        int k = propKind(id);
        if (id == 0x03 && i + 2 <= len) {
            size_t l = (size_t)props[i] << 8 | props[i + 1];
            if (i + 2 + l > len) return 0;
            *ct = (const char *)props + i + 2;
            *n = l;
            return 1;
        }
        if (k == 1 || k == 2 || k == 4) {
            i += (uint32_t)k;
        } else if (k == 'v') {
            while (i < len && props[i] & 0x80)
                i++;
            i++;
        } else if (k == 's') {
            if (skipStr(props, len, &i)) return 0;
        } else if (k == 'p') {
            if (skipStr(props, len, &i) || skipStr(props, len, &i)) return 0;
        } else {
            return 0;
        }
    }
    return 0;
}

void msgSignFieldsView(const MessageView *v, SignFields *f) {
    *f = (SignFields){v->origin, v->originLen, v->originSeq, v->time,       v->topic, v->topicLen,
                      v->label,  v->labelLen,  v->payload,   v->payloadLen, NULL,     0};
    if (!msgContentType(v->props, v->propsLen, &f->contentType, &f->contentTypeLen))
        f->contentType = NULL, f->contentTypeLen = 0;
}

void msgSignFields(const Message *m, SignFields *f) {
    MessageView v;
    messageViewOf(m, &v);
    msgSignFieldsView(&v, f);
}

int msgSignAll(const SignKey *k, Message **ms, size_t n, pnError *err) {
    for (size_t at = 0; at < n; at += SIGN_BATCH_MAX) {
        size_t b = n - at < SIGN_BATCH_MAX ? n - at : SIGN_BATCH_MAX;
        uint8_t leaves[SIGN_BATCH_MAX][32];
        char *tokens[SIGN_BATCH_MAX];
        for (size_t i = 0; i < b; i++) {
            SignFields f;
            msgSignFields(ms[at + i], &f);
            signLeaf(&f, leaves[i]);
        }
        int rc = signBatch(k, (const uint8_t(*)[32])leaves, b, tokens, err);
        if (rc != PN_OK) {
            for (size_t i = 0; i < at; i++) /* all or nothing */
                free(ms[i]->sig), ms[i]->sig = NULL;
            return rc;
        }
        for (size_t i = 0; i < b; i++) {
            free(ms[at + i]->sig);
            ms[at + i]->sig = tokens[i];
        }
    }
    return PN_OK;
}
