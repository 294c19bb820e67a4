/* Access tables in SQLite: bearer tokens (hashes only) and connected systems
 * with the codes they speak for. */
#include <stdlib.h>
#include <string.h>

#include "sqlite_store.h"

void lt__sq_access_ops(struct lt_store_ops *ops)
{
	(void)ops;
}
