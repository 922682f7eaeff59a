# SPDX-License-Identifier: MIT
# --- sample configuration (owned by the config/hooks work) ---
# The annotated reference configuration is installed; the quick-start demo's
# configuration is used from the source tree only.
dist_sysconf_DATA += etc/ioreqd.conf
EXTRA_DIST += etc/demo.conf

# --- xl launch (owned by the xl-launch work) ---
# The systemd template unit is installed with its paths rewritten to this
# build's sbindir and sysconfdir; the xl examples and their guide go to docdir.
systemdunitdir = $(prefix)/lib/systemd/system
ioreqd_xl_examplesdir = $(docdir)/examples
dist_ioreqd_xl_examples_DATA = etc/xl-pvh-x86.cfg etc/xl-hvm-x86.cfg etc/xl-arm.cfg \
	docs/xl-launch.md
# ioreqd --watch (libxl's virtio disks): its guide and an xl example.
dist_ioreqd_xl_examples_DATA += docs/watch.md etc/xl-arm-virtio-disk.cfg
EXTRA_DIST += etc/ioreqd@.service etc/ioreqd-watch.service
install-data-local: install-ioreqd-unit
uninstall-local: uninstall-ioreqd-unit
install-ioreqd-unit:
	$(MKDIR_P) '$(DESTDIR)$(systemdunitdir)'
	sed -e 's|/usr/sbin/ioreqd|$(sbindir)/ioreqd|g' \
	    -e 's|/etc/ioreqd|$(sysconfdir)/ioreqd|g' \
	    -e 's|/usr/share/doc/ioreqd|$(docdir)|g' \
	    '$(srcdir)/etc/ioreqd@.service' > '$(DESTDIR)$(systemdunitdir)/ioreqd@.service'
	sed -e 's|/usr/sbin/ioreqd|$(sbindir)/ioreqd|g' \
	    -e 's|/etc/ioreqd|$(sysconfdir)/ioreqd|g' \
	    -e 's|/usr/share/doc/ioreqd|$(docdir)|g' \
	    '$(srcdir)/etc/ioreqd-watch.service' > '$(DESTDIR)$(systemdunitdir)/ioreqd-watch.service'
uninstall-ioreqd-unit:
	rm -f '$(DESTDIR)$(systemdunitdir)/ioreqd@.service'
	rm -f '$(DESTDIR)$(systemdunitdir)/ioreqd-watch.service'
.PHONY: install-ioreqd-unit uninstall-ioreqd-unit
