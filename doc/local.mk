# doc/: man pages.
dist_man_MANS += doc/man/herald.1 doc/man/heraldd.8 doc/man/herald.conf.5 doc/man/herald-emulator.1
dist_man_MANS += doc/man/herald-driver.7

# The out-of-tree example driver, built against the INSTALLED SDK alone: only
# the installed herald-driver.pc is visible to pkg-config (PKG_CONFIG_LIBDIR),
# and the header comes from where it points.  `make distcheck` runs this.
EXAMPLE_DRIVER = doc/examples/driver/Makefile doc/examples/driver/example.c \
	doc/examples/driver/README
EXTRA_DIST += $(EXAMPLE_DRIVER)
example_driver_build = example-driver-build
installcheck-local: installcheck-driver-example
installcheck-driver-example:
	rm -rf $(example_driver_build)
	mkdir $(example_driver_build)
	cd $(srcdir) && cp $(EXAMPLE_DRIVER) $(abs_builddir)/$(example_driver_build)/
	chmod u+w $(example_driver_build)/*
	PKG_CONFIG_LIBDIR='$(DESTDIR)$(pkgconfigdir)' PKG_CONFIG_SYSROOT_DIR='$(DESTDIR)' \
		$(MAKE) -C $(example_driver_build) CC='$(CC)' install \
		DESTDIR='$(abs_builddir)/$(example_driver_build)/stage'
	@set -e; d=$(example_driver_build); \
	test -f $$d/stage$(driverdir)/example.so || \
	test -f $$d/stage$(DESTDIR)$(driverdir)/example.so || \
		{ echo "example driver not installed into $(driverdir)"; exit 1; }; \
	syms=$$(nm -D --defined-only $$d/example.so | awk '$$2 == "T" {print $$3}'); \
	test "$$syms" = herald_driver_query || \
		{ echo "example.so exports '$$syms', want only herald_driver_query"; exit 1; }
	rm -rf $(example_driver_build)
	@echo "example driver built against the installed SDK and installed into driverdir"
clean-local: clean-driver-example
clean-driver-example:
	rm -rf $(example_driver_build)
.PHONY: installcheck-driver-example clean-driver-example
