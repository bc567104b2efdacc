/*
 * Logging to stderr with syslog priority prefixes ("<3>message"), the form
 * systemd-journald and most supervisors understand.  Thread-safe: one
 * write(2) per line.  Never pass a credential, a full device token or a
 * message body at LOG_INFO or above.
 */
#ifndef HERALD_COMMON_LOG_H
#define HERALD_COMMON_LOG_H

#include <stdarg.h>
#include <syslog.h>

/* Only messages at this priority or more urgent are written (default LOG_INFO). */
void log_set_level(int priority);
int log_get_level(void);

/* Parse "debug", "info", "notice", "warning", "err"/"error", "crit"; -1 if unknown. */
int log_level_parse(const char *name);

void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int priority, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define log_err(...)	 log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	 log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	 log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	 log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
