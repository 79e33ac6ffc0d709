/* SPDX-License-Identifier: MIT */
/*
 * h5out.h - the HDF5 recorder: self-describing tables written atomically.
 *
 * A table is described once by a static array of fields (name, type, offset in the row struct,
 * unit, description); the same description writes the compound dataset and its attributes
 * (`description`, and `<field>.unit` / `<field>.description` per field), so a Python user reads
 * names and units with h5py alone. The file is written under a temporary name in the target's
 * folder and renamed onto the target only by popi_h5_commit, after the image was written and
 * fsync'ed: an interrupted or failed run never leaves a file that looks complete. The file is
 * assembled in memory, so a run's output must fit in memory once more.
 */
#ifndef POPI_H5OUT_H
#define POPI_H5OUT_H

#include "popi/common.h"

#include <hdf5.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    POPI_H5_F64,
    POPI_H5_F32,
    POPI_H5_I64,
    POPI_H5_U64,
    POPI_H5_I32,
    POPI_H5_U32,
    POPI_H5_U8
} popi_h5_type_t;

typedef struct {
    const char *name;
    popi_h5_type_t type;
    size_t offset;     /**< offsetof(row struct, field) */
    const char *unit;  /**< "s", "m", "dBm", "1" for counts ... */
    const char *desc;
} popi_h5_field_t;

/** One field of a table of row struct @p st: its member @p f, type, unit and description. */
#define POPI_H5_FIELD(st, f, ty, u, d) {#f, ty, offsetof(st, f), u, d}

typedef struct {
    const char *path;  /**< "/contacts/events"; parent groups are created */
    const char *desc;
    const popi_h5_field_t *fields;
    size_t n_fields;
    size_t row_size;   /**< sizeof(row struct) */
} popi_h5_table_t;

typedef struct {
    hid_t file;       /**< in-memory HDF5 file (core driver) */
    int fd;           /**< the temporary file, open for writing, -1 when closed */
    char *final_path;
    char *tmp_path;
} popi_h5_t;

/** A table at @p path of rows @p st described by the static array @p fields. */
#define POPI_H5_TABLE(path, desc, fields, st)                                                      \
    {path, desc, fields, sizeof fields / sizeof fields[0], sizeof(st)}

/**
 * Create the temporary file next to @p path. Errors: POPI_EHDF5/POPI_EIO naming the path (folder
 * missing or not writable). On failure nothing is left on disk.
 */
popi_err_t popi_h5_create(popi_h5_t *h, const char *path);

/** Write @p n rows (chunked and compressed when large). Errors: POPI_EHDF5 naming the table. */
popi_err_t popi_h5_write_table(popi_h5_t *h, const popi_h5_table_t *t, const void *rows, size_t n);

/** Write a 1-D float64 dataset with a unit and description. */
popi_err_t popi_h5_write_f64(popi_h5_t *h, const char *path, const double *v, size_t n, const char *unit,
                             const char *desc);

/** String / integer / float attributes on the object at @p obj ("/" for the root). */
popi_err_t popi_h5_attr_str(popi_h5_t *h, const char *obj, const char *name, const char *value);
popi_err_t popi_h5_attr_i64(popi_h5_t *h, const char *obj, const char *name, int64_t value);
popi_err_t popi_h5_attr_u64(popi_h5_t *h, const char *obj, const char *name, uint64_t value);
popi_err_t popi_h5_attr_f64(popi_h5_t *h, const char *obj, const char *name, double value);

/**
 * Close the file, fsync it, and rename it onto the final path. Errors: POPI_EHDF5 or POPI_EIO
 * (disk full, rename failed); on error the temporary file is removed and the target untouched.
 */
popi_err_t popi_h5_commit(popi_h5_t *h);

/** Close and remove the temporary file. Accepts a zeroed, failed or committed recorder. */
void popi_h5_abort(popi_h5_t *h);

#ifdef __cplusplus
}
#endif
#endif
