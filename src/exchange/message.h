/*
 * message.h -- a published message as the exchange holds and logs it.
 *
 * A Message is immutable once published and reference-counted: one copy is
 * shared by every session it is delivered to, by the retained-message table
 * and by offline queues.  Its label is kept both as text (what travels to
 * subscribers in the `label` user property) and compiled (what decide()
 * reads), so delivery never re-parses a label.
 *
 * Log record encoding (little endian), version 2:
 *   u8 version | u8 flags (bit0 retain, bits1-2 qos) | i64 time
 *   | str origin | u64 originSeq | str publisher | str topic | str label
 *   | bin props | bin payload | str sig
 * where str/bin are u32 length + bytes.  `props` are MQTT 5 properties to
 * forward (content type, correlation data, user properties ...); `sig` is
 * the origin's signature token (src/core/sign.h), empty when the message
 * has none.  Version 1 records (written before signatures) have no sig.
 */
#ifndef PN_MESSAGE_H
#define PN_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"
#include "../core/err.h"
#include "../label/label.h"
#include "../policy/decide.h"

typedef struct Message {
    int refs;
    uint64_t offset; /* in the node's log */
    int64_t time;    /* seconds, when the node accepted it */
    uint8_t qos, retain;
    char *origin; /* node that first accepted it */
    uint64_t originSeq;
    char *publisher; /* principal name */
    char *topic;
    char *label; /* canonical display marking */
    DecideLabel dl;
    uint8_t *props;
    uint32_t propsLen;
    uint8_t *payload;
    uint32_t payloadLen;
    char *sig; /* origin signature token (sign.h), NULL: none; set before logging */
} Message;

/* Build a message (refs = 1) copying every field; marking is the canonical
 * display marking of a valid label and dl its compiled form.  Returns NULL
 * when out of memory. */
Message *messageNew(const char *origin, uint64_t originSeq, const char *publisher,
                    const char *topic, size_t topicLen, const char *marking, const DecideLabel *dl,
                    const uint8_t *props, uint32_t propsLen, const uint8_t *payload,
                    uint32_t payloadLen, uint8_t qos, uint8_t retain, int64_t time);

void messageRef(Message *m);
void messageUnref(Message *m); /* frees at zero; NULL is ignored */

/* Append the log encoding of m to out. */
void messageEncode(const Message *m, pnBuf *out);

/* A log record decoded in place: every pointer points into the record
 * (strings are not NUL-terminated), valid as long as the record is. */
typedef struct MessageView {
    int64_t time;
    uint8_t qos, retain;
    const char *origin, *publisher, *topic, *label;
    uint32_t originLen, publisherLen, topicLen, labelLen;
    uint64_t originSeq;
    const uint8_t *props, *payload;
    uint32_t propsLen, payloadLen;
    const char *sig; /* signature token, sigLen 0: none */
    uint32_t sigLen;
} MessageView;

/* A view of m (pointing into it), as if read from its log record. */
void messageViewOf(const Message *m, MessageView *v);

/* Decode a log record without copying.  Returns 0, or -1 when rec is not
 * a version 1 or 2 message record. */
int messageView(const uint8_t *rec, uint32_t len, MessageView *v);

/* Decode a log record; the label is re-parsed against policy.  Returns a
 * new message (refs = 1) with offset set, or NULL with PN_EINVAL in err. */
Message *messageDecode(const uint8_t *rec, uint32_t len, uint64_t offset, const Spif *policy,
                       pnError *err);

#endif
