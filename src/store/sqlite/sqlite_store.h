/* Internals of the SQLite store backend. */
#ifndef LT_SQLITE_STORE_H
#define LT_SQLITE_STORE_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>

#include "../store_impl.h"

int lt__sqlite_migrate(sqlite3 *db, struct lt_err *err);

#endif
