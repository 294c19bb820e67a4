/* What connected systems read, for the campaigns' catalogue_refreshed
 * check. The catalogue routes are hot, so a read is kept in
 * memory and written at most once a minute per system and kind: the
 * campaign needs when a system last read, to the minute, not every read.
 * Opening a campaign forgets the memory, so the first read after it is
 * written at once. On several nodes each keeps its own memory: a system's
 * time is then at most a minute behind. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "campaign_impl.h"
#include "lienthong/log.h"
#include "lienthong/text.h"

#define SLOTS 4096
#define THROTTLE_S 60

static struct {
	int64_t system_id;
	int what;
	time_t written;
} slots[SLOTS];
static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;

void lt__reads_forget(void)
{
	pthread_mutex_lock(&slots_mu);
	memset(slots, 0, sizeof slots);
	pthread_mutex_unlock(&slots_mu);
}

/* Whether this read must be written now; marks it written when so. A slot
 * holds one (system, kind): another that hashes to it takes it over, which
 * costs at most an early write. */
static bool due(int64_t system_id, int what, time_t now)
{
	size_t k = ((uint64_t)system_id * 2654435761u + (uint64_t)what) % SLOTS;
	pthread_mutex_lock(&slots_mu);
	bool write = slots[k].system_id != system_id || slots[k].what != what || now - slots[k].written >= THROTTLE_S;
	if (write) {
		slots[k].system_id = system_id;
		slots[k].what = what;
		slots[k].written = now;
	}
	pthread_mutex_unlock(&slots_mu);
	return write;
}

void lt_campaign_note_read(struct lt_registry *r, const struct lt_ctx *ctx, enum lt_read_kind what)
{
	if (ctx->who.role != LT_ROLE_SYSTEM || ctx->who.system_id <= 0)
		return;
	if (!due(ctx->who.system_id, (int)what, time(NULL)))
		return;
	char at[32];
	lt_time_now(at);
	struct lt_err e = {0};
	const char *kind = "catalogue";
	if (lt_store_read_note(lt_registry_store(r), ctx->who.system_id, kind, at, &e) != LT_OK) {
		lt_log_warnx("transition: cannot record that system %lld read the %s: %s",
			     (long long)ctx->who.system_id, kind, e.msg);
		/* Try again on its next read. */
		lt__reads_forget();
	}
}
