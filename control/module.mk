# control/ — configuration (parser, validator, flags) and `ssivm acpi-dump`.
# (control/main.c and common/log.c are linked by common/module.mk.)
CONFIG_OBJS := $(call objs,control/config.c control/config_values.c control/config_file.c \
	control/config_args.c control/config_validate.c)
SSIVM_OBJS += $(CONFIG_OBJS)
SSIVM_OBJS += $(call objs,control/cmd_acpi_dump.c)
