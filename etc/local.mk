# etc/: the documented configuration file, the systemd unit and sysusers.d snippet.
heraldconfdir = $(sysconfdir)/herald
dist_heraldconf_DATA = etc/herald.conf

# The unit is generated so that it names the installed heraldd; it is
# installed only when configure was given --with-systemdsystemunitdir.
etc/heraldd.service: $(top_srcdir)/etc/heraldd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc && sed -e 's|@sbindir[@]|$(sbindir)|g' \
		-e 's|@sysconfdir[@]|$(sysconfdir)|g' $(top_srcdir)/etc/heraldd.service.in >$@
noinst_DATA += etc/heraldd.service
CLEANFILES += etc/heraldd.service
EXTRA_DIST += etc/heraldd.service.in etc/sysusers.d/herald.conf
if HAVE_SYSTEMD
systemdsystemunit_DATA = etc/heraldd.service
sysusers_DATA = etc/sysusers.d/herald.conf
endif
