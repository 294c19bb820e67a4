/* Runs a command and writes its peak RSS (kB) and CPU seconds to a file:
 *
 *   peakrss OUT CMD [ARGS...]      OUT gets "maxrss_kb user_s sys_s"
 *
 * The benchmarks need it because a child forked straight from the Python
 * driver inherits the driver's resident pages until exec, and Linux keeps
 * that high-water mark in the child's ru_maxrss; forked from this small
 * program instead, the command's own peak is what wait4 reports. Exits with
 * the command's status. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: peakrss OUT CMD [ARGS...]\n");
		return 2;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 3;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("wait4");
		return 3;
	}
	FILE *f = fopen(argv[1], "w");
	if (f) {
		fprintf(f, "%ld %ld.%06ld %ld.%06ld\n", ru.ru_maxrss, (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
			(long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
		fclose(f);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
