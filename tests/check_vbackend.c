/* SPDX-License-Identifier: MIT */
/*
 * Tests for lib/xl/vbackend.c: libxl's virtio backend entries as Xen 4.17
 * (backend/virtio_disk, decimal base) and 4.18+ (backend/virtio, hex base,
 * type, grant_usage) write them, every bad input the watcher must survive,
 * the handshake's next step, and the configuration text.  The 4.17 key set
 * is the one seen on a real Xen 4.17 dom0 (shared/virtio-on-xen.md).
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "vbackend.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* What libxl 4.17.7 wrote for xvda of domain 1 on the test machine. */
static const struct ioreqd_vbe_kv disk417[] = {
    {"frontend", "/local/domain/1/device/virtio_disk/51712"},
    {"frontend-id", "1"},
    {"online", "1"},
    {"removable", "0"},
    {"bootable", "1"},
    {"state", "1"},
    {"dev", "xvda"},
    {"type", "standalone"},
    {"mode", "w"},
    {"device-type", "disk"},
    {"discard-enable", "1"},
    {"specification", "virtio"},
    {"transport", "mmio"},
    {"params", "/dev/loop0"},
    {"base", "33554432"},
    {"irq", "33"},
};

/* What libxl 4.18's libxl__set_xenstore_virtio writes, plus params. */
static const struct ioreqd_vbe_kv virtio418[] = {
    {"frontend", "/local/domain/3/device/virtio/0"},
    {"frontend-id", "3"},
    {"online", "1"},
    {"state", "1"},
    {"irq", "34"},
    {"base", "0x2000200"},
    {"type", "virtio,device2"},
    {"transport", "mmio"},
    {"grant_usage", "1"},
    {"params", "/var/lib/xen/disk.img"},
};

static char err[IOREQD_VBE_ERRLEN];

/* Parse @p base with key @p key replaced by @p value (NULL: removed). */
static int parse_with(enum ioreqd_vbe_kind kind, const struct ioreqd_vbe_kv *base,
                      size_t n, const char *key, const char *value,
                      struct ioreqd_vbe_dev *dev)
{
	struct ioreqd_vbe_kv kv[32];
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		if (key && !strcmp(base[i].key, key)) {
			if (!value)
				continue;
			kv[m] = base[i];
			kv[m++].value = value;
			continue;
		}
		kv[m++] = base[i];
	}
	return ioreqd_vbe_parse(kind, kind == IOREQD_VBE_VIRTIO ? 3 : 1,
	                        kind == IOREQD_VBE_VIRTIO ? 0 : 51712, kv, m, dev, err,
	                        sizeof(err));
}

static int parse417(const char *key, const char *value, struct ioreqd_vbe_dev *dev)
{
	return parse_with(IOREQD_VBE_VIRTIO_DISK, disk417, N(disk417), key, value, dev);
}

static int parse418(const char *key, const char *value, struct ioreqd_vbe_dev *dev)
{
	return parse_with(IOREQD_VBE_VIRTIO, virtio418, N(virtio418), key, value, dev);
}

START_TEST(xen417_disk_parses)
{
	struct ioreqd_vbe_dev d;

	ck_assert_int_eq(parse417(NULL, NULL, &d), 0);
	ck_assert_int_eq(d.kind, IOREQD_VBE_VIRTIO_DISK);
	ck_assert_uint_eq(d.domid, 1);
	ck_assert_uint_eq(d.devid, 51712);
	ck_assert_int_eq(d.state, 1);
	ck_assert(d.online);
	ck_assert_uint_eq(d.base, 0x2000000);
	ck_assert_uint_eq(d.irq, 33);
	ck_assert_str_eq(d.path, "/dev/loop0");
	ck_assert(!d.readonly);
	ck_assert(!d.grant_usage);
}
END_TEST

START_TEST(xen418_virtio_parses_hex_base_and_grants)
{
	struct ioreqd_vbe_dev d;

	ck_assert_int_eq(parse418(NULL, NULL, &d), 0);
	ck_assert_int_eq(d.kind, IOREQD_VBE_VIRTIO);
	ck_assert_uint_eq(d.base, 0x2000200);
	ck_assert_uint_eq(d.irq, 34);
	ck_assert(d.grant_usage);
	ck_assert_int_eq(parse418("type", "virtio,device", &d), 0);
	ck_assert_int_eq(parse418("grant_usage", NULL, &d), 0);
	ck_assert(!d.grant_usage);
}
END_TEST

START_TEST(mode_r_is_readonly)
{
	struct ioreqd_vbe_dev d;

	ck_assert_int_eq(parse417("mode", "r", &d), 0);
	ck_assert(d.readonly);
	ck_assert_int_eq(parse417("mode", NULL, &d), 0);
	ck_assert(!d.readonly);
	ck_assert_int_eq(parse417("mode", "rw", &d), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "mode 'rw'"));
}
END_TEST

/* Keys written one by one: each missing one is "not yet", naming it. */
START_TEST(missing_keys_are_not_yet)
{
	static const char *const needed[] = {"state", "base", "irq", "params"};
	struct ioreqd_vbe_dev d;

	for (size_t i = 0; i < N(needed); i++) {
		ck_assert_int_eq(parse417(needed[i], NULL, &d), -EAGAIN);
		ck_assert_ptr_nonnull(strstr(err, "domain 1 virtio_disk device 51712"));
		if (strcmp(needed[i], "state"))
			ck_assert_ptr_nonnull(strstr(err, needed[i]));
	}
	ck_assert_int_eq(parse418("type", NULL, &d), -EAGAIN);
	ck_assert_int_eq(parse418("params", NULL, &d), -EAGAIN);
	ck_assert_ptr_nonnull(strstr(err, "write params"));
	/* Nothing at all yet. */
	ck_assert_int_eq(
	    ioreqd_vbe_parse(IOREQD_VBE_VIRTIO_DISK, 1, 2, NULL, 0, &d, err, sizeof(err)),
	    -EAGAIN);
}
END_TEST

START_TEST(malformed_base_is_refused)
{
	static const char *const bad[] = {"",
	                                  "x",
	                                  "0x",
	                                  "12ab",
	                                  "-512",
	                                  "0",
	                                  "33554433",
	                                  "0x2000100",
	                                  "18446744073709551615",
	                                  "99999999999999999999999",
	                                  " 33554432"};
	struct ioreqd_vbe_dev d;

	for (size_t i = 0; i < N(bad); i++) {
		ck_assert_msg(parse417("base", bad[i], &d) == -EINVAL, "base '%s'",
		              bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "base"));
		ck_assert_ptr_nonnull(strstr(err, "domain 1 virtio_disk device 51712"));
	}
	/* libxl's second window is 0x200-aligned, not page-aligned: accepted. */
	ck_assert_int_eq(parse417("base", "33554944", &d), 0);
	ck_assert_uint_eq(d.base, 0x2000200);
	ck_assert_int_eq(parse417("base", "0X2000200", &d), 0);
}
END_TEST

START_TEST(malformed_irq_is_refused)
{
	static const char *const bad[] = {"", "spi33", "0", "1020", "33 ", "0x", "-1"};
	struct ioreqd_vbe_dev d;

	for (size_t i = 0; i < N(bad); i++) {
		ck_assert_msg(parse417("irq", bad[i], &d) == -EINVAL, "irq '%s'", bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "irq"));
	}
	ck_assert_int_eq(parse417("irq", "0x21", &d), 0);
	ck_assert_uint_eq(d.irq, 33);
}
END_TEST

START_TEST(bad_params_is_refused)
{
	static const char *const bad[] = {"",      "loop0",  "/dev/loop0 ", "/a\nb",
	                                  "/a ;b", "/a\t;b", "/x\x7f"};
	struct ioreqd_vbe_dev d;
	char *longp = malloc(IOREQD_VBE_PATH_MAX + 2);

	for (size_t i = 0; i < N(bad); i++) {
		ck_assert_msg(parse417("params", bad[i], &d) == -EINVAL, "params '%s'",
		              bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "params"));
	}
	memset(longp, 'a', IOREQD_VBE_PATH_MAX + 1);
	longp[0] = '/';
	longp[IOREQD_VBE_PATH_MAX + 1] = '\0';
	ck_assert_int_eq(parse417("params", longp, &d), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "too long"));
	free(longp);
	/* A ';' that is not a comment is fine. */
	ck_assert_int_eq(parse417("params", "/srv/a;b", &d), 0);
}
END_TEST

START_TEST(other_bad_keys_are_refused)
{
	struct ioreqd_vbe_dev d;

	ck_assert_int_eq(parse417("transport", "pci", &d), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "transport"));
	ck_assert_int_eq(parse418("type", "virtio,device22", &d), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "virtio,device22"));
	ck_assert_int_eq(parse418("grant_usage", "yes", &d), -EINVAL);
	ck_assert_int_eq(parse417("state", "Initialising", &d), -EINVAL);
	ck_assert_int_eq(parse417("state", "9", &d), -EINVAL);
	ck_assert_int_eq(d.state, -1);
}
END_TEST

START_TEST(duplicate_key_is_refused)
{
	struct ioreqd_vbe_kv kv[N(disk417) + 1];
	struct ioreqd_vbe_dev d;

	memcpy(kv, disk417, sizeof(disk417));
	kv[N(disk417)] = (struct ioreqd_vbe_kv){"base", "33554944"};
	ck_assert_int_eq(ioreqd_vbe_parse(IOREQD_VBE_VIRTIO_DISK, 1, 51712, kv, N(kv), &d,
	                                  err, sizeof(err)),
	                 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "base given twice"));
}
END_TEST

/* A device bad in every other way can still be closed. */
START_TEST(state_and_online_survive_bad_keys)
{
	struct ioreqd_vbe_kv kv[] = {{"state", "5"}, {"online", "0"}, {"base", "x"}};
	struct ioreqd_vbe_dev d;

	ck_assert_int_eq(ioreqd_vbe_parse(IOREQD_VBE_VIRTIO_DISK, 4, 51712, kv, N(kv), &d,
	                                  err, sizeof(err)),
	                 -EAGAIN);
	ck_assert_int_eq(d.state, 5);
	ck_assert(!d.online);
}
END_TEST

START_TEST(overlap_and_shared_irq_are_refused)
{
	struct ioreqd_vbe_dev devs[3];

	ck_assert_int_eq(parse417(NULL, NULL, &devs[0]), 0);
	ck_assert_int_eq(parse418(NULL, NULL, &devs[1]), 0);
	ck_assert_int_eq(ioreqd_vbe_check_set(devs, 2, 1, err, sizeof(err)), 0);
	devs[2] = devs[1];
	devs[2].devid = 1;
	devs[2].irq = 35;
	ck_assert_int_eq(ioreqd_vbe_check_set(devs, 3, 2, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "overlaps virtio device 0"));
	devs[2].base = 0x2000400;
	devs[2].irq = 33;
	ck_assert_int_eq(ioreqd_vbe_check_set(devs, 3, 2, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "irq 33 is virtio_disk device 51712's too"));
	devs[2].irq = 35;
	ck_assert_int_eq(ioreqd_vbe_check_set(devs, 3, 2, err, sizeof(err)), 0);
}
END_TEST

START_TEST(split_path_finds_kind_domain_device)
{
	enum ioreqd_vbe_kind k;
	long dom, dev;
	const char *root = "/local/domain/0/backend";

	ck_assert_int_eq(ioreqd_vbe_split_path(
	                     root, "/local/domain/0/backend/virtio_disk/5/51712/state",
	                     &k, &dom, &dev),
	                 0);
	ck_assert_int_eq(k, IOREQD_VBE_VIRTIO_DISK);
	ck_assert_int_eq(dom, 5);
	ck_assert_int_eq(dev, 51712);
	ck_assert_int_eq(
	    ioreqd_vbe_split_path(root, "/local/domain/0/backend/virtio", &k, &dom, &dev),
	    0);
	ck_assert_int_eq(k, IOREQD_VBE_VIRTIO);
	ck_assert_int_eq(dom, -1);
	ck_assert_int_eq(dev, -1);
	ck_assert_int_eq(ioreqd_vbe_split_path(root, "/local/domain/0/backend/virtio/7",
	                                       &k, &dom, &dev),
	                 0);
	ck_assert_int_eq(dom, 7);
	ck_assert_int_eq(
	    ioreqd_vbe_split_path(root, "/local/domain/0/backend/vbd/7", &k, &dom, &dev),
	    -EINVAL);
	ck_assert_int_eq(ioreqd_vbe_split_path(root, "/local/domain/0/backend/virtio/x",
	                                       &k, &dom, &dev),
	                 -EINVAL);
	ck_assert_int_eq(ioreqd_vbe_split_path(root, "/local/domain/0/backend/virtio/07",
	                                       &k, &dom, &dev),
	                 -EINVAL);
	ck_assert_int_eq(ioreqd_vbe_split_path(root, "@releaseDomain", &k, &dom, &dev),
	                 -EINVAL);
	ck_assert_int_eq(
	    ioreqd_vbe_split_path(root, "/local/domain/0/backendx", &k, &dom, &dev),
	    -EINVAL);
}
END_TEST

/* Initialising -> (served) InitWait; never Connected. */
START_TEST(handshake_reaches_initwait_once_served)
{
	struct ioreqd_vbe_step s;

	s = ioreqd_vbe_next(1, true, true, false);
	ck_assert(s.serve);
	ck_assert_int_eq(s.write_state, 0);
	s = ioreqd_vbe_next(1, true, true, true);
	ck_assert(s.serve);
	ck_assert_int_eq(s.write_state, IOREQD_XB_INITWAIT);
	for (int st = 2; st <= 4; st++) {
		s = ioreqd_vbe_next(st, true, true, true);
		ck_assert(s.serve);
		ck_assert_int_eq(s.write_state, 0);
	}
	/* A watcher restarted under a running guest serves it again. */
	s = ioreqd_vbe_next(2, true, true, false);
	ck_assert(s.serve);
}
END_TEST

START_TEST(handshake_closes_after_serving_stops)
{
	struct ioreqd_vbe_step s;

	s = ioreqd_vbe_next(5, true, true, true);
	ck_assert(!s.serve);
	ck_assert_int_eq(s.write_state, 0);
	s = ioreqd_vbe_next(5, true, true, false);
	ck_assert_int_eq(s.write_state, IOREQD_XB_CLOSED);
	/* online = 0 alone (libxl writes it first). */
	s = ioreqd_vbe_next(2, false, true, false);
	ck_assert(!s.serve);
	ck_assert_int_eq(s.write_state, IOREQD_XB_CLOSED);
	/* A bad device is closed too. */
	s = ioreqd_vbe_next(5, true, false, false);
	ck_assert_int_eq(s.write_state, IOREQD_XB_CLOSED);
	s = ioreqd_vbe_next(6, false, true, false);
	ck_assert(!s.serve);
	ck_assert_int_eq(s.write_state, 0);
}
END_TEST

START_TEST(handshake_leaves_bad_devices_alone)
{
	struct ioreqd_vbe_step s;

	s = ioreqd_vbe_next(1, true, false, false);
	ck_assert(!s.serve);
	ck_assert_int_eq(s.write_state, 0);
	s = ioreqd_vbe_next(-1, true, true, false);
	ck_assert(!s.serve);
	ck_assert_int_eq(s.write_state, 0);
	s = ioreqd_vbe_next(0, true, true, false);
	ck_assert(!s.serve);
}
END_TEST

/* The generated text is a configuration ioreqd accepts, with every value. */
START_TEST(render_gives_a_valid_config)
{
	struct ioreqd_vbe_dev devs[2];
	struct ioreqd_cfg *cfg;
	char cerr[IOREQD_CFG_ERRLEN];
	unsigned line;
	char *text;

	ck_assert_int_eq(parse417("mode", "r", &devs[0]), 0);
	ck_assert_int_eq(parse418(NULL, NULL, &devs[1]), 0);
	text = ioreqd_vbe_render(devs, 2, 1);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(
	    ioreqd_cfg_load_string(text, strlen(text), "gen", &cfg, cerr, sizeof(cerr)),
	    0);
	ck_assert_uint_eq(cfg->nr_devs, 2);
	ck_assert_str_eq(cfg->devs[0].name, "virtio_disk-51712");
	ck_assert_str_eq(cfg->devs[0].hook, "virtio-blk");
	ck_assert_uint_eq(cfg->devs[0].ranges[0].base, 0x2000000);
	ck_assert_uint_eq(cfg->devs[0].ranges[0].last, 0x20001ff);
	ck_assert_int_eq(cfg->devs[0].irq, 33);
	ck_assert_str_eq(ioreqd_cfg_dev_get(&cfg->devs[0], "path", &line), "/dev/loop0");
	ck_assert_str_eq(ioreqd_cfg_dev_get(&cfg->devs[0], "readonly", &line), "yes");
	ck_assert_str_eq(ioreqd_cfg_dev_get(&cfg->devs[0], "irq_mode", &line), "edge");
	ck_assert_str_eq(ioreqd_cfg_dev_get(&cfg->devs[0], "grant_usage", &line), "0");
	ck_assert_str_eq(cfg->devs[1].name, "virtio-0");
	ck_assert_str_eq(ioreqd_cfg_dev_get(&cfg->devs[1], "grant_usage", &line), "1");
	ck_assert_uint_eq(cfg->devs[1].ranges[0].base, 0x2000200);
	ck_assert_str_eq(ioreqd_cfg_dev_get(&cfg->devs[1], "path", &line),
	                 "/var/lib/xen/disk.img");
	ck_assert_str_eq(ioreqd_cfg_dev_get(&cfg->devs[1], "readonly", &line), "no");
	ioreqd_cfg_free(cfg);
	free(text);
}
END_TEST

/* A path with a ';' that is not a comment survives the round trip. */
START_TEST(render_keeps_awkward_paths)
{
	struct ioreqd_vbe_dev d;
	struct ioreqd_cfg *cfg;
	char cerr[IOREQD_CFG_ERRLEN];
	unsigned line;
	char *text;

	ck_assert_int_eq(parse417("params", "/srv/a;b #c", &d), 0);
	text = ioreqd_vbe_render(&d, 1, 1);
	ck_assert_int_eq(
	    ioreqd_cfg_load_string(text, strlen(text), "gen", &cfg, cerr, sizeof(cerr)),
	    0);
	ck_assert_str_eq(ioreqd_cfg_dev_get(&cfg->devs[0], "path", &line), "/srv/a;b #c");
	ioreqd_cfg_free(cfg);
	free(text);
}
END_TEST

START_TEST(parse_id_is_strict)
{
	unsigned v;

	ck_assert_int_eq(ioreqd_vbe_parse_id("0", 10, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(ioreqd_vbe_parse_id("51712", 65535, &v), 0);
	ck_assert_int_eq(ioreqd_vbe_parse_id("65536", 65535, &v), -EINVAL);
	ck_assert_int_eq(ioreqd_vbe_parse_id("01", 10, &v), -EINVAL);
	ck_assert_int_eq(ioreqd_vbe_parse_id("", 10, &v), -EINVAL);
	ck_assert_int_eq(ioreqd_vbe_parse_id("1a", 100, &v), -EINVAL);
	ck_assert_int_eq(ioreqd_vbe_parse_id("99999999999999999999", UINT32_MAX, &v),
	                 -EINVAL);
}
END_TEST

static Suite *vbackend_suite(void)
{
	Suite *s = suite_create("vbackend");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, xen417_disk_parses);
	tcase_add_test(tc, xen418_virtio_parses_hex_base_and_grants);
	tcase_add_test(tc, mode_r_is_readonly);
	tcase_add_test(tc, missing_keys_are_not_yet);
	tcase_add_test(tc, malformed_base_is_refused);
	tcase_add_test(tc, malformed_irq_is_refused);
	tcase_add_test(tc, bad_params_is_refused);
	tcase_add_test(tc, other_bad_keys_are_refused);
	tcase_add_test(tc, duplicate_key_is_refused);
	tcase_add_test(tc, state_and_online_survive_bad_keys);
	tcase_add_test(tc, overlap_and_shared_irq_are_refused);
	tcase_add_test(tc, split_path_finds_kind_domain_device);
	tcase_add_test(tc, parse_id_is_strict);
	suite_add_tcase(s, tc);
	tc = tcase_create("handshake");
	tcase_add_test(tc, handshake_reaches_initwait_once_served);
	tcase_add_test(tc, handshake_closes_after_serving_stops);
	tcase_add_test(tc, handshake_leaves_bad_devices_alone);
	suite_add_tcase(s, tc);
	tc = tcase_create("render");
	tcase_add_test(tc, render_gives_a_valid_config);
	tcase_add_test(tc, render_keeps_awkward_paths);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vbackend_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
