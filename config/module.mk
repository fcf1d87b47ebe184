# config/ — the configuration model: parser (libconfig file, then flags),
# validator, struct ssivm_config (config/config.h). Used by control/ (the
# CLI), platform/ (ACPI tables, memory layout) and vcpu/ (placement).
CONFIG_OBJS := $(call objs,config/config.c config/config_values.c config/config_file.c \
	config/config_source.c config/config_args.c config/config_validate.c \
	config/config_modules.c config/config_cluster.c)
SSIVM_OBJS += $(CONFIG_OBJS)

CONFIG_TEST_OBJS := $(CONFIG_OBJS) $(call objs,platform/memmap.c dsm/policy_opts.c) $(COMMON_OBJS)
$(eval $(call unit_test,test_config,tests/unit/test_config.c,$(CONFIG_TEST_OBJS),$(CONFIG_LIBS)))
$(eval $(call unit_test,test_config_modules,tests/unit/test_config_modules.c,$(CONFIG_TEST_OBJS),$(CONFIG_LIBS)))
$(eval $(call unit_test,test_config_inputs,tests/unit/test_config_inputs.c,$(CONFIG_TEST_OBJS),$(CONFIG_LIBS)))

# Fuzz target of the configuration reader (clang + libFuzzer; not part of `all`):
# `make fuzz-config` builds it; config-fuzz (unit layer) runs it briefly over a
# copy of tests/fuzz/config_corpus, config-fuzz-long (e2e) for longer.
CONFIG_FUZZ := $(BUILD)/fuzz/config_fuzz
CONFIG_FUZZ_SRCS := tests/fuzz/config_fuzz.c config/config.c config/config_values.c \
	config/config_file.c config/config_source.c config/config_args.c \
	config/config_validate.c config/config_modules.c config/config_cluster.c \
	dsm/policy_opts.c platform/memmap.c common/log.c
.PHONY: fuzz-config
fuzz-config: $(CONFIG_FUZZ)
$(CONFIG_FUZZ): $(CONFIG_FUZZ_SRCS) $(wildcard config/*.h) platform/memmap.h common/log.h dsm/policy.h
	@mkdir -p $(dir $@)
	clang -g -O1 $(CSTD) -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -I. \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ $(CONFIG_FUZZ_SRCS) $(CONFIG_LIBS)
TEST_LIST += unit:config-fuzz:tests/fuzz/config_fuzz.sh
TEST_LIST += e2e:config-fuzz-long:tests/fuzz/config_fuzz_long.sh
