# etc/: the documented configuration file.
heraldconfdir = $(sysconfdir)/herald
dist_heraldconf_DATA = etc/herald.conf
