/* SPDX-License-Identifier: MIT */
/*
 * chainfile.h - chain files: a sequence of blocks in their canonical encoding, so whole chains
 * (test cases for the detector, the console's ledger) are data. Format in docs/FORMATS.md,
 * "Chain file": magic "POPICHN\n", u32 version 1, u32 count, then count × (u32 length, block).
 *
 * Reading is strict (every length bounded, every block decoded strictly, no trailing bytes) and
 * each error names the byte offset in the file. Writing is atomic: a temporary file in the same
 * folder, fsync, rename over the target, fsync of the folder; on any failure the temporary file
 * is removed and the target is untouched.
 */
#ifndef POPI_CHAINFILE_H
#define POPI_CHAINFILE_H

#include "popi/block.h"
#include "popi/codec.h"

#ifdef __cplusplus
extern "C" {
#endif

#define POPI_CHAINFILE_MAGIC "POPICHN\n" /**< 8 bytes, no terminator in the file */
#define POPI_CHAINFILE_MAGIC_BYTES 8u
#define POPI_CHAINFILE_VERSION 1u
#define POPI_CHAINFILE_HEADER_BYTES 16u /**< magic 8 + version 4 + count 4 */

/** Append the chain file encoding of @p n blocks to @p w. @p n must be <= UINT32_MAX. */
void popi_chainfile_encode(const popi_block_t *const *blocks, size_t n, popi_codec_writer_t *w);

/**
 * Decode a chain file image of @p len bytes. @p name names it in messages (a path). On success
 * *blocks is a new array of *n blocks (free with popi_chainfile_free). On failure *blocks is NULL
 * and the message reads "chainfile: <name>: ... at byte <offset>", the offset counted from the
 * start of the file (for errors inside a block: "block <i> at byte <o>: <decoder message>
 * (file byte <o + offset in block>)").
 * @return POPI_EFORMAT. Time O(len).
 */
popi_err_t popi_chainfile_decode(const void *buf, size_t len, const char *name,
                                 popi_block_t ***blocks, size_t *n);

/** Read and decode the chain file at @p path. POPI_EIO (cannot read) or POPI_EFORMAT. */
popi_err_t popi_chainfile_read(const char *path, popi_block_t ***blocks, size_t *n);

/**
 * Write @p n blocks to @p path atomically (see above), file mode 0644.
 * @return POPI_EIO naming the step that failed (create, write, fsync, rename); no file is left
 * behind and an existing @p path is unchanged.
 */
popi_err_t popi_chainfile_write(const char *path, const popi_block_t *const *blocks, size_t n);

/** Free an array of blocks from decode/read. Accepts NULL. */
void popi_chainfile_free(popi_block_t **blocks, size_t n);

#ifdef __cplusplus
}
#endif
#endif
