/* Internals of the auth module shared by its files. */
#ifndef HL_AUTH_INT_H
#define HL_AUTH_INT_H

#include "halong/auth.h"

/* 1 when `name` is a valid user name: 1 to 63 bytes of [a-z0-9._-]. */
int hl_auth__name_ok(const char *name);

#endif
