/* lienthongd: the HTTP daemon. Loads the configuration, opens the registry,
 * serves until SIGTERM or SIGINT, then lets in-flight requests finish and
 * closes the store. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "lienthong/log.h"
#include "lienthong/version.h"
#include "server.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: lienthongd [-c FILE] [-n] [--version] [--config-md]\n"
		     "  -c FILE       INI configuration file; every key can also be set as LIENTHONG_<KEY>\n"
		     "  -n            check the configuration and exit\n"
		     "  --config-md   print the configuration table as markdown (docs/config.md)\n\nkeys:\n");
	lt_config_help(out, false);
}

/* 1,000 clients need more descriptors than the usual soft limit of 1,024. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int open_access_log(struct server *srv, struct lt_err *err)
{
	const char *p = srv->cfg.access_log;
	if (!p[0])
		return LT_OK;
	if (strcmp(p, "-") == 0) {
		srv->access_log = stderr;
		return LT_OK;
	}
	srv->access_log = fopen(p, "a");
	if (!srv->access_log)
		return lt_err_set(err, LT_EIO, "cannot open access log %s", p);
	return LT_OK;
}

int main(int argc, char **argv)
{
	static struct server srv;
	struct lt_err err = {0};
	const char *conf = NULL;
	int check_only = 0;
	lt_config_defaults(&srv.cfg);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			conf = argv[++i];
		else if (strcmp(argv[i], "-n") == 0)
			check_only = 1;
		else if (strcmp(argv[i], "--version") == 0)
			return printf("lienthongd %s\n", LIENTHONG_VERSION), 0;
		else if (strcmp(argv[i], "--config-md") == 0)
			return lt_config_help(stdout, true), 0;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return usage(stdout), 0;
		else
			return usage(stderr), 2;
	}
	if ((conf && lt_config_load_file(&srv.cfg, conf, &err)) || lt_config_load_env(&srv.cfg, &err)) {
		lt_log_errorx("%s", err.msg);
		return 2;
	}
	lt_log_set_level((enum lt_log_level)srv.cfg.log_level);
	if (check_only) {
		printf("configuration OK\n");
		return 0;
	}
	raise_fd_limit();
	/* Signals are taken by sigwait in this thread only; a closed client
	 * socket must not kill the daemon. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_mutex_init(&srv.log_lock, NULL);
	pthread_mutex_init(&srv.write_lock, NULL);

	int rc = 3;
	if (lt_registry_open(&srv.reg, srv.cfg.db, &err) ||
	    lt_seal_key_in(srv.cfg.data_dir, true, srv.seal_key, &err) || open_access_log(&srv, &err)) {
		lt_log_errorx("%s", err.msg);
		goto out;
	}
	srv.store = lt_registry_store(srv.reg);
	lt_registry_set_actor(srv.reg, "http");
	if (!(srv.metrics = metrics_new())) {
		lt_log_errorx("out of memory");
		goto out;
	}
	if (server_start(&srv, &err)) {
		lt_log_errorx("%s", err.msg);
		goto out;
	}
	lt_log_info("lienthongd %s listening on %s (port %d), database %s", LIENTHONG_VERSION, srv.cfg.listen,
		    server_port(&srv), srv.cfg.db);
	int sig = 0;
	sigwait(&sigs, &sig);
	lt_log_info("received %s: finishing in-flight requests", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	server_stop(&srv, 10);
	lt_log_info("stopped");
	rc = 0;
out:
	metrics_free(srv.metrics);
	lt_registry_close(srv.reg);
	if (srv.access_log && srv.access_log != stderr)
		fclose(srv.access_log);
	return rc;
}
