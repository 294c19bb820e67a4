/* Dispatch of the catalogue-federation store calls to the backend. */
#include "catalogue_ops.h"
#include "store_impl.h"

#define CDISPATCH(call) return s->ops->catalogue->call

int lt_store_mirror_put(struct lt_store *s, const char *code, const char *parent, const char *status, const char *data,
			struct lt_err *err)
{
	CDISPATCH(mirror_put(s, code, parent, status, data, err));
}
int lt_store_mirror_get(struct lt_store *s, const char *code, char **data, struct lt_err *err)
{
	CDISPATCH(mirror_get(s, code, data, err));
}
int lt_store_mirror_clear(struct lt_store *s, struct lt_err *err) { CDISPATCH(mirror_clear(s, err)); }
int lt_store_mirror_count(struct lt_store *s, int64_t *n, struct lt_err *err) { CDISPATCH(mirror_count(s, n, err)); }
int lt_store_fed_get(struct lt_store *s, const char *key, char **value, struct lt_err *err)
{
	CDISPATCH(fed_get(s, key, value, err));
}
int lt_store_fed_set(struct lt_store *s, const char *key, const char *value, struct lt_err *err)
{
	CDISPATCH(fed_set(s, key, value, err));
}
int lt_store_upload_set(struct lt_store *s, int64_t change_id, const char *at, struct lt_err *err)
{
	CDISPATCH(upload_set(s, change_id, at, err));
}
int lt_store_upload_get(struct lt_store *s, int64_t change_id, char at[32], struct lt_err *err)
{
	CDISPATCH(upload_get(s, change_id, at, err));
}
