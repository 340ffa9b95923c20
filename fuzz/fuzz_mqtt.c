/*
 * fuzz_mqtt.c -- libFuzzer target for the MQTT packet decoders.
 *
 * The input is one buffer as it would arrive on a socket, fed to the
 * server-side decoder (mqttDecode, in every protocol state) and to the
 * client-side one a federation link uses (mqttDecodeClient); the property
 * is in fuzz_mqtt_check.h, shared with the replay in make check.  A broken
 * property aborts so libFuzzer keeps the input.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_mqtt_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char why[256];
    if (fuzzCheckMqtt(data, size, why, sizeof(why)) != 0) {
        fprintf(stderr, "fuzz_mqtt: %s\n", why);
        abort();
    }
    return 0;
}
