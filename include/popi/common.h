/* SPDX-License-Identifier: MIT */
/*
 * common.h - error codes, the error message, allocation and assertions shared by every module.
 *
 * Fallible functions return popi_err_t (POPI_OK == 0) and leave a message naming the function
 * and the offending value in a per-thread buffer (errno-style; it holds no simulation state, so
 * a run stays a value). Out of memory is not an error code: popi_xmalloc() and friends abort with
 * the size, since no caller can recover from it meaningfully.
 */
#ifndef POPI_COMMON_H
#define POPI_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Error codes. 0 is success; each other value is one class of failure. */
typedef enum {
    POPI_OK = 0,
    POPI_EINVAL = 1,   /**< invalid argument or scenario value (out of range, wrong type) */
    POPI_EPARSE = 2,   /**< malformed input text (JSON, trace line, map file) */
    POPI_EIO = 3,      /**< file could not be opened, read, written or renamed */
    POPI_EHDF5 = 4,    /**< the HDF5 library reported a failure */
    POPI_ELIB = 5,     /**< another library (igraph, GSL, libsodium) reported a failure */
    POPI_ENOTFOUND = 6,/**< a named thing (key, file, engine) does not exist */
    POPI_ESTATE = 7,   /**< call not valid in the object's current state */
    POPI_EUNREACH = 8, /**< no obstacle-free path between two points */
    POPI_EFORMAT = 9,  /**< binary or structured data breaks its format */
    POPI_ERR__COUNT
} popi_err_t;

/** Simulated time in integer microseconds since the start of the run. */
typedef int64_t popi_time_t;

#define POPI_US_PER_S INT64_C(1000000)
#define POPI_TIME_NEVER INT64_MAX

/** Seconds (double) to microseconds, rounded to nearest. */
popi_time_t popi_time_from_s(double s);
/** Microseconds to seconds (double). */
static inline double popi_time_to_s(popi_time_t t) { return (double)t * 1e-6; }

/**
 * Record an error message for the calling thread and return @p code, so that callers write
 * `return popi_err_set(POPI_EINVAL, "world: cell_m must be > 0, got %g", v);`.
 * The message is printf-formatted and truncated to 1023 bytes.
 */
popi_err_t popi_err_set(popi_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** Prefix the current message with "<prefix>: " (adds context while unwinding). Returns @p code. */
popi_err_t popi_err_wrap(popi_err_t code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** The last message recorded on this thread ("" if none). Valid until the next popi_err_set. */
const char *popi_err_message(void);

/** Clear this thread's error message. */
void popi_err_clear(void);

/** Short name of an error code ("EINVAL", ...). */
const char *popi_err_name(popi_err_t code);

/** malloc/calloc/realloc that abort with the requested size on failure. Never return NULL. */
void *popi_xmalloc(size_t size);
void *popi_xcalloc(size_t n, size_t size);
void *popi_xrealloc(void *p, size_t size);
/** Duplicate a NUL-terminated string (NULL gives NULL). */
char *popi_xstrdup(const char *s);

/** Grow a dynamic array so that it holds at least @p need elements (amortised doubling). */
#define POPI_GROW(ptr, cap, need)                                                              \
    do {                                                                                       \
        if ((size_t)(need) > (cap)) {                                                          \
            size_t popi_nc_ = (cap) ? (cap) : 16;                                              \
            while (popi_nc_ < (size_t)(need)) popi_nc_ *= 2;                                   \
            (ptr) = popi_xrealloc((ptr), popi_nc_ * sizeof *(ptr));                            \
            (cap) = popi_nc_;                                                                  \
        }                                                                                      \
    } while (0)

/** Internal invariant check: aborts with file and line. Never used for user-reachable input. */
void popi_assert_fail(const char *expr, const char *file, int line) __attribute__((noreturn));
#define POPI_ASSERT(e) ((e) ? (void)0 : popi_assert_fail(#e, __FILE__, __LINE__))

/** Program version string ("0.1.0"). */
const char *popi_version(void);

#ifdef __cplusplus
}
#endif
#endif
