/*
 * message.c -- message construction and log encoding (see message.h).
 */
#include "message.h"

#include <stdlib.h>
#include <string.h>

static char *dupN(const void *p, size_t n) {
    char *s = malloc(n + 1);
    if (s) {
        if (n) memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

static void messageFree(Message *m) {
    free(m->origin);
    free(m->publisher);
    free(m->topic);
    free(m->label);
    free(m->props);
    free(m->payload);
    free(m->sig);
    free(m);
}

Message *messageNew(const char *origin, uint64_t originSeq, const char *publisher,
                    const char *topic, size_t topicLen, const char *marking, const DecideLabel *dl,
                    const uint8_t *props, uint32_t propsLen, const uint8_t *payload,
                    uint32_t payloadLen, uint8_t qos, uint8_t retain, int64_t time) {
    Message *m = calloc(1, sizeof(*m));
    if (!m) return NULL;
    m->refs = 1;
    m->time = time;
    m->qos = qos;
    m->retain = retain;
    m->originSeq = originSeq;
    m->label = dupN(marking, strlen(marking));
    m->dl = *dl;
    m->origin = dupN(origin, strlen(origin));
    m->publisher = dupN(publisher, strlen(publisher));
    m->topic = dupN(topic, topicLen);
    m->props = (uint8_t *)dupN(props, propsLen);
    m->propsLen = propsLen;
    m->payload = (uint8_t *)dupN(payload, payloadLen);
    m->payloadLen = payloadLen;
    if (!m->label || !m->origin || !m->publisher || !m->topic || !m->props || !m->payload) {
        messageFree(m);
        return NULL;
    }
    return m;
}

void messageRef(Message *m) {
    m->refs++;
}

void messageUnref(Message *m) {
    if (m && --m->refs == 0) messageFree(m);
}

static void put32(pnBuf *b, uint32_t v) {
    uint8_t t[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    bufAppend(b, t, 4);
}

static void put64(pnBuf *b, uint64_t v) {
    put32(b, (uint32_t)v);
    put32(b, (uint32_t)(v >> 32));
}

static void putBin(pnBuf *b, const void *p, uint32_t n) {
    put32(b, n);
    bufAppend(b, p, n);
}

void messageEncode(const Message *m, pnBuf *out) {
    uint8_t hdr[2] = {2, (uint8_t)((m->retain ? 1 : 0) | m->qos << 1)};
    bufAppend(out, hdr, 2);
    put64(out, (uint64_t)m->time);
    putBin(out, m->origin, (uint32_t)strlen(m->origin));
    put64(out, m->originSeq);
    putBin(out, m->publisher, (uint32_t)strlen(m->publisher));
    putBin(out, m->topic, (uint32_t)strlen(m->topic));
    putBin(out, m->label, (uint32_t)strlen(m->label));
    putBin(out, m->props, m->propsLen);
    putBin(out, m->payload, m->payloadLen);
    putBin(out, m->sig ? m->sig : "", m->sig ? (uint32_t)strlen(m->sig) : 0);
}

void messageViewOf(const Message *m, MessageView *v) {
    *v = (MessageView){.time = m->time,
                       .qos = m->qos,
                       .retain = m->retain,
                       .origin = m->origin,
                       .originLen = (uint32_t)strlen(m->origin),
                       .originSeq = m->originSeq,
                       .publisher = m->publisher,
                       .publisherLen = (uint32_t)strlen(m->publisher),
                       .topic = m->topic,
                       .topicLen = (uint32_t)strlen(m->topic),
                       .label = m->label,
                       .labelLen = (uint32_t)strlen(m->label),
                       .props = m->props,
                       .propsLen = m->propsLen,
                       .payload = m->payload,
                       .payloadLen = m->payloadLen,
                       .sig = m->sig,
                       .sigLen = m->sig ? (uint32_t)strlen(m->sig) : 0};
}

typedef struct {
    const uint8_t *p, *end;
    int bad;
} In;

static uint64_t get(In *in, int bytes) {
    if (in->end - in->p < bytes) {
        in->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | in->p[i];
    in->p += bytes;
    return v;
}

static const uint8_t *getBin(In *in, uint32_t *n) {
    *n = (uint32_t)get(in, 4);
    if (in->bad || (uint64_t)(in->end - in->p) < *n) {
        in->bad = 1;
        return NULL;
    }
    const uint8_t *p = in->p;
    in->p += *n;
    return p;
}

int messageView(const uint8_t *rec, uint32_t len, MessageView *v) {
    In in = {rec, rec + len, 0};
    uint8_t version = (uint8_t)get(&in, 1), flags = (uint8_t)get(&in, 1);
    v->time = (int64_t)get(&in, 8);
    v->origin = (const char *)getBin(&in, &v->originLen);
    v->originSeq = get(&in, 8);
    v->publisher = (const char *)getBin(&in, &v->publisherLen);
    v->topic = (const char *)getBin(&in, &v->topicLen);
    v->label = (const char *)getBin(&in, &v->labelLen);
    v->props = getBin(&in, &v->propsLen);
    v->payload = getBin(&in, &v->payloadLen);
    v->sig = NULL, v->sigLen = 0;
    if (version == 2) v->sig = (const char *)getBin(&in, &v->sigLen);
    v->qos = flags >> 1 & 3;
    v->retain = flags & 1;
    return in.bad || version < 1 || version > 2 || in.p != in.end ? -1 : 0;
}

Message *messageDecode(const uint8_t *rec, uint32_t len, uint64_t offset, const Spif *policy,
                       pnError *err) {
    MessageView v;
    if (messageView(rec, len, &v) != 0) {
        pnErrorSet(err, PN_EINVAL, "log record %llu is not a message", (unsigned long long)offset);
        return NULL;
    }
    char *o = dupN((const uint8_t *)v.origin, v.originLen),
         *p = dupN((const uint8_t *)v.publisher, v.publisherLen),
         *l = dupN((const uint8_t *)v.label, v.labelLen);
    Label lab;
    labelInit(&lab, policy);
    Message *m = NULL;
    if (o && p && l && labelParseMarking(&lab, l, err) == PN_OK) {
        DecideLabel dl;
        decideLabelCompile(&lab, &dl);
        m = messageNew(o, v.originSeq, p, v.topic, v.topicLen, l, &dl, v.props, v.propsLen,
                       v.payload, v.payloadLen, v.qos, v.retain, v.time);
        if (m) m->offset = offset;
        if (m && v.sigLen && !(m->sig = dupN(v.sig, v.sigLen))) {
            messageUnref(m);
            m = NULL;
        }
    }
    labelFree(&lab);
    free(o);
    free(p);
    free(l);
    return m;
}
