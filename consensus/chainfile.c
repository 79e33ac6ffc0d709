/* SPDX-License-Identifier: MIT */
/*
 * chainfile.c - chain files (chainfile.h, docs/FORMATS.md "Chain file"): encoding, strict
 * decoding with file byte offsets in every message, and atomic writing (mkstemp in the target's
 * folder, write, fsync, rename, fsync of the folder), as in the usual crash-safe
 * replace-by-rename pattern (the file is either the old one or the complete new one).
 */
#include "popi/chainfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Smallest record: length 4 + header 130 + n_tx 1. */
#define MIN_BLOCK_BYTES (POPI_BLOCK_HEADER_MIN_BYTES + 1u)
#define MIN_RECORD_BYTES (4u + MIN_BLOCK_BYTES)

void popi_chainfile_encode(const popi_block_t *const *blocks, size_t n, popi_codec_writer_t *w)
{
    POPI_ASSERT(n <= UINT32_MAX);
    popi_codec_put(w, POPI_CHAINFILE_MAGIC, POPI_CHAINFILE_MAGIC_BYTES);
    popi_codec_put_u32(w, POPI_CHAINFILE_VERSION);
    popi_codec_put_u32(w, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        popi_codec_put_u32(w, blocks[i]->size);
        size_t before = w->len;
        popi_block_encode(blocks[i], w);
        POPI_ASSERT(w->len - before == blocks[i]->size);
    }
}

void popi_chainfile_free(popi_block_t **blocks, size_t n)
{
    if (!blocks) return;
    for (size_t i = 0; i < n; i++)
        popi_block_free(blocks[i]);
    free(blocks);
}

popi_err_t popi_chainfile_decode(const void *buf, size_t len, const char *name,
                                 popi_block_t ***blocks, size_t *n)
{
    *blocks = NULL;
    *n = 0;
    char what[300];
    snprintf(what, sizeof what, "chainfile: %s", name ? name : "(memory)");
    popi_codec_reader_t r;
    popi_codec_reader_init(&r, buf, len, what);
    const uint8_t *magic;
    uint32_t version, count;
    popi_err_t e = popi_codec_get_ptr(&r, POPI_CHAINFILE_MAGIC_BYTES, &magic, "magic");
    if (e) return e;
    if (memcmp(magic, POPI_CHAINFILE_MAGIC, POPI_CHAINFILE_MAGIC_BYTES) != 0)
        return popi_err_set(POPI_EFORMAT,
                            "%s: bad magic at byte 0 (not a chain file; expected \"POPICHN\\n\")",
                            what);
    if ((e = popi_codec_get_u32(&r, &version, "version"))) return e;
    if (version != POPI_CHAINFILE_VERSION)
        return popi_err_set(POPI_EFORMAT, "%s: unknown version %u at byte 8 (expected %u)", what,
                            version, POPI_CHAINFILE_VERSION);
    if ((e = popi_codec_get_u32(&r, &count, "count"))) return e;
    if (count > popi_codec_left(&r) / MIN_RECORD_BYTES)
        return popi_err_set(POPI_EFORMAT,
                            "%s: count = %u at byte 12 exceeds the %zu blocks the remaining %zu "
                            "bytes could hold",
                            what, count, popi_codec_left(&r) / MIN_RECORD_BYTES,
                            popi_codec_left(&r));
    popi_block_t **out = popi_xcalloc(count ? count : 1, sizeof *out);
    size_t k = 0;
    for (; k < count; k++) {
        char field[40];
        size_t at = r.off;
        uint32_t blen;
        snprintf(field, sizeof field, "block %zu length", k);
        if ((e = popi_codec_get_u32(&r, &blen, field))) goto fail;
        if (blen < MIN_BLOCK_BYTES || blen > POPI_BLOCK_MAX_BYTES) {
            e = popi_err_set(POPI_EFORMAT,
                             "%s: block %zu length %u at byte %zu exceeds the bounds [%u, %u]",
                             what, k, blen, at, MIN_BLOCK_BYTES, POPI_BLOCK_MAX_BYTES);
            goto fail;
        }
        snprintf(field, sizeof field, "block %zu", k);
        const uint8_t *body;
        size_t body_at = r.off;
        if ((e = popi_codec_get_ptr(&r, blen, &body, field))) goto fail;
        if ((e = popi_block_decode(body, blen, &out[k]))) {
            /* The decoder counts from the block's first byte: add the file offset. */
            char inner[1024];
            snprintf(inner, sizeof inner, "%s", popi_err_message());
            const char *p = strstr(inner, "at byte ");
            unsigned long long off = p ? strtoull(p + 8, NULL, 10) : 0;
            e = popi_err_set(POPI_EFORMAT, "%s: block %zu at byte %zu: %s (file byte %llu)", what,
                             k, body_at, inner, (unsigned long long)body_at + off);
            goto fail;
        }
    }
    if ((e = popi_codec_expect_end(&r))) goto fail;
    *blocks = out;
    *n = count;
    return POPI_OK;
fail:
    popi_chainfile_free(out, k);
    return e;
}

popi_err_t popi_chainfile_read(const char *path, popi_block_t ***blocks, size_t *n)
{
    *blocks = NULL;
    *n = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return popi_err_set(POPI_EIO, "chainfile: cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int err = errno;
        close(fd);
        return popi_err_set(POPI_EIO, "chainfile: %s is not a readable regular file%s%s", path,
                            err ? ": " : "", err ? strerror(err) : "");
    }
    size_t len = (size_t)st.st_size, done = 0;
    uint8_t *buf = popi_xmalloc(len ? len : 1);
    while (done < len) {
        ssize_t got = read(fd, buf + done, len - done);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            int err = got < 0 ? errno : 0;
            close(fd);
            free(buf);
            return popi_err_set(POPI_EIO, "chainfile: cannot read %s at byte %zu: %s", path, done,
                                err ? strerror(err) : "file shrank while reading");
        }
        done += (size_t)got;
    }
    close(fd);
    popi_err_t e = popi_chainfile_decode(buf, len, path, blocks, n);
    free(buf);
    return e;
}

/* fsync the folder holding @p path, so the rename itself is durable. */
static int sync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY);
    if (fd < 0) return errno;
    int err = fsync(fd) != 0 ? errno : 0;
    close(fd);
    return err == EINVAL ? 0 : err; /* some file systems cannot sync folders */
}

popi_err_t popi_chainfile_write(const char *path, const popi_block_t *const *blocks, size_t n)
{
    if (n > UINT32_MAX)
        return popi_err_set(POPI_EINVAL, "chainfile: at most %u blocks per file, got %zu",
                            UINT32_MAX, n);
    popi_codec_writer_t w;
    popi_codec_writer_init(&w);
    popi_chainfile_encode(blocks, n, &w);
    size_t plen = strlen(path);
    char *tmp = popi_xmalloc(plen + 16);
    snprintf(tmp, plen + 16, "%s.tmp-XXXXXX", path);
    popi_err_t e = POPI_OK;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        e = popi_err_set(POPI_EIO, "chainfile: cannot create a temporary file for %s: %s", path,
                         strerror(errno));
        goto done;
    }
    const char *step = NULL;
    int err = 0;
    if (fchmod(fd, 0644) != 0) {
        err = errno;
        step = "chmod";
    }
    for (size_t off = 0; !step && off < w.len;) {
        ssize_t put = write(fd, w.data + off, w.len - off);
        if (put < 0 && errno == EINTR) continue;
        if (put < 0) {
            err = errno;
            step = "write";
            break;
        }
        off += (size_t)put;
    }
    if (!step && fsync(fd) != 0) {
        err = errno;
        step = "fsync";
    }
    if (close(fd) != 0 && !step) {
        err = errno;
        step = "close";
    }
    if (!step && rename(tmp, path) != 0) {
        err = errno;
        step = "rename";
    }
    if (step) {
        unlink(tmp);
        e = popi_err_set(POPI_EIO, "chainfile: cannot write %s (%s of %s): %s", path, step, tmp,
                         strerror(err));
        goto done;
    }
    if ((err = sync_parent(path)) != 0)
        e = popi_err_set(POPI_EIO, "chainfile: wrote %s but cannot fsync its folder: %s", path,
                         strerror(err));
done:
    free(tmp);
    popi_codec_writer_destroy(&w);
    return e;
}
