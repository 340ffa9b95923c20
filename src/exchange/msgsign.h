/*
 * msgsign.h -- origin signatures applied to messages: which of a message's
 * fields the signature covers (src/core/sign.h has the encoding), signing
 * a commit's own messages in batches, and checking a relayed one.
 */
#ifndef PN_MSGSIGN_H
#define PN_MSGSIGN_H

#include "../core/sign.h"
#include "message.h"

/* The content type (MQTT 5 property 0x03) in forwarded properties: 1 with
 * *ct and *n pointing into props, 0 when there is none or props is malformed. */
int msgContentType(const uint8_t *props, uint32_t len, const char **ct, size_t *n);

/* The covered fields of m, pointing into m. */
void msgSignFields(const Message *m, SignFields *f);

/* The covered fields of a log record view, pointing into it. */
void msgSignFieldsView(const MessageView *v, SignFields *f);

/*
 * Sign ms[0..n) with k, SIGN_BATCH_MAX to a signature, setting each
 * message's sig.  PN_ENOMEM or PN_EIO; then no message has a new sig.
 */
int msgSignAll(const SignKey *k, Message **ms, size_t n, pnError *err);

#endif
