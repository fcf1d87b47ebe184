# platform/acpi/ — the ACPI tables built from the configuration.
ACPI_OBJS := $(call objs,platform/acpi/acpi.c platform/acpi/madt.c platform/acpi/numa.c \
	platform/acpi/dsdt.c platform/acpi/mcfg.c)
SSIVM_OBJS += $(ACPI_OBJS)

ACPI_TEST_OBJS := $(ACPI_OBJS) $(CONFIG_OBJS) $(call objs,platform/memmap.c dsm/policy_opts.c) $(COMMON_OBJS)
$(eval $(call unit_test,test_acpi,tests/unit/test_acpi.c,$(ACPI_TEST_OBJS),$(CONFIG_LIBS)))
TEST_LIST += unit:acpi-iasl:tests/unit/acpi-iasl.sh
$(eval $(call unit_test,test_acpi_changes,tests/unit/test_acpi_changes.c,$(ACPI_TEST_OBJS),$(CONFIG_LIBS)))
$(eval $(call unit_test,test_config_fuzz,tests/unit/test_config_fuzz.c,$(ACPI_TEST_OBJS),$(CONFIG_LIBS)))
