/*
 * fault.h: the wrappers that the fault-injection build (SVD_FAULT=ON) puts
 * in place of the C library calls of libsamvydav.a; see fault.c. Each has the
 * signature of the call it stands for.
 */
#ifndef SVD_FAULT_H
#define SVD_FAULT_H

#include <stdio.h>
#include <sys/types.h>

void *svd_fault_malloc(size_t size);
void *svd_fault_calloc(size_t n, size_t size);
void *svd_fault_realloc(void *p, size_t size);
char *svd_fault_strdup(const char *s);
char *svd_fault_strndup(const char *s, size_t n);
int svd_fault_asprintf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
ssize_t svd_fault_write(int fd, const void *buf, size_t n);
ssize_t svd_fault_pwrite(int fd, const void *buf, size_t n, off_t offset);
int svd_fault_fsync(int fd);
int svd_fault_fdatasync(int fd);
int svd_fault_rename(const char *from, const char *to);
int svd_fault_link(const char *from, const char *to);
int svd_fault_open(const char *path, int flags, ...);
int svd_fault_mkostemp(char *tmpl, int flags);
int svd_fault_mkdir(const char *path, mode_t mode);
int svd_fault_ftruncate(int fd, off_t length);
int svd_fault_fallocate(int fd, int mode, off_t offset, off_t len);
ssize_t svd_fault_copy_file_range(int in, off_t *in_off, int out, off_t *out_off, size_t len,
                                  unsigned int flags);
FILE *svd_fault_fopen(const char *path, const char *mode);

#endif
