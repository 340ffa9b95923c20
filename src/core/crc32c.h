/*
 * crc32c.h -- CRC-32C (Castagnoli), the checksum of every log record.
 *
 * Castagnoli rather than the zlib polynomial because x86 (SSE4.2) and
 * ARMv8 compute it in hardware; this file uses the hardware instruction
 * when the CPU has it and a table otherwise, with identical results.
 */
#ifndef PN_CRC32C_H
#define PN_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extend crc (0 to start) over n bytes of p. */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);

/* The table-driven version, exposed so tests can check both paths agree. */
uint32_t crc32cSoft(uint32_t crc, const void *p, size_t n);

#endif
