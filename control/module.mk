# control/ — configuration (parser, validator, flags) and `ssivm acpi-dump`.
# (control/main.c and common/log.c are linked by common/module.mk.)
CONFIG_OBJS := $(call objs,control/config.c control/config_values.c control/config_file.c \
	control/config_args.c control/config_validate.c control/config_modules.c)
SSIVM_OBJS += $(CONFIG_OBJS)
SSIVM_OBJS += $(call objs,control/cmd_acpi_dump.c)

CONFIG_TEST_OBJS := $(CONFIG_OBJS) $(call objs,platform/memmap.c) $(COMMON_OBJS)
$(eval $(call unit_test,test_config,tests/unit/test_config.c,$(CONFIG_TEST_OBJS),$(CONFIG_LIBS)))
$(eval $(call unit_test,test_config_modules,tests/unit/test_config_modules.c,$(CONFIG_TEST_OBJS),$(CONFIG_LIBS)))
