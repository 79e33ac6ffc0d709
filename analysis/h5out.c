/* SPDX-License-Identifier: MIT */
/*
 * h5out.c - compound tables and attributes in HDF5, written to a temporary file and committed by
 * rename. Every HDF5 id is closed on every path (one cleanup label per function).
 *
 * The file is built in memory (HDF5's core driver, no backing store) and its image is written
 * with write(2) + fsync(2) at commit. HDF5 1.10 crashes at exit after an H5Fclose that failed on
 * a full disk; writing the image ourselves turns ENOSPC into a clean error. The temporary file is
 * created (O_EXCL) when the recorder is, so a missing or read-only folder fails before the run.
 */
#include "popi/h5out.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static hid_t native(popi_h5_type_t t)
{
    switch (t) {
    case POPI_H5_F64: return H5T_NATIVE_DOUBLE;
    case POPI_H5_F32: return H5T_NATIVE_FLOAT;
    case POPI_H5_I64: return H5T_NATIVE_INT64;
    case POPI_H5_U64: return H5T_NATIVE_UINT64;
    case POPI_H5_I32: return H5T_NATIVE_INT32;
    case POPI_H5_U32: return H5T_NATIVE_UINT32;
    case POPI_H5_U8: return H5T_NATIVE_UINT8;
    }
    return H5T_NATIVE_DOUBLE;
}

/* Little-endian file types, so files are the same bytes on every machine. */
static hid_t filetype(popi_h5_type_t t)
{
    switch (t) {
    case POPI_H5_F64: return H5T_IEEE_F64LE;
    case POPI_H5_F32: return H5T_IEEE_F32LE;
    case POPI_H5_I64: return H5T_STD_I64LE;
    case POPI_H5_U64: return H5T_STD_U64LE;
    case POPI_H5_I32: return H5T_STD_I32LE;
    case POPI_H5_U32: return H5T_STD_U32LE;
    case POPI_H5_U8: return H5T_STD_U8LE;
    }
    return H5T_IEEE_F64LE;
}

static size_t type_size(popi_h5_type_t t)
{
    switch (t) {
    case POPI_H5_F64: case POPI_H5_I64: case POPI_H5_U64: return 8;
    case POPI_H5_F32: case POPI_H5_I32: case POPI_H5_U32: return 4;
    case POPI_H5_U8: return 1;
    }
    return 8;
}

popi_err_t popi_h5_create(popi_h5_t *h, const char *path)
{
    memset(h, 0, sizeof *h);
    h->file = H5I_INVALID_HID;
    h->fd = -1;
    size_t n = strlen(path) + 32;
    h->tmp_path = popi_xmalloc(n);
    snprintf(h->tmp_path, n, "%s.tmp.%ld", path, (long)getpid());
    h->final_path = popi_xstrdup(path);
    h->fd = open(h->tmp_path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (h->fd < 0) {
        popi_err_t rc = popi_err_set(POPI_EIO, "output: cannot create %s: %s", path, strerror(errno));
        popi_h5_abort(h);
        return rc;
    }
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* fixed library format bounds keep the bytes stable across runs */
    H5Pset_libver_bounds(fapl, H5F_LIBVER_EARLIEST, H5F_LIBVER_V18);
    H5Pset_fapl_core(fapl, (size_t)1 << 20, 0);
    h->file = H5Fcreate(h->tmp_path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (h->file < 0) {
        popi_err_t rc = popi_err_set(POPI_EHDF5, "output: HDF5 cannot create %s in memory", path);
        popi_h5_abort(h);
        return rc;
    }
    return POPI_OK;
}

/* Create every missing group along path's parent. */
static popi_err_t ensure_parents(hid_t file, const char *path)
{
    char buf[512];
    size_t n = strlen(path);
    if (n >= sizeof buf) return popi_err_set(POPI_EINVAL, "output: path too long: %s", path);
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        htri_t ex = H5Lexists(file, buf, H5P_DEFAULT);
        if (ex < 0) return popi_err_set(POPI_EHDF5, "output: cannot inspect group %s", buf);
        if (!ex) {
            hid_t g = H5Gcreate2(file, buf, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            if (g < 0) return popi_err_set(POPI_EHDF5, "output: cannot create group %s", buf);
            H5Gclose(g);
        }
        *p = '/';
    }
    return POPI_OK;
}

static popi_err_t attr_write(hid_t obj, const char *name, hid_t ftype, hid_t mtype, const void *v)
{
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = a >= 0 ? H5Awrite(a, mtype, v) : -1;
    if (a >= 0) H5Aclose(a);
    H5Sclose(space);
    return st < 0 ? popi_err_set(POPI_EHDF5, "output: cannot write attribute %s", name) : POPI_OK;
}

static popi_err_t attr_str_on(hid_t obj, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(value) + 1);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    H5Tset_cset(t, H5T_CSET_UTF8);
    popi_err_t rc = attr_write(obj, name, t, t, value);
    H5Tclose(t);
    return rc;
}

static popi_err_t with_object(popi_h5_t *h, const char *obj, hid_t *out)
{
    *out = H5Oopen(h->file, obj, H5P_DEFAULT);
    if (*out < 0) return popi_err_set(POPI_EHDF5, "output: no object %s", obj);
    return POPI_OK;
}

popi_err_t popi_h5_attr_str(popi_h5_t *h, const char *obj, const char *name, const char *value)
{
    hid_t o;
    popi_err_t rc = with_object(h, obj, &o);
    if (rc) return rc;
    rc = attr_str_on(o, name, value);
    H5Oclose(o);
    return rc;
}

#define ATTR_NUM(fn, ctype, ftype, mtype)                                                          \
    popi_err_t fn(popi_h5_t *h, const char *obj, const char *name, ctype value)                    \
    {                                                                                              \
        hid_t o;                                                                                   \
        popi_err_t rc = with_object(h, obj, &o);                                                   \
        if (rc) return rc;                                                                         \
        rc = attr_write(o, name, ftype, mtype, &value);                                            \
        H5Oclose(o);                                                                               \
        return rc;                                                                                 \
    }
ATTR_NUM(popi_h5_attr_i64, int64_t, H5T_STD_I64LE, H5T_NATIVE_INT64)
ATTR_NUM(popi_h5_attr_u64, uint64_t, H5T_STD_U64LE, H5T_NATIVE_UINT64)
ATTR_NUM(popi_h5_attr_f64, double, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE)

/* Dataset creation properties: chunked + deflate for large data, contiguous otherwise. */
static hid_t dcpl_for(size_t n, size_t row_bytes)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0); /* no timestamps: identical runs give identical bytes */
    if (n * row_bytes > 65536) {
        hsize_t chunk = 65536 / (row_bytes ? row_bytes : 1);
        if (chunk < 1) chunk = 1;
        H5Pset_chunk(dcpl, 1, &chunk);
        H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, 4);
    }
    return dcpl;
}

popi_err_t popi_h5_write_table(popi_h5_t *h, const popi_h5_table_t *t, const void *rows, size_t n)
{
    popi_err_t rc = ensure_parents(h->file, t->path);
    if (rc) return rc;
    hid_t mtype = H5Tcreate(H5T_COMPOUND, t->row_size);
    size_t fsize = 0;
    for (size_t k = 0; k < t->n_fields; k++) fsize += type_size(t->fields[k].type);
    hid_t ftype = H5Tcreate(H5T_COMPOUND, fsize);
    size_t off = 0;
    for (size_t k = 0; k < t->n_fields; k++) {
        const popi_h5_field_t *f = &t->fields[k];
        H5Tinsert(mtype, f->name, f->offset, native(f->type));
        H5Tinsert(ftype, f->name, off, filetype(f->type));
        off += type_size(f->type);
    }
    hsize_t dims = n;
    hid_t space = H5Screate_simple(1, &dims, NULL);
    hid_t dcpl = dcpl_for(n, fsize);
    hid_t ds = H5Dcreate2(h->file, t->path, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    rc = POPI_OK;
    if (ds < 0) {
        rc = popi_err_set(POPI_EHDF5, "output: cannot create dataset %s", t->path);
        goto cleanup;
    }
    if (n > 0 && H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) < 0) {
        rc = popi_err_set(POPI_EHDF5, "output: cannot write %zu rows to %s (disk full?)", n, t->path);
        goto cleanup;
    }
    if ((rc = attr_str_on(ds, "description", t->desc))) goto cleanup;
    for (size_t k = 0; k < t->n_fields && !rc; k++) {
        char name[160];
        snprintf(name, sizeof name, "%s.unit", t->fields[k].name);
        rc = attr_str_on(ds, name, t->fields[k].unit);
        if (rc) break;
        snprintf(name, sizeof name, "%s.description", t->fields[k].name);
        rc = attr_str_on(ds, name, t->fields[k].desc);
    }
cleanup:
    if (ds >= 0) H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Tclose(ftype);
    H5Tclose(mtype);
    return rc;
}

popi_err_t popi_h5_write_f64(popi_h5_t *h, const char *path, const double *v, size_t n, const char *unit,
                             const char *desc)
{
    popi_err_t rc = ensure_parents(h->file, path);
    if (rc) return rc;
    hsize_t dims = n;
    hid_t space = H5Screate_simple(1, &dims, NULL);
    hid_t dcpl = dcpl_for(n, 8);
    hid_t ds = H5Dcreate2(h->file, path, H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (ds < 0) {
        rc = popi_err_set(POPI_EHDF5, "output: cannot create dataset %s", path);
        goto cleanup;
    }
    if (n > 0 && H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) {
        rc = popi_err_set(POPI_EHDF5, "output: cannot write %s (disk full?)", path);
        goto cleanup;
    }
    if ((rc = attr_str_on(ds, "unit", unit))) goto cleanup;
    rc = attr_str_on(ds, "description", desc);
cleanup:
    if (ds >= 0) H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(space);
    return rc;
}

static popi_err_t write_all(int fd, const unsigned char *buf, size_t n, const char *path)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0)
            return popi_err_set(POPI_EIO, "output: cannot write %s: %s (disk full?)", path,
                                w < 0 ? strerror(errno) : "no progress");
        buf += w;
        n -= (size_t)w;
    }
    return POPI_OK;
}

popi_err_t popi_h5_commit(popi_h5_t *h)
{
    popi_err_t rc = POPI_OK;
    unsigned char *img = NULL;
    if (H5Fflush(h->file, H5F_SCOPE_GLOBAL) < 0)
        rc = popi_err_set(POPI_EHDF5, "output: HDF5 cannot flush %s", h->final_path);
    ssize_t size = rc ? -1 : H5Fget_file_image(h->file, NULL, 0);
    if (!rc && size <= 0) rc = popi_err_set(POPI_EHDF5, "output: HDF5 gave no image for %s", h->final_path);
    if (!rc) {
        img = popi_xmalloc((size_t)size);
        if (H5Fget_file_image(h->file, img, (size_t)size) != size)
            rc = popi_err_set(POPI_EHDF5, "output: HDF5 cannot copy the image of %s", h->final_path);
    }
    if (H5Fclose(h->file) < 0 && !rc)
        rc = popi_err_set(POPI_EHDF5, "output: HDF5 cannot close %s", h->final_path);
    h->file = H5I_INVALID_HID;
    if (!rc) rc = write_all(h->fd, img, (size_t)size, h->final_path);
    free(img);
    if (!rc && fsync(h->fd) != 0)
        rc = popi_err_set(POPI_EIO, "output: cannot sync %s: %s (disk full?)", h->final_path, strerror(errno));
    if (close(h->fd) != 0 && !rc)
        rc = popi_err_set(POPI_EIO, "output: cannot close %s: %s (disk full?)", h->final_path, strerror(errno));
    h->fd = -1;
    if (!rc && rename(h->tmp_path, h->final_path) != 0)
        rc = popi_err_set(POPI_EIO, "output: cannot rename %s to %s: %s", h->tmp_path, h->final_path,
                          strerror(errno));
    if (rc) unlink(h->tmp_path);
    free(h->tmp_path);
    free(h->final_path);
    h->tmp_path = h->final_path = NULL;
    return rc;
}

void popi_h5_abort(popi_h5_t *h)
{
    if (!h || !h->tmp_path) return; /* zeroed or already committed/aborted: nothing is open */
    if (h->file > 0) H5Fclose(h->file);
    h->file = H5I_INVALID_HID;
    if (h->fd >= 0) close(h->fd);
    h->fd = -1;
    if (h->tmp_path) unlink(h->tmp_path);
    free(h->tmp_path);
    free(h->final_path);
    h->tmp_path = h->final_path = NULL;
}
