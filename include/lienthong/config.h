/* Configuration: one typed table of keys (name, type, default, bounds, help)
 * from which the INI parser, the LIENTHONG_<KEY> overrides, --help and
 * docs/config.md all follow. */
#ifndef LIENTHONG_CONFIG_H
#define LIENTHONG_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lienthong/err.h"

enum lt_sig_policy { LT_SIG_OFF = 0, LT_SIG_FLAG, LT_SIG_REQUIRE };

struct lt_config {
	char listen[128];    /* host:port */
	char db[1024];       /* SQLite path or postgresql:// URI */
	char data_dir[1024]; /* package bodies, keys */
	int64_t max_package_bytes;
	int64_t max_request_file_bytes; /* one file attached to a change request */
	int signature_policy;           /* enum lt_sig_policy */
	int64_t verify_max_bytes;       /* memory all signature verifications may hold at once */
	bool public_read;
	int log_level; /* enum lt_log_level */
	int64_t threads;
	int64_t lookup_cache_entries;
	int64_t token_cache_entries;
	int64_t db_cache_mib; /* the store's page cache (lt_store_set_cache_mib) */
	int64_t vxp_utc_offset; /* minutes east of UTC of the VXP clients' clocks */ /* replies of GET /v1/units/{code}
											kept; 0 = none */
	int64_t max_connections;
	int64_t max_connections_per_ip;
	int64_t connection_timeout; /* seconds */
	int64_t max_body_bytes;     /* JSON bodies on the catalogue API */
	int64_t max_bulk_bytes;     /* bulk bodies (dmdc records) */
	int64_t vxp_max_clock_skew; /* seconds; 0 = off */
	bool vxp_agency_ops;        /* registerAgency and deleteAgency answered */
	int64_t vxp_sent_days;      /* getSentEdocList's window; 0 = all */
	int64_t vxp_sent_max;       /* getSentEdocList's most documents */
	int64_t retention_days;     /* 0 = keep acknowledged bodies forever */
	int64_t hold_days;          /* days a delivery waits for a receiving system */
	char access_log[1024];      /* path, "-" for stderr, "" for none */
	char trusted_ca[1024];      /* CA certificates for signature binding */
	char web_dir[1024];         /* the web UI's files; "" = beside the binary */
	char issue_journal[1024];   /* the issue journal, kept apart from db and its backups; "" = none */
	/* Federation: the subtrees this hub serves and the hub above it. */
	char local_scope[1024];      /* comma-separated subtree roots; "" = every code is local */
	char upstream_url[1024];     /* "" = no upstream */
	int upstream_protocol;       /* enum lt_upstream_protocol */
	char upstream_system_id[64]; /* VXP systemid */
	char upstream_secret[256];   /* VXP HMAC key; never logged nor dumped */
	char upstream_token[256];    /* lienthong bearer token; never logged nor dumped */
	int64_t relay_backoff_max;   /* seconds, cap of the relay's exponential back-off */
	int64_t upstream_poll_wait;  /* seconds a long poll of the upstream inbox may wait */
	/* The catalogue across hubs: the mirror of the upstream's catalogue and
	 * publication of this hub's changes to it (docs/catalogue-mirror.md). */
	char upstream_public_key[128];    /* "ed25519:<base64>"; "" = unsigned data taken */
	int64_t catalogue_max_age;        /* seconds after which the mirror is stale */
	int64_t catalogue_poll_seconds;   /* seconds between two looks at the upstream's feed */
	int64_t publish_seconds;          /* a change in scope reaches the upstream within this */
	char upstream_publish_token[256]; /* manager token at the upstream; "" = upstream_token */
	char catalogue_publish_url[1024]; /* "" = upstream_url */
	int catalogue_publish_protocol;   /* enum lt_publish_protocol */
	char display_tz[64];              /* the zone the CLI shows times in */
	char hub_code[32];                /* the code the hub sends its own packages (probes) as; "" = none */
};

enum lt_upstream_protocol { LT_UPSTREAM_LIENTHONG = 0, LT_UPSTREAM_VXP };
enum lt_publish_protocol { LT_PUBLISH_LIENTHONG = 0, LT_PUBLISH_DMDC };

/* Checks what no single key can: the upstream keys together (a URL needs
 * its protocol's credentials and a local_scope), every local_scope root a
 * code. Start-up and `lienthongd -n` both call it. */
int lt_config_validate(const struct lt_config *cfg, struct lt_err *err);

/* Calls fn for each root of local_scope, already validated. */
int lt_config_scope_each(const char *scope, int (*fn)(void *arg, const char *code), void *arg);

/* Fills cfg with every default. */
void lt_config_defaults(struct lt_config *cfg);

/* Loads an INI file (keys at top level or under [lienthong]) over cfg.
 * A bad key or value names the file and line. */
int lt_config_load_file(struct lt_config *cfg, const char *path, struct lt_err *err);

/* Applies LIENTHONG_<KEY> variables from the environment over cfg. */
int lt_config_load_env(struct lt_config *cfg, struct lt_err *err);

/* Sets one key from text, as the file and the environment do. */
int lt_config_set(struct lt_config *cfg, const char *key, const char *value, struct lt_err *err);

/* Prints "key = value" lines, for -n and debugging. */
void lt_config_dump(const struct lt_config *cfg, FILE *out);

/* Prints the table as help text (markdown when md is true). */
void lt_config_help(FILE *out, bool md);

#endif
