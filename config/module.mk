# config/ — the configuration model: parser (libconfig file, then flags),
# validator, struct ssivm_config (config/config.h). Used by control/ (the
# CLI), platform/ (ACPI tables, memory layout) and vcpu/ (placement).
CONFIG_OBJS := $(call objs,config/config.c config/config_values.c config/config_file.c \
	config/config_args.c config/config_validate.c config/config_modules.c \
	config/config_cluster.c)
SSIVM_OBJS += $(CONFIG_OBJS)

CONFIG_TEST_OBJS := $(CONFIG_OBJS) $(call objs,platform/memmap.c dsm/policy_opts.c) $(COMMON_OBJS)
$(eval $(call unit_test,test_config,tests/unit/test_config.c,$(CONFIG_TEST_OBJS),$(CONFIG_LIBS)))
$(eval $(call unit_test,test_config_modules,tests/unit/test_config_modules.c,$(CONFIG_TEST_OBJS),$(CONFIG_LIBS)))
