/* Internals of the campaign files of src/transition. */
#ifndef LT_CAMPAIGN_IMPL_H
#define LT_CAMPAIGN_IMPL_H

#include "lienthong/campaigns.h"
#include "lienthong/store_campaigns.h"

/* Forget which reads were recorded lately, so the first read of each
 * system after a campaign opens is recorded at once (reads.c). */
void lt__reads_forget(void);
/* The campaign with access checked for who (lt_access_campaign). */
int lt__campaign_load(struct lt_store *s, const struct lt_principal *who, int64_t id, struct lt_campaign_row *out,
		      struct lt_err *err);
/* Appends o (stolen; NULL: out of memory) to a. */
int lt__append(json_t *a, json_t *o, struct lt_err *err);

#endif
