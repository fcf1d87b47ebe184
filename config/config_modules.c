// SPDX-License-Identifier: GPL-2.0-only
/*
 * config/config_modules.c — multiboot modules in QEMU's -initrd syntax:
 * "FILE ARGS,FILE ARGS" (",," for a literal comma). The file name is the
 * entry up to its first space; the whole entry is the module's string, as
 * QEMU (and GRUB) pass it.
 */
#include "config/config_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cfg_clear_modules(struct ssivm_config *cfg)
{
	for (uint32_t i = 0; i < cfg->nr_modules; i++) {
		free(cfg->modules[i].file);
		free(cfg->modules[i].string);
	}
	memset(cfg->modules, 0, sizeof(cfg->modules));
	cfg->nr_modules = 0;
}

static int add_one(struct ssivm_config *cfg, const char *entry, char *err)
{
	struct module_config *m;
	size_t flen = strcspn(entry, " ");

	if (!*entry) {
		snprintf(err, CONFIG_ERRLEN,
			 "an empty module entry (a trailing ',' or ',' at the start? a literal "
			 "comma is written ',,')");
		return -EINVAL;
	}
	if (!flen) {
		snprintf(err, CONFIG_ERRLEN,
			 "module entry '%.64s' starts with a space: the file name comes first "
			 "(no space after the ',')",
			 entry);
		return -EINVAL;
	}
	if (cfg->nr_modules >= SSIVM_MAX_MODULES) {
		snprintf(err, CONFIG_ERRLEN, "more than %d modules (at '%.64s')", SSIVM_MAX_MODULES,
			 entry);
		return -EINVAL;
	}
	m = &cfg->modules[cfg->nr_modules];
	m->file = strndup(entry, flen);
	m->string = strdup(entry);
	if (!m->file || !m->string) {
		free(m->file);
		free(m->string);
		*m = (struct module_config){0};
		return -ENOMEM;
	}
	cfg->nr_modules++;
	return 0;
}

int cfg_add_modules(struct ssivm_config *cfg, const char *spec, char *err)
{
	char *buf = malloc(strlen(spec) + 1);
	const char *p = spec;
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		size_t k = 0;

		while (*p && !(p[0] == ',' && p[1] != ',')) {
			buf[k++] = *p;
			p += p[0] == ',' ? 2 : 1; /* ",," is one literal comma */
		}
		buf[k] = 0;
		ret = add_one(cfg, buf, err);
		if (ret || !*p)
			break;
		p++; /* the separating comma */
	}
	free(buf);
	return ret;
}
