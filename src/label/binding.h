/*
 * binding.h -- a label bound to data (STANAG 4778 / ADatP-4778, JSON form:
 * application/vnd.nato.bindingdataobject+json), signed with JWS (EdDSA).
 *
 * The binding data object names the data (its name and SHA-256), carries
 * the label (STANAG 4774 XML and display marking), the originator and the
 * time, and a JWS compact serialization whose payload is exactly those
 * members: docs/signatures.md ("Label binding") gives the fields and how
 * a third party verifies them.  Used for files (`partnernet label bind`,
 * `label verify-binding`).
 */
#ifndef PN_LABEL_BINDING_H
#define PN_LABEL_BINDING_H

#include <stddef.h>
#include <stdint.h>

#include "../core/err.h"
#include "../core/sign.h"
#include "label.h"

#define BINDING_MEDIA_TYPE "application/vnd.nato.bindingdataobject+json"

/*
 * The binding data object for len bytes of data called name, labelled lab
 * (valid), signed with k for originator at time: *out is malloc'd JSON
 * text (the caller frees it).  PN_ENOMEM or PN_EIO.
 */
int bindingMake(const SignKey *k, const char *originator, int64_t time, const char *name,
                const uint8_t *data, size_t len, const Label *lab, char **out, pnError *err);

/*
 * Verify the binding data object text against data: its JWS verifies with
 * a key t trusts for the originator at the time, the signed members are
 * the object's, the data's SHA-256 is the one referenced, and the label
 * is valid under policy (*marking gets its canonical display marking when
 * not NULL, room for 512).  0, or -1 with the reason in why.
 */
int bindingVerify(const SignTrust *t, const Spif *policy, const char *text, size_t textLen,
                  const uint8_t *data, size_t len, char *marking, char *why, size_t cap);

#endif
